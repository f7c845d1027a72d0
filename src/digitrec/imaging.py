"""Decode uploaded image bytes into one (H, W) uint8 grayscale array.

Public API:
    DecodeLimits(max_bytes, max_pixels)
    decode_image(data, limits=DecodeLimits()) -> np.ndarray   # (H, W) uint8, 0 black .. 255 white

The ink keeps its polarity (black-on-white stays black-on-white); only
transparency is resolved, by compositing onto a background chosen so that the
opaque ink stays visible (see `_background_for`). Whatever the bytes are, the
only exceptions that leave this module are `ImageError` subclasses.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitrec.errors import ImageDecodeError, ImageTooLargeError, UnsupportedImageTypeError

logger = logging.getLogger(__name__)

# Formats a browser canvas or a phone can produce. MPO is what some phones
# write for ordinary JPEG photos (a JPEG with extra preview frames).
ACCEPTED_FORMATS = ("PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP", "TIFF")

# Pillow's plugins are a large parser surface; for malformed input they raise
# an open-ended set of builtin exceptions. Any of them means "undecodable".
_PILLOW_FAILURES = (
    OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, KeyError,
    TypeError, ZeroDivisionError, AttributeError, OverflowError, RuntimeError,
    MemoryError, Image.DecompressionBombError, Image.DecompressionBombWarning,
)

# Signatures of documents that Pillow cannot open but users do upload, so the
# error can name them instead of saying "not an image".
_KNOWN_SIGNATURES = ((b"%PDF", "PDF"), (b"<svg", "SVG"), (b"<?xml", "XML/SVG"), (b"PK\x03\x04", "ZIP"))

ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")


@dataclass(frozen=True)
class DecodeLimits:
    """Upper bounds checked before any pixel data is decoded."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 25_000_000  # a 25-megapixel phone photo; decoded RGBA is 100 MB


def decode_image(data: bytes, limits: DecodeLimits = DecodeLimits()) -> np.ndarray:
    """Decode PNG/JPEG/GIF/BMP/WebP/TIFF bytes to (H, W) uint8 grayscale.

    EXIF orientation is applied, GIF and TIFF give their first frame, 16- and
    32-bit images are scaled to 8 bits and transparency is composited away.
    Raises ImageTooLargeError, ImageDecodeError or UnsupportedImageTypeError.
    """
    _check_byte_size(data, limits)
    image = _open(data, limits)
    try:
        image.load()
        image = _apply_orientation(image)
        return _to_gray(image)
    except _PILLOW_FAILURES as exc:
        raise ImageDecodeError(_describe_failure(image.format, exc)) from exc
    finally:
        image.close()


def _check_byte_size(data: bytes, limits: DecodeLimits) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageDecodeError(f"expected image bytes, got {type(data).__name__}")
    if len(data) == 0:
        raise ImageDecodeError("the image is empty (0 bytes); send the file's contents")
    if len(data) > limits.max_bytes:
        raise ImageTooLargeError(
            f"the image is {len(data)} bytes; at most {limits.max_bytes} bytes are accepted. "
            "Send a smaller or more compressed image.",
            limit=limits.max_bytes, actual=len(data), unit="bytes",
        )


def _open(data: bytes, limits: DecodeLimits) -> Image.Image:
    """Read only the header, then reject unsupported formats and oversized images."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as exc:
        # Pillow's own guard fires for headers above ~179 megapixels, before ours can.
        raise _too_many_pixels(limits, actual=_pixels_from_message(exc)) from exc
    except UnidentifiedImageError as exc:
        raise _unreadable(data) from exc
    except _PILLOW_FAILURES as exc:
        raise ImageDecodeError(_describe_failure(None, exc)) from exc
    width, height = image.size
    if width * height > limits.max_pixels:
        image.close()
        raise _too_many_pixels(limits, actual=width * height)
    if width <= 0 or height <= 0:
        image.close()
        raise ImageDecodeError(f"the {image.format} header says the image is {width}x{height} pixels")
    return image


def _too_many_pixels(limits: DecodeLimits, actual: int) -> ImageTooLargeError:
    return ImageTooLargeError(
        f"the image has {actual} pixels; at most {limits.max_pixels} are accepted. "
        "Resize it before sending.",
        limit=limits.max_pixels, actual=actual, unit="pixels",
    )


def _pixels_from_message(exc: Exception) -> int:
    # Pillow says "Image size (N pixels) exceeds limit ..."; the number is informative only.
    words = str(exc).replace("(", " ").split()
    numbers = [int(word) for word in words if word.isdigit()]
    return numbers[0] if numbers else 0


def _unreadable(data: bytes) -> ImageError:
    """Name the format when Pillow knows it (or we recognise it) but we do not accept it."""
    for signature, name in _KNOWN_SIGNATURES:
        if data.lstrip()[: len(signature)].lower() == signature.lower():
            return UnsupportedImageTypeError(_unsupported_message(name))
    try:
        # Header-only identification with every plugin, just to name the format.
        with Image.open(io.BytesIO(data)) as other:
            name = other.format or "unknown"
    except Exception:  # noqa: BLE001 - any failure here just means "not an image"
        return ImageDecodeError("not an image Pillow can read; send a PNG, JPEG, GIF, BMP, WebP or TIFF file")
    return UnsupportedImageTypeError(_unsupported_message(name))


def _unsupported_message(name: str) -> str:
    return f"{name} files are not accepted; send a PNG, JPEG, GIF, BMP, WebP or TIFF image"


def _describe_failure(fmt: str | None, exc: BaseException) -> str:
    kind = f"{fmt} image" if fmt else "image"
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, MemoryError):
        return f"the {kind} needs more memory to decode than is available"
    if "truncated" in detail.lower() or isinstance(exc, EOFError):
        return f"truncated {fmt or 'image'}: the file ends early ({detail})"
    return f"the {kind} is corrupt and cannot be decoded ({detail})"


def _apply_orientation(image: Image.Image) -> Image.Image:
    """Rotate as the EXIF Orientation tag says; a broken EXIF block is ignored, not fatal."""
    try:
        rotated = ImageOps.exif_transpose(image)
    except _PILLOW_FAILURES as exc:
        logger.warning("ignoring unreadable EXIF orientation: %s", exc)
        return image
    return rotated if rotated is not None else image
