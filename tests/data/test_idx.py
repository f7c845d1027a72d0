"""IDX reader: good files raw and gzip, every way a file can be malformed."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from digitrec.data import read_idx
from digitrec.errors import IdxFormatError

MakeIdx = Callable[..., bytes]


@pytest.fixture
def images() -> np.ndarray:
    return np.arange(3 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)


def test_reads_raw_file(
    make_idx: MakeIdx, tmp_path: Path, images: np.ndarray
) -> None:
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(make_idx(images))
    result = read_idx(path)
    assert result.dtype == np.uint8 and result.shape == (3, 28, 28)
    np.testing.assert_array_equal(result, images)
    assert result.flags.writeable


def test_reads_labels_vector(make_idx: MakeIdx, tmp_path: Path) -> None:
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(make_idx(labels))
    np.testing.assert_array_equal(read_idx(path), labels)


def test_detects_gzip_by_magic_not_name(
    make_idx: MakeIdx, tmp_path: Path, images: np.ndarray
) -> None:
    path = tmp_path / "no-gz-suffix"
    path.write_bytes(gzip.compress(make_idx(images)))
    np.testing.assert_array_equal(read_idx(path), images)


def test_reads_bytes_raw_and_gzip(make_idx: MakeIdx, images: np.ndarray) -> None:
    data = make_idx(images)
    np.testing.assert_array_equal(read_idx(data), images)
    np.testing.assert_array_equal(read_idx(gzip.compress(data)), images)


@pytest.mark.parametrize(
    ("code", "dtype"),
    [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)],
)
def test_other_dtypes_big_endian(make_idx: MakeIdx, code: int, dtype: type) -> None:
    values = np.array([[-3, 2], [1, 100]], dtype=dtype)
    result = read_idx(make_idx(values, code=code))
    assert result.dtype == np.dtype(dtype)  # native byte order
    np.testing.assert_array_equal(result, values)


def test_truncated_file_names_file_and_sizes(
    make_idx: MakeIdx, tmp_path: Path, images: np.ndarray
) -> None:
    path = tmp_path / "cut-idx3-ubyte"
    path.write_bytes(make_idx(images)[:-10])
    with pytest.raises(IdxFormatError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message and "truncated" in message
    assert str(3 * 28 * 28) in message and str(3 * 28 * 28 - 10) in message


def test_trailing_bytes_rejected(
    make_idx: MakeIdx, tmp_path: Path, images: np.ndarray
) -> None:
    path = tmp_path / "long-idx3-ubyte"
    path.write_bytes(make_idx(images) + b"\x00\x00")
    with pytest.raises(IdxFormatError, match="trailing bytes") as info:
        read_idx(path)
    assert str(path) in str(info.value) and str(3 * 28 * 28 + 2) in str(info.value)


def test_bad_magic(make_idx: MakeIdx, images: np.ndarray) -> None:
    data = b"\x01" + make_idx(images)[1:]
    with pytest.raises(IdxFormatError, match="magic"):
        read_idx(data)


def test_unknown_dtype_code(make_idx: MakeIdx, images: np.ndarray) -> None:
    with pytest.raises(IdxFormatError, match="dtype code 0x07"):
        read_idx(make_idx(images, code=0x07))


def test_zero_dimensions() -> None:
    with pytest.raises(IdxFormatError, match="0 dimensions"):
        read_idx(bytes([0, 0, 0x08, 0]))


def test_header_shorter_than_declared_dims() -> None:
    # Declares 3 dimensions but holds only one size field.
    with pytest.raises(IdxFormatError, match="3 dimensions"):
        read_idx(bytes([0, 0, 0x08, 3, 0, 0, 0, 1]))


def test_too_short_for_magic() -> None:
    with pytest.raises(IdxFormatError, match="too short"):
        read_idx(b"\x00\x00")


def test_truncated_gzip(
    make_idx: MakeIdx, tmp_path: Path, images: np.ndarray
) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(make_idx(images))[:-20])
    with pytest.raises(IdxFormatError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IdxFormatError, match="cannot read"):
        read_idx(tmp_path / "absent")
