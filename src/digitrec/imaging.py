"""Decode uploaded image bytes into one (H, W) uint8 grayscale array.

Public API:
    DecodeLimits(max_bytes, max_pixels)
    decode_image(data, limits=DecodeLimits()) -> np.ndarray   # (H, W) uint8, 0 black .. 255 white
    open_image(data, limits) -> OpenedImage (header only); image_to_gray(opened) -> the same array
    encode_png(gray) -> bytes; thumbnail_png(gray) -> bytes; png_data_url(png) -> str

The ink keeps its polarity (black-on-white stays black-on-white); only
transparency is resolved, by compositing onto a background chosen so that the
opaque ink stays visible (see `_background_for`). Whatever the bytes are, the
only exceptions that leave this module are `ImageError` subclasses.

Pillow decodes every format. A plain PNG (8-bit grey, RGB or RGBA: what a
browser canvas exports) is decoded by libspng instead where its `pyspng`
wheel is installed, to the same pixels, several times faster: Pillow's
bundled zlib inflates slowly, and decoding was the largest share of
answering a drawing from the page (see `_decode_plain_png`). A colour JPEG
is decoded straight to its grey (luma) plane.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # optional: wheels exist for the common platforms only (pyproject.toml); Pillow decodes PNG too
    import pyspng
except ImportError:  # pragma: no cover - depends on the platform
    pyspng = None

from digitrec.errors import (
    ImageDecodeError,
    ImageError,
    ImageTooLargeError,
    UnsupportedImageTypeError,
)

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

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COMPRESSION = 6  # zlib's default level, as Pillow's
# PNG chunks whose meaning Pillow applies and libspng (as pyspng calls it) does not: a transparency
# key, EXIF orientation (eXIf, or EXIF and XMP inside text chunks), animation.
_CHUNKS_FOR_PILLOW = frozenset((b"tRNS", b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"acTL"))
_PLAIN_PNG_COLOUR_TYPES = (0, 2, 6)  # grey, RGB, RGBA (not palette or grey + alpha)
_STRIP_PIXELS = 1 << 18  # wide samples are scaled to 8 bits this many pixels at a time (_wide_to_gray)


@dataclass(frozen=True)
class DecodeLimits:
    """Upper bounds checked before any pixel data is decoded."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 25_000_000  # a 25-megapixel phone photo; decoded RGBA is 100 MB


@dataclass
class OpenedImage:
    """Encoded image bytes whose header has been read and checked (see `open_image`)."""

    data: bytes
    header: Image.Image  # Pillow's image with only the header read

    @property
    def width(self) -> int:
        return self.header.width

    @property
    def height(self) -> int:
        return self.header.height

    def close(self) -> None:
        self.header.close()


def decode_image(data: bytes, limits: DecodeLimits = DecodeLimits()) -> np.ndarray:
    """Decode PNG/JPEG/GIF/BMP/WebP/TIFF bytes to (H, W) uint8 grayscale.

    EXIF orientation is applied, GIF and TIFF give their first frame, 16- and
    32-bit images are scaled to 8 bits and transparency is composited away.
    Raises ImageTooLargeError, ImageDecodeError or UnsupportedImageTypeError.
    """
    return image_to_gray(open_image(data, limits))


def open_image(data: bytes, limits: DecodeLimits = DecodeLimits()) -> OpenedImage:
    """The image with only its header read and checked against `limits`; `image_to_gray` decodes it.

    Cheap whatever the image's size: the service reads the pixel count here to
    choose where to decode.
    """
    _check_byte_size(data, limits)
    return OpenedImage(data, _open(data, limits))


def image_to_gray(opened: OpenedImage) -> np.ndarray:
    """Decode an image from `open_image` to (H, W) uint8 grayscale (see `decode_image`), and close it."""
    image = opened.header
    try:
        if image.format == "PNG" and (gray := _decode_plain_png(opened.data)) is not None:
            return gray
        if image.format in ("JPEG", "MPO") and image.mode in ("RGB", "YCbCr"):
            # Decode to grey: the JPEG's own luma plane, which is what RGB -> L recomputes (to a
            # level or two of rounding), without upsampling and converting its colour (a 12-megapixel
            # photo: 30 against 85 ms).
            image.draft("L", image.size)
        image.load()
        image = _apply_orientation(image)
        return _to_gray(image)
    except _PILLOW_FAILURES as exc:
        raise ImageDecodeError(_describe_failure(image.format, exc)) from exc
    finally:
        opened.close()


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
    Image.init()  # registers every plugin (idempotent), so all accepted formats are known
    formats = [name for name in ACCEPTED_FORMATS if name in Image.OPEN]
    try:
        image = Image.open(io.BytesIO(data), formats=formats)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard (or its warning, when warnings are errors) fires for
        # headers above ~179 megapixels, before our check can run.
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


