"""SHA-256 of IDX data, always over the decompressed bytes.

Hashing the decompressed bytes lets one pinned value cover a raw file, the
mirrors' `.gz` and a re-compressed `.gz` (Debian's differ from upstream's).
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

from digitrec.errors import ChecksumMismatchError, IdxFormatError

from .idx import GZIP_MAGIC

_CHUNK = 1 << 20  # 1 MiB: keeps memory flat while hashing 47 MB files


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of `data` exactly as given."""
    return hashlib.sha256(data).hexdigest()


def idx_sha256(path: Path) -> str:
    """Hex SHA-256 of the file's decompressed content (gzip detected by magic)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
        opener = gzip.open if compressed else open
        with opener(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise IdxFormatError(
            f"{path}: the gzip data is damaged or truncated ({exc}); "
            "delete the file and fetch it again"
        ) from exc
    except OSError as exc:
        raise IdxFormatError(f"{path}: cannot read the file ({exc})") from exc
    return digest.hexdigest()


def verify_file(path: Path, expected: str) -> str:
    """Return the file's SHA-256, or raise ChecksumMismatchError naming it."""
    actual = idx_sha256(path)
    if actual != expected:
        raise ChecksumMismatchError(str(path), expected, actual)
    return actual


def verify_bytes(data: bytes, expected: str, name: str) -> str:
    """Like verify_file, for raw (already decompressed) bytes held in memory."""
    actual = sha256_bytes(data)
    if actual != expected:
        raise ChecksumMismatchError(name, expected, actual)
    return actual
