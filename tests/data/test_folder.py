"""Custom image datasets: class subfolders and list files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitrec.data import load_image_folder
from digitrec.errors import DataError


def _ink_on_paper(path: Path, size: tuple[int, int] = (28, 28)) -> None:
    """A black stroke on white paper, the way scans and drawings arrive."""
    image = Image.new("L", size, 255)
    for x in range(size[0] // 3, 2 * size[0] // 3):
        image.putpixel((x, size[1] // 2), 0)
    image.save(path)


@pytest.fixture
def digit_folder(tmp_path: Path) -> Path:
    root = tmp_path / "digits"
    for digit, count in (("0", 3), ("7", 2)):
        (root / digit).mkdir(parents=True)
        for i in range(count):
            _ink_on_paper(root / digit / f"{i}.png")
    (root / "7" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (root / "7" / "notes.txt").write_text("not an image, ignored")
    return root


def test_digit_subfolders_keep_digit_labels(digit_folder: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        bundle = load_image_folder(digit_folder, val_fraction=0.2, seed=0)
    assert bundle.classes == tuple("0123456789")
    assert bundle.skipped == 1
    assert "broken.png" in caplog.text
    labels = sorted([*bundle.train.labels, *bundle.test.labels])
    assert labels == [0, 0, 0, 7, 7]
    assert len(bundle.test) == 1 and len(bundle.train) == 4
    assert bundle.train.images.shape == (4, 28, 28) and bundle.train.images.dtype == np.uint8
    assert bundle.train.labels.dtype == np.int64
    assert bundle.name == "digits" and set(bundle.digests) == {"digits"}


def test_light_background_is_inverted(digit_folder: Path) -> None:
    image = load_image_folder(digit_folder).train.images[0]
    assert image[0, 0] == 0  # paper became black
    assert image.max() > 200  # ink became white


def test_named_subfolders_sorted(tmp_path: Path) -> None:
    for name in ("zebra", "apple"):
        (tmp_path / name).mkdir()
        _ink_on_paper(tmp_path / name / "x.png")
    bundle = load_image_folder(tmp_path, val_fraction=0.0)
    assert bundle.classes == ("apple", "zebra")
    assert bundle.train.labels.tolist() == [0, 1] and len(bundle.test) == 0


def test_list_file(tmp_path: Path, caplog) -> None:
    (tmp_path / "imgs").mkdir()
    _ink_on_paper(tmp_path / "imgs" / "a.png")
    _ink_on_paper(tmp_path / "imgs" / "with space.png", size=(40, 60))
    (tmp_path / "imgs" / "bad.jpg").write_bytes(b"garbage")
    listing = tmp_path / "labels.txt"
    listing.write_text(
        "# my digits\n\nimgs/a.png 4\nimgs/with space.png 2\nimgs/bad.jpg 1\nimgs/gone.png 3\n"
    )
    with caplog.at_level(logging.WARNING):
        bundle = load_image_folder(listing, val_fraction=0.0)
    assert bundle.train.labels.tolist() == [4, 2]  # list order
    assert bundle.train.images.shape == (2, 28, 28)
    assert bundle.skipped == 2  # a corrupt image and a missing one
    assert "bad.jpg" in caplog.text and "gone.png" in caplog.text
    assert bundle.name == "labels" and bundle.classes == tuple("0123456789")


def test_list_file_malformed_lines_reported(tmp_path: Path) -> None:
    _ink_on_paper(tmp_path / "a.png")
    listing = tmp_path / "list.txt"
    listing.write_text("a.png 1\n# fine\na.png\na.png seven\n")
    with pytest.raises(DataError) as info:
        load_image_folder(listing)
    message = str(info.value)
    assert "line 3" in message and "line 4" in message and "line 2" not in message


def test_images_get_the_services_mnist_style_preprocessing(tmp_path: Path) -> None:
    # A transparent canvas with a small off-centre bar, and a wide white-on-black one:
    # both become what the service would feed the model (a 20 px tall digit, centred).
    root = tmp_path / "digits"
    (root / "1").mkdir(parents=True)
    canvas = Image.new("RGBA", (200, 120), (0, 0, 0, 0))
    canvas.paste((0, 0, 0, 255), (20, 10, 26, 50))  # opaque black ink, top left
    canvas.save(root / "1" / "transparent.png")
    dark = Image.new("L", (100, 50), 0)
    dark.paste(255, (40, 0, 60, 50))
    dark.save(root / "1" / "dark.png")
    images = load_image_folder(root, val_fraction=0.5, seed=0)
    for pixels in (*images.train.images, *images.test.images):
        rows = np.flatnonzero(pixels.max(axis=1) > 0)
        assert pixels[0, 0] == 0 and pixels.max() == 255
        assert 19 <= rows[-1] - rows[0] + 1 <= 22  # scaled so the longer side is about 20 px
        assert abs(np.average(np.arange(28), weights=pixels.sum(axis=1)) - 13.5) <= 1  # centred


def test_a_blank_image_is_skipped_not_learned(tmp_path: Path, caplog) -> None:
    root = tmp_path / "digits"
    (root / "3").mkdir(parents=True)
    Image.new("L", (28, 28), 255).save(root / "3" / "blank.png")
    _ink_on_paper(root / "3" / "ink.png")
    with caplog.at_level(logging.WARNING):
        bundle = load_image_folder(root, val_fraction=0.5, seed=0)
    assert len(bundle.train) + len(bundle.test) == 1
    assert "blank.png" in caplog.text and "no digit found" in caplog.text


def test_split_is_seeded(digit_folder: Path) -> None:
    first = load_image_folder(digit_folder, val_fraction=0.4, seed=3)
    again = load_image_folder(digit_folder, val_fraction=0.4, seed=3)
    np.testing.assert_array_equal(first.test.images, again.test.images)
    sizes = {len(load_image_folder(digit_folder, 0.4, seed).test) for seed in range(5)}
    assert sizes == {2}


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "0").mkdir()
    with pytest.raises(DataError, match="no readable images"):
        load_image_folder(tmp_path)


def test_no_subfolders(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no class subfolders"):
        load_image_folder(tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        load_image_folder(tmp_path / "nope")


@pytest.mark.parametrize("fraction", [-0.1, 1.0])
def test_bad_val_fraction(tmp_path: Path, fraction: float) -> None:
    with pytest.raises(DataError, match="val_fraction"):
        load_image_folder(tmp_path, val_fraction=fraction)
