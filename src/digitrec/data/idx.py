"""Reader for the IDX format used by MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic (two zero bytes, a dtype code, the number of
dimensions), one big-endian uint32 per dimension, then the items in C order,
big-endian. Files may be gzip-compressed; we detect that from the gzip magic
bytes rather than the file name, because caches and mirrors disagree on names.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from digitrec.errors import IdxFormatError

GZIP_MAGIC = b"\x1f\x8b"

# The dtype codes from the IDX specification; every multi-byte type is big-endian.
_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def is_gzip(data: bytes) -> bool:
    """True when `data` starts with the gzip magic bytes."""
    return data[:2] == GZIP_MAGIC


def decompress_if_gzip(data: bytes, name: str) -> bytes:
    """Return `data` unchanged, or its gzip decompression if it is gzip."""
    if not is_gzip(data):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        # EOFError: the stream is cut short; OSError/zlib.error: it is garbled.
        raise IdxFormatError(
            f"{name}: the gzip data is damaged or truncated ({exc}); "
            "delete the file and fetch it again"
        ) from exc


def read_idx(source: Path | str | bytes) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) from a path or from bytes.

    Returns a writable array in native byte order with the file's shape,
    e.g. (N, 28, 28) uint8 for MNIST images and (N,) uint8 for labels.
    Raises IdxFormatError for a bad magic, bad dimensions, or a payload whose
    length is not exactly the product of the dimensions times the item size.
    """
    if isinstance(source, bytes):
        name, data = "<bytes>", source
    else:
        name = str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise IdxFormatError(f"{name}: cannot read the file ({exc.strerror})") from exc
    return parse_idx(decompress_if_gzip(data, name), name)


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse uncompressed IDX bytes; `name` is used in error messages."""
    dtype, dims = _parse_header(data, name)
    header_len = 4 + 4 * len(dims)
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_len
    if actual != expected:
        problem = "truncated" if actual < expected else "has trailing bytes"
        raise IdxFormatError(
            f"{name}: IDX payload {problem}: the header declares shape {tuple(dims)} "
            f"({expected} bytes of {dtype.name}) but the file holds {actual} bytes"
        )
    items = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    # astype copies, which also makes the array writable (frombuffer's is not).
    return items.astype(dtype.newbyteorder("="))


def _parse_header(data: bytes, name: str) -> tuple[np.dtype, list[int]]:
    """Check the magic and return (dtype, dimensions)."""
    if len(data) < 4:
        raise IdxFormatError(
            f"{name}: too short to be an IDX file ({len(data)} bytes, need at least 4)"
        )
    zero1, zero2, code, ndim = data[0], data[1], data[2], data[3]
    if zero1 != 0 or zero2 != 0:
        raise IdxFormatError(
            f"{name}: bad IDX magic {data[:4].hex()}: the first two bytes must be zero; "
            "this is not an IDX file"
        )
    if code not in _DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _DTYPES)
        raise IdxFormatError(
            f"{name}: unknown IDX dtype code 0x{code:02X}; expected one of {known}"
        )
    if ndim == 0:
        raise IdxFormatError(f"{name}: the IDX header declares 0 dimensions; need at least 1")
    if len(data) < 4 + 4 * ndim:
        raise IdxFormatError(
            f"{name}: the IDX header declares {ndim} dimensions but the file ends "
            f"after {len(data)} bytes, before the {4 + 4 * ndim}-byte header is complete"
        )
    dims = list(struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim]))
    return _DTYPES[code], dims
