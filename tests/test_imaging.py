"""decode_image: formats, modes, transparency, orientation, limits and hostile bytes."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from digitrec import imaging
from digitrec.errors import ImageDecodeError, ImageError, ImageTooLargeError, UnsupportedImageTypeError
from digitrec.imaging import DecodeLimits, decode_image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def digit(mode: str = "L", size: tuple[int, int] = (40, 30), ink=0, paper=255) -> Image.Image:
    """A black bar on white, left half of the image: easy to locate after decoding."""
    image = Image.new(mode, size, paper)
    ImageDraw.Draw(image).rectangle([4, 4, size[0] // 2, size[1] - 5], fill=ink)
    return image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_formats_round_trip(fmt):
    gray = decode_image(encode(digit(), fmt))
    assert gray.shape == (30, 40) and gray.dtype == np.uint8
    assert gray[10, 10] < 40 and gray[15, 35] > 215


@pytest.mark.parametrize(
    "mode, ink, paper",
    [("1", 0, 1), ("L", 0, 255), ("RGB", (0, 0, 0), (255, 255, 255)), ("CMYK", (0, 0, 0, 255), (0, 0, 0, 0))],
)
def test_modes(mode, ink, paper):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    gray = decode_image(encode(digit(mode, ink=ink, paper=paper), fmt))
    assert gray[10, 10] < 40 and gray[15, 35] > 215


def test_palette_mode():
    image = digit("RGB", ink=(0, 0, 0), paper=(255, 255, 255)).convert("P", palette=Image.Palette.ADAPTIVE)
    gray = decode_image(encode(image, "PNG"))
    assert gray[10, 10] < 40 and gray[15, 35] > 215


def test_blue_ink_is_dark():
    gray = decode_image(encode(digit("RGB", ink=(20, 40, 200), paper=(250, 245, 235)), "PNG"))
    assert gray[10, 10] < 90 and gray[15, 35] > 215


def test_sixteen_bit_uses_the_type_range():
    values = np.full((30, 40), 65535, dtype=np.uint16)
    values[4:25, 4:20] = 0
    values[0, 0] = 32768
    gray = decode_image(encode(Image.fromarray(values), "PNG"))
    assert gray[10, 10] == 0 and gray[15, 35] == 255 and gray[0, 0] == 128


def test_float_tiff_scaled_not_clipped():
    values = np.full((30, 40), 1.0, dtype=np.float32)
    values[4:25, 4:20] = 0.0
    gray = decode_image(encode(Image.fromarray(values), "TIFF"))
    assert gray[10, 10] == 0 and gray[15, 35] == 255


@pytest.mark.parametrize(
    "mode, values",
    [
        ("I;16", np.arange(700 * 600, dtype=np.uint32).reshape(600, 700) % 65536),  # every 16-bit level
        ("F", np.linspace(-3.5, 9e4, 700 * 600).reshape(600, 700)),  # stretched by its own range
        ("F", np.linspace(0, 1, 700 * 600).reshape(600, 700)),  # 0..1 intensities
        ("I", np.linspace(0, 65535, 700 * 600).reshape(600, 700).astype(np.int64)),  # 16-bit data stored wide
    ],
)
def test_wide_samples_are_scaled_a_strip_at_a_time_to_the_whole_image_levels(mode, values, monkeypatch):
    """Strips of rows (here 3 rows each) give the levels the float64 formula gives the whole image at once."""
    monkeypatch.setattr(imaging, "_STRIP_PIXELS", 3 * 700)
    dtype = {"I;16": np.uint16, "F": np.float32, "I": np.int32}[mode]
    image = Image.fromarray(values.astype(dtype))
    assert image.mode == mode
    if mode == "F":
        image.putpixel((5, 7), float("nan"))  # not a number: black, and left out of the range
    wide = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0)
    low, high = float(wide.min()), float(wide.max())
    if mode == "I;16":
        expected = wide / 257.0
    elif mode == "F" and low >= 0 and high <= 1:
        expected = wide * 255.0
    elif low >= 0 and high <= 65535:
        expected = wide / 257.0
    else:
        expected = (wide - low) * (255.0 / (high - low))
    expected = np.clip(np.rint(expected), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(imaging._to_gray(image), expected)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_transparent_canvas_with_black_ink_goes_onto_white(mode):
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([4, 4, 20, 25], fill=(0, 0, 0, 255))
    gray = decode_image(encode(image.convert(mode), "PNG"))
    assert gray[10, 10] < 30 and gray[15, 35] > 225


def test_transparent_canvas_with_white_ink_goes_onto_black():
    image = Image.new("RGBA", (40, 30), (255, 255, 255, 0))
    ImageDraw.Draw(image).rectangle([4, 4, 20, 25], fill=(255, 255, 255, 255))
    gray = decode_image(encode(image, "PNG"))
    assert gray[10, 10] > 225 and gray[15, 35] < 30


def test_palette_with_transparency_index():
    image = digit("P", ink=1, paper=0)
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)  # 0 white (transparent), 1 black
    gray = decode_image(encode(image, "PNG", transparency=0))
    assert gray[10, 10] < 30 and gray[15, 35] > 225


def test_animated_gif_gives_first_frame():
    first, second = digit(), Image.new("L", (40, 30), 0)
    data = encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    gray = decode_image(data)
    assert gray[10, 10] < 40 and gray[15, 35] > 215


@pytest.mark.parametrize("orientation, dark_corner", [(6, (0, -1)), (8, (-1, 0))])
def test_exif_orientation_is_applied(orientation, dark_corner):
    image = Image.new("L", (40, 20), 255)
    ImageDraw.Draw(image).rectangle([0, 0, 7, 7], fill=0)  # dark top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    gray = decode_image(encode(image, "JPEG", exif=exif.tobytes()))
    assert gray.shape == (40, 20)  # rotated a quarter turn
    row, col = dark_corner
    assert gray[row * 3 if row >= 0 else -3, col * 3 if col >= 0 else -3] < 60


@pytest.mark.parametrize("orientation, dark_corner", [(3, (-1, -1)), (6, (0, -1))])
def test_exif_orientation_of_a_colour_jpeg_is_applied(orientation, dark_corner):
    """Colour JPEGs are decoded straight to grey (the JPEG's luma); the rotation still follows."""
    image = Image.new("RGB", (40, 20), (250, 240, 230))
    ImageDraw.Draw(image).rectangle([0, 0, 7, 7], fill=(20, 30, 160))  # dark blue top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    gray = decode_image(encode(image, "JPEG", exif=exif.tobytes()))
    assert gray.shape == ((20, 40) if orientation == 3 else (40, 20))
    row, col = dark_corner
    assert gray[row * 3 if row >= 0 else -3, col * 3 if col >= 0 else -3] < 80
    assert gray[gray.shape[0] // 2, gray.shape[1] // 2] > 200


def test_colour_jpeg_grey_is_its_rgb_converted_to_grey():
    rng = np.random.default_rng(3)
    photo = Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).resize((256, 192))
    data = encode(photo, "JPEG", quality=90)
    with Image.open(io.BytesIO(data)) as decoded:
        expected = np.asarray(decoded.convert("RGB").convert("L"), dtype=int)
    difference = np.abs(decode_image(data).astype(int) - expected)
    # The same luma up to rounding, except where a saturated colour was clipped to RGB's range.
    assert (difference <= 1).mean() > 0.99 and difference.max() <= 8


def test_one_pixel_image():
    assert decode_image(encode(Image.new("L", (1, 1), 7), "PNG")).tolist() == [[7]]


def with_ihdr_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite the IHDR width/height (and its CRC) of a PNG: a header that lies."""
    start = 8 + 8  # signature, then the IHDR chunk's length and type
    body = struct.pack(">II", width, height) + png[start + 8 : start + 13]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + body))
    return png[:start] + body + crc + png[start + 17 :]


@pytest.mark.parametrize("side", [100_000, 6_000])
def test_huge_pixel_count_rejected_from_header(side):
    data = with_ihdr_size(encode(Image.new("L", (8, 8), 255), "PNG"), side, side)
    with pytest.raises(ImageTooLargeError) as caught:
        decode_image(data)
    assert caught.value.unit == "pixels" and caught.value.actual == side * side


def test_pixel_limit_is_configurable():
    data = encode(Image.new("L", (200, 200), 255), "PNG")
    with pytest.raises(ImageTooLargeError):
        decode_image(data, DecodeLimits(max_pixels=199 * 200))
    assert decode_image(data, DecodeLimits(max_pixels=200 * 200)).shape == (200, 200)


def test_too_many_bytes():
    data = encode(digit(), "PNG")
    with pytest.raises(ImageTooLargeError) as caught:
        decode_image(data, DecodeLimits(max_bytes=len(data) - 1))
    assert caught.value.unit == "bytes" and caught.value.limit == len(data) - 1


@pytest.mark.parametrize("data", [b"", b"hello, not an image", bytes(range(256)) * 4])
def test_not_an_image(data):
    with pytest.raises(ImageDecodeError):
        decode_image(data)


def test_truncated_png():
    data = encode(Image.effect_noise((64, 64), 60), "PNG")
    with pytest.raises(ImageDecodeError, match="PNG"):
        decode_image(data[: len(data) // 2])


@pytest.mark.parametrize("fmt, name", [("PDF", "PDF"), ("ICO", "ICO"), ("TGA", "TGA"), ("PCX", "PCX")])
def test_other_formats_are_named_and_refused(fmt, name):
    with pytest.raises(UnsupportedImageTypeError, match=name):
        decode_image(encode(digit("RGB", ink=(0, 0, 0), paper=(255, 255, 255)), fmt))


SEEDS = [encode(digit(size=(24, 16)), fmt) for fmt in ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]] + [
    encode(digit(mode, size=(24, 16), ink=(0,) * len(mode), paper=(255,) * len(mode)), "PNG") for mode in ("RGB", "RGBA")
]  # fmt: skip


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "overwrite"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at : at + 4] = draw(st.binary(min_size=4, max_size=4))
    return bytes(data)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")  # Pillow on corrupt data
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=256), mutated()))
def test_fuzz_only_typed_errors(data):
    try:
        gray = decode_image(data)
    except ImageError:
        return
    assert gray.ndim == 2 and gray.dtype == np.uint8


@pytest.mark.parametrize("shape", [(28, 28), (1, 1), (3, 200), (97, 5)])
def test_encode_png_is_a_png_that_pillow_reads_back_exactly(shape):
    from digitrec.imaging import encode_png

    gray = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    png = encode_png(gray)
    with Image.open(io.BytesIO(png)) as image:
        image.load()  # checks each chunk's CRC and the zlib stream
        assert image.format == "PNG" and image.mode == "L" and image.size == shape[::-1]
        assert np.array_equal(np.asarray(image), gray)
    assert np.array_equal(decode_image(png), gray)


@pytest.mark.parametrize("bad", [np.zeros((0, 5), np.uint8), np.zeros((4, 4, 3), np.uint8), np.zeros(7, np.uint8)])
def test_encode_png_refuses_what_is_not_a_grayscale_image(bad):
    from digitrec.imaging import encode_png

    with pytest.raises(ValueError, match="encode_png"):
        encode_png(bad)


def test_thumbnail_keeps_a_small_image_and_shrinks_a_large_one():
    from digitrec.imaging import thumbnail_png

    small = np.random.default_rng(1).integers(0, 256, (28, 40), dtype=np.uint8)
    assert np.array_equal(decode_image(thumbnail_png(small)), small)
    large = np.zeros((300, 150), np.uint8)
    assert decode_image(thumbnail_png(large)).shape == (96, 48)


def test_open_image_reads_the_size_before_decoding():
    from digitrec.imaging import image_to_gray, open_image

    buffer = io.BytesIO()
    Image.new("L", (300, 200), 9).save(buffer, format="PNG")
    image = open_image(buffer.getvalue())
    assert (image.width, image.height) == (300, 200)
    assert image_to_gray(image).shape == (200, 300)
    with pytest.raises(ImageTooLargeError):
        open_image(buffer.getvalue(), DecodeLimits(max_pixels=300 * 200 - 1))


# --- plain PNGs: libspng where its wheel is installed, Pillow elsewhere; the same pixels -----------

COLOUR_TYPES = {"L": 0, "RGB": 2, "RGBA": 6}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def filtered(pixels: np.ndarray, kind: int) -> bytes:
    """PNG scanlines of (H, W, channels) uint8 pixels, every row with filter `kind` (0 none .. 4 Paeth)."""
    height, width, channels = pixels.shape
    raw = pixels.reshape(height, width * channels).astype(np.int16)
    left = np.pad(raw, ((0, 0), (channels, 0)))[:, : raw.shape[1]]
    up = np.pad(raw, ((1, 0), (0, 0)))[:height]
    up_left = np.pad(up, ((0, 0), (channels, 0)))[:, : raw.shape[1]]
    guess = left + up - up_left
    near_left, near_up, near_up_left = abs(guess - left), abs(guess - up), abs(guess - up_left)
    paeth = np.where((near_left <= near_up) & (near_left <= near_up_left), left,
                     np.where(near_up <= near_up_left, up, up_left))  # fmt: skip
    predictor = [np.zeros_like(raw), left, up, (left + up) // 2, paeth][kind]
    rows = np.concatenate([np.full((height, 1), kind), (raw - predictor) % 256], axis=1)
    return rows.astype(np.uint8).tobytes()


def png_of(pixels: np.ndarray, mode: str, kind: int, interlaced: bool) -> bytes:
    """A PNG written by hand: the given row filter, Adam7-interlaced or not (Pillow writes neither choice)."""
    pixels = pixels.reshape(*pixels.shape[:2], -1)
    height, width = pixels.shape[:2]
    passes = [pixels[y::dy, x::dx] for x, y, dx, dy in ADAM7] if interlaced else [pixels]
    scanlines = b"".join(filtered(part, kind) for part in passes if part.size)
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPES[mode], 0, 0, int(interlaced))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"".join([b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(scanlines)),
                     chunk(b"IEND", b"")])  # fmt: skip


def scene(mode: str, seed: int = 0) -> np.ndarray:
    """Noise over gradients, opaque or with varied alpha: every predictor has something to predict."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:37, 0:53]
    base = (3 * x + 5 * y) % 256
    channels = [(base + 40 * c + rng.integers(0, 24, base.shape)) % 256 for c in range(len(mode))]
    return np.stack(channels, axis=-1).astype(np.uint8).squeeze()


def pillow_only(monkeypatch) -> None:
    monkeypatch.setattr(imaging, "pyspng", None)


@pytest.mark.parametrize("interlaced", [False, True])
@pytest.mark.parametrize("kind", range(5))
@pytest.mark.parametrize("mode", COLOUR_TYPES)
@pytest.mark.parametrize("decoder", ["libspng", "pillow"])
def test_plain_png_gives_the_same_grey_with_either_decoder(decoder, mode, kind, interlaced, monkeypatch):
    if decoder == "libspng" and imaging.pyspng is None:
        pytest.skip("no pyspng wheel for this platform")
    if decoder == "pillow":
        pillow_only(monkeypatch)
    pixels = scene(mode)
    data = png_of(pixels, mode, kind, interlaced)
    assert imaging._is_plain_png(data)
    expected = np.asarray(Image.fromarray(pixels, mode).convert("L"))
    if mode == "RGBA":  # partly transparent: composited onto black behind light ink, else white
        alpha = pixels[..., 3] / 255.0
        paper = 0.0 if (expected * alpha).sum() / alpha.sum() > 127.5 else 255.0
        expected = np.rint(expected * alpha + paper * (1.0 - alpha)).astype(np.uint8)
    assert np.array_equal(decode_image(data), expected)


@pytest.mark.parametrize("ink, background", [((0, 128), 255), ((128, 256), 0)])
def test_alpha_compositing_matches_floating_point(ink, background):
    """Dark ink goes onto white, light ink onto black, rounded exactly as float64 rint would round."""
    rng = np.random.default_rng(background)
    gray = rng.integers(*ink, (64, 64), dtype=np.uint8)
    alpha = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    blend = gray * (alpha / 255.0) + background * (1.0 - alpha / 255.0)
    assert np.array_equal(imaging._flatten_alpha(gray, alpha), np.rint(blend).astype(np.uint8))
    opaque = np.full_like(alpha, 255)
    assert imaging._flatten_alpha(gray, opaque) is gray  # a canvas with its paper: nothing to do


def test_png_exif_orientation_is_applied():
    image = Image.new("L", (40, 20), 255)
    ImageDraw.Draw(image).rectangle([0, 0, 7, 7], fill=0)  # dark top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate a quarter turn clockwise to display
    data = encode(image, "PNG", exif=exif.tobytes())
    assert not imaging._is_plain_png(data)  # eXIf: Pillow decodes it and applies the orientation
    gray = decode_image(data)
    assert gray.shape == (40, 20) and gray[3, -3] < 60


def test_png_transparency_key_is_applied():
    image = digit("RGB", ink=(0, 0, 0), paper=(200, 200, 200))
    data = encode(image, "PNG", transparency=(200, 200, 200))  # grey paper, transparent: white once composited
    assert not imaging._is_plain_png(data)
    gray = decode_image(data)
    assert gray[10, 10] < 30 and gray[15, 35] > 225


@pytest.mark.parametrize("damage", ["garbled pixel data", "cut short"])
def test_damaged_plain_png_is_a_typed_error(damage):
    data = png_of(scene("RGB"), "RGB", 4, False)
    idat = data.index(b"IDAT") + 4
    if damage == "cut short":
        data = data[: idat + 40]
    else:
        data = data[:idat] + bytes(range(7, 247)) + data[idat + 240 :]
    with pytest.raises(ImageDecodeError, match="PNG"):
        decode_image(data)