def _decode_plain_png(data: bytes) -> np.ndarray | None:
    """A plain PNG's grey levels decoded by libspng, or None: Pillow must decode it.

    Plain: 8-bit grey, RGB or RGBA with none of the chunks that Pillow applies
    and libspng does not (`_CHUNKS_FOR_PILLOW`). The pixels are the same as
    Pillow's (tests/test_imaging.py), and grey comes from Pillow's own
    conversion. libspng reads the drawing page's 280x280 RGBA canvas in about
    0.1 ms, Pillow in 0.7 ms (its zlib inflates slowly), on the 2-core
    development machine. Data that libspng cannot read goes to Pillow too,
    which names the problem.
    """
    if pyspng is None or not _is_plain_png(data):
        return None
    try:
        pixels = pyspng.load(bytes(data))
    except (RuntimeError, ValueError, MemoryError):
        return None
    if pixels.ndim == 2:
        return pixels
    mode = "RGBA" if pixels.shape[2] == 4 else "RGB"
    image = Image.frombuffer(mode, (pixels.shape[1], pixels.shape[0]), pixels, "raw", mode, 0, 1)
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    # Opaque (the page's canvas): alpha, the high byte of each little-endian RGBA word, is 255 everywhere.
    if mode == "RGB" or int(pixels.view("<u4").min()) >= 0xFF000000:
        return gray
    return _flatten_alpha(gray, pixels[..., 3])


