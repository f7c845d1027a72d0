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


SEEDS = [encode(digit(size=(24, 16)), fmt) for fmt in ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]]


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
    assert image.size == (300, 200)
    assert image_to_gray(image).shape == (200, 300)
    with pytest.raises(ImageTooLargeError):
        open_image(buffer.getvalue(), DecodeLimits(max_pixels=300 * 200 - 1))
