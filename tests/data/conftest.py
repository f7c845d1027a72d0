"""Fixtures for the data tests: tiny IDX datasets and a network that must not be used."""

from __future__ import annotations

import hashlib
import struct
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from digitrec.data import remote
from digitrec.data.specs import DIGIT_CLASSES, DatasetSpec, FileSpec


def build_idx(array: np.ndarray, code: int = 0x08) -> bytes:
    """IDX bytes for `array`: magic, big-endian dims, big-endian items."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@dataclass(frozen=True)
class TinyData:
    """Four tiny IDX files on disk and a spec pinning their checksums."""

    dir: Path
    spec: DatasetSpec
    contents: dict[str, bytes]  # raw file name -> raw IDX bytes
    arrays: dict[str, np.ndarray]


@pytest.fixture
def tiny(tmp_path: Path) -> TinyData:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.array([0, 1, 2, 3, 9, 5], dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.array([7, 8, 9, 0], dtype=np.uint8),
    }
    contents = {name: build_idx(array) for name, array in arrays.items()}
    directory = tmp_path / "files"
    directory.mkdir()
    for name, data in contents.items():
        (directory / name).write_bytes(data)
    files = [FileSpec(name, hashlib.sha256(data).hexdigest()) for name, data in contents.items()]
    spec = DatasetSpec(
        "mnist",
        *files,
        classes=DIGIT_CLASSES,
        mirrors=("https://mirror-a.invalid/mnist/", "https://mirror-b.invalid/mnist/"),
        npm_package="tiny-mnist@0.0.0",
    )
    return TinyData(directory, spec, contents, arrays)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, private cache root; $DIGITREC_DATA unset."""
    root = tmp_path / "cache"
    monkeypatch.setenv("DIGITREC_CACHE", str(root))
    monkeypatch.delenv("DIGITREC_DATA", raising=False)
    return root


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test loudly if anything tries npm or HTTP."""

    def forbidden(*args: object, **kwargs: object) -> None:
        pytest.fail(f"the network was used: {args!r}")

    monkeypatch.setattr(remote.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(remote.subprocess, "run", forbidden)
    monkeypatch.setattr(urllib.request, "urlopen", forbidden)


@pytest.fixture
def make_idx() -> Callable[..., bytes]:
    """build_idx as a fixture, so tests need not import conftest by name."""
    return build_idx