def _is_plain_png(data: bytes) -> bool:
    """8-bit grey, RGB or RGBA, and no chunk in `_CHUNKS_FOR_PILLOW` (a walk over the chunk headers)."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        return False
    bit_depth, colour_type = data[24], data[25]
    if bit_depth != 8 or colour_type not in _PLAIN_PNG_COLOUR_TYPES:
        return False
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        kind = bytes(data[position + 4 : position + 8])
        if kind in _CHUNKS_FOR_PILLOW:
            return False
        if kind == b"IEND":
            break
        position += 12 + int.from_bytes(data[position : position + 4], "big")  # length, type, data, CRC
    return True


def _apply_orientation(image: Image.Image) -> Image.Image:
    """Rotate as the EXIF Orientation tag says; a broken EXIF block is ignored, not fatal.

    In place: otherwise Pillow returns a copy even of an upright image, 40 ms
    for a 12-megapixel photo.
    """
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except _PILLOW_FAILURES as exc:
        logger.warning("ignoring unreadable EXIF orientation: %s", exc)
    return image


def _to_gray(image: Image.Image) -> np.ndarray:
    """Any Pillow mode -> (H, W) uint8, scaling wide samples and resolving transparency."""
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        return _wide_to_gray(image)
    if image.mode in ALPHA_MODES or "transparency" in image.info:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        # Pillow's RGBA -> L ignores alpha: the grey of the colour, as RGB -> L gives.
        return _flatten_alpha(np.asarray(rgba.convert("L"), dtype=np.uint8), np.asarray(rgba.getchannel("A")))
    if image.mode == "L":
        return np.asarray(image, dtype=np.uint8)
    if image.mode == "1":
        return np.asarray(image.convert("L"), dtype=np.uint8)
    rgb = image if image.mode == "RGB" else image.convert("RGB")  # convert() copies even to its own mode
    return np.asarray(rgb.convert("L"), dtype=np.uint8)


def _wide_to_gray(image: Image.Image) -> np.ndarray:
    """16-bit, 32-bit int or float samples -> (H, W) uint8, a strip of rows at a time.

    The whole of a 25-megapixel image as float64 would be 200 MB, and each step
    of the arithmetic another such copy; a strip of `_STRIP_PIXELS` keeps the
    working memory to a few MB beside the decoded image and the result, for the
    same levels (benchmarks/adversarial.py measures a server decoding such giants).
    """
    width, height = image.size
    rows = max(1, _STRIP_PIXELS // width)
    strips = [(top, min(height, top + rows)) for top in range(0, height, rows)]
    out = np.empty((height, width), dtype=np.uint8)
    if image.mode.startswith("I;16"):
        # 16-bit samples use the type's full range (a 16-bit scan spans 0..65535), so scale
        # by the type, not by this image's range, to keep its contrast. In whole numbers:
        # v / 257 is never exactly halfway between two integers, so (v + 128) // 257 rounds as rint.
        for top, bottom in strips:
            values = _strip(image, top, bottom).astype(np.uint32)
            out[top:bottom] = (values + 128) // 257
        return out
    low, high = np.inf, -np.inf
    for top, bottom in strips:  # the image's own range first: _scale_wide may stretch by it
        values = np.nan_to_num(_strip(image, top, bottom).astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        low, high = min(low, float(values.min())), max(high, float(values.max()))
    for top, bottom in strips:
        values = np.nan_to_num(_strip(image, top, bottom).astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        out[top:bottom] = _to_uint8(_scale_wide(values, image.mode, low, high))
    return out


def _strip(image: Image.Image, top: int, bottom: int) -> np.ndarray:
    return np.asarray(image.crop((0, top, image.width, bottom)))


def _scale_wide(values: np.ndarray, mode: str, low: float, high: float) -> np.ndarray:
    """32-bit int or float samples -> 0..255 floats, given the image's range `low`..`high`.

    These modes have no meaningful type range, so the values say what they are:
    0..1 floats are intensities, 0..255 is 8-bit data stored wide (kept as is),
    0..65535 is 16-bit data (scaled by that type range), and anything else is
    stretched from the image's own min..max. Only that last case stretches, so a
    faint, nearly blank image is not amplified into full-contrast noise.
    """
    if mode == "F" and low >= 0 and high <= 1:
        return values * 255.0
    if low >= 0 and high <= 255:
        return values
    if low >= 0 and high <= 65535:
        return values / 257.0
    return (values - low) * (255.0 / (high - low))


def _flatten_alpha(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Grey (H, W) uint8 with its alpha (H, W) uint8, composited onto the background that keeps
    the opaque pixels visible. An opaque image (a canvas with its paper) is returned as it is.

    In whole numbers: (grey * a + background * (255 - a)) / 255 never lies exactly halfway
    between two integers, so adding 127 before dividing rounds as np.rint would.
    """
    if int(alpha.min()) == 255:
        return gray
    weights = alpha.astype(np.uint32)
    background = _background_for(gray, weights)
    return ((gray * weights + background * (255 - weights) + 127) // 255).astype(np.uint8)


def _background_for(gray: np.ndarray, alpha: np.ndarray) -> int:
    """White behind dark opaque pixels, black behind light ones.

    A canvas exported without a background is transparent with opaque ink. Black
    ink is the common case and goes onto white; white ink would vanish on white,
    so when the alpha-weighted mean of the opaque pixels is light (above mid-grey)
    the background is black instead. A fully transparent image becomes white
    (and is then blank, which preprocessing reports).
    """
    weight = int(alpha.sum(dtype=np.uint64))  # alpha: uint32, 0..255
    if weight == 0:
        return 255
    weighted_grey = int((gray * alpha).sum(dtype=np.uint64))
    return 0 if 2 * weighted_grey > 255 * weight else 255  # mean above 127.5


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def decode_data_url(text: str) -> bytes:
    """The bytes of a `data:image/...;base64,...` URL (or of bare base64).

    Raises ImageDecodeError for text that is not valid base64, so a bad upload
    is a client error, never a crash.
    """
    text = text.strip()
    if text.startswith("data:"):
        header, comma, payload = text.partition(",")
        if not comma or ";base64" not in header:
            raise ImageDecodeError("the data URL is not base64-encoded (expected data:image/png;base64,...)")
    else:
        payload = text
    try:
        return base64.b64decode(payload.replace(" ", "+").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageDecodeError(f"the image is not valid base64 ({exc})") from exc


def encode_png(gray: np.ndarray) -> bytes:
    """(H, W) uint8 -> 8-bit grayscale PNG bytes.

    Written here rather than by Pillow: the service encodes two small images
    per request, and for a 28x28 image Pillow's setup costs far more than the
    compression itself (about 200 against 10 microseconds on the development
    machine). Pillow decodes the result like any other PNG (tests/test_imaging.py).
    """
    pixels = np.ascontiguousarray(gray, dtype=np.uint8)
    if pixels.ndim != 2 or 0 in pixels.shape:
        raise ValueError(f"encode_png takes a non-empty (H, W) array, got shape {pixels.shape}")
    height, width = pixels.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # each row starts with filter type 0 (none)
    rows[:, 1:] = pixels
    return b"".join((
        _PNG_SIGNATURE,
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)),  # 8-bit gray
        _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), _PNG_COMPRESSION)),
        _png_chunk(b"IEND", b""),
    ))  # fmt: skip


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def thumbnail_png(gray: np.ndarray, longest_side: int = 96) -> bytes:
    """A small PNG of an input image, for history lists (the image itself when already small)."""
    if max(gray.shape[:2]) <= longest_side:
        return encode_png(gray)
    image = Image.fromarray(np.ascontiguousarray(gray, dtype=np.uint8))
    image.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
    return encode_png(np.asarray(image))
