"""Printed structure is not ink: rules, squared paper, boxes, in black and in drop-out colours."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitrec.errors import EmptyDrawingError
from digitrec.preprocess import to_mnist
from digitrec.rules import printed_lines

PAPER = 245
# Printed lines in black, and in light blue as a scanner's grey conversion sees it (drop-out colour).
COLOURS = {"black": 40, "light-blue": 185}


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.astype(float).ravel(), b.astype(float).ravel())[0, 1])


def blobs(image: np.ndarray) -> int:
    from scipy import ndimage as ndi

    return ndi.label(image > 64, structure=np.ones((3, 3)))[1]


def page(size: tuple[int, int], digit: np.ndarray, at: tuple[int, int], height: int = 120) -> Image.Image:
    """An MNIST digit drawn dark on paper, `height` px tall, its box's top-left at `at`."""
    image = Image.new("L", size, PAPER)
    ink = Image.fromarray(digit).resize((height, height), Image.Resampling.BICUBIC)
    image.paste(Image.new("L", ink.size, 20), at, mask=ink)
    return image


def with_lines(image: Image.Image, level: int, rows=(), columns=(), width: int = 2, tilt: float = 0.0) -> np.ndarray:
    """Printed lines under the digit: the digit's ink stays on top, as a pen's does over print."""
    lines = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(lines)
    w, h = image.size
    for y in rows:
        draw.line([(0, y), (w, y + tilt * w)], fill=255, width=width)
    for x in columns:
        draw.line([(x, 0), (x - tilt * h, h)], fill=255, width=width)
    paper = Image.new("L", image.size, level)
    out = np.asarray(image).copy()
    under = (np.asarray(lines) > 0) & (out >= PAPER - 5)  # not where the digit is
    out[under] = np.asarray(paper)[under]
    return out


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("tilt", [0.0, 0.02])
def test_ruled_lines_are_not_ink(mnist, colour, tilt):
    clean = page((200, 190), mnist.test.images[0], (40, 30))  # a 7, its bar and stem crossing the rules
    ruled = with_lines(clean, COLOURS[colour], rows=(10, 55, 100, 145, 180), tilt=tilt)
    expected, result = to_mnist(np.asarray(clean)).image, to_mnist(ruled).image
    assert correlation(result, expected) > 0.95
    assert blobs(result) == blobs(expected)  # the strokes crossing the rules are whole


@pytest.mark.parametrize("colour", COLOURS)
def test_squared_paper_is_not_ink(mnist, colour):
    clean = page((190, 180), mnist.test.images[2], (30, 25), height=130)  # a 1
    squared = with_lines(clean, COLOURS[colour], rows=range(8, 180, 34), columns=range(15, 190, 34), width=1)
    expected, result = to_mnist(np.asarray(clean)).image, to_mnist(squared).image
    assert correlation(result, expected) > 0.95 and blobs(result) == blobs(expected)


@pytest.mark.parametrize("colour", COLOURS)
def test_a_box_around_the_digit_is_not_ink(mnist, colour):
    clean = page((170, 170), mnist.test.images[3], (25, 25))  # a 0 whose ring comes close to the box
    boxed = with_lines(clean, COLOURS[colour], rows=(18, 152), columns=(18, 152), width=3)
    boxed[:18], boxed[153:], boxed[:, :18], boxed[:, 153:] = PAPER, PAPER, PAPER, PAPER  # a box, not a grid
    expected, result = to_mnist(np.asarray(clean)).image, to_mnist(boxed).image
    assert correlation(result, expected) > 0.95 and blobs(result) == blobs(expected)


def test_a_rule_through_a_close_crop_is_not_ink(mnist):
    """No margin and a single rule: told from the handwriting by being much thinner."""
    clean = np.asarray(page((200, 200), mnist.test.images[4], (40, 40), height=160))  # a 4
    rows, cols = np.flatnonzero(clean.min(1) < 128), np.flatnonzero(clean.min(0) < 128)
    crop = np.ascontiguousarray(clean[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    ruled = with_lines(Image.fromarray(crop), COLOURS["black"], rows=(crop.shape[0] // 2,), width=2)
    assert correlation(to_mnist(ruled).image, to_mnist(crop).image) > 0.95


def test_blank_ruled_paper_is_empty():
    ruled = with_lines(Image.new("L", (200, 150), PAPER), COLOURS["black"], rows=(20, 60, 100, 140))
    with pytest.raises(EmptyDrawingError):
        to_mnist(ruled)


def seven(size: tuple[int, int], bar: tuple[int, int, int], pen: int) -> np.ndarray:
    """A 7 whose bar is a perfectly straight line (y, x0, x1), on a clean canvas."""
    image = Image.new("L", size, 255)
    y, x0, x1 = bar
    ImageDraw.Draw(image).line([(x0, y), (x1, y), (x0 + 0.4 * (x1 - x0), size[1] - 6)], fill=0, width=pen)
    return np.asarray(image)


@pytest.mark.parametrize("size, bar, pen", [((200, 200), (10, 0, 199), 12), ((280, 280), (40, 20, 260), 14),
                                            ((120, 160), (6, 0, 119), 8)])  # fmt: skip
def test_a_long_straight_stroke_of_a_digit_is_ink(size, bar, pen):
    """A 7's bar drawn with a ruler across a close crop or a whole canvas is handwriting: as thick as the rest."""
    gray = seven(size, bar, pen)
    contrast = 255 - gray
    assert printed_lines(contrast, 8.0, 100.0, gray.shape) is None


def test_printed_lines_clears_a_tilted_line_but_not_the_stroke_across_it():
    contrast = np.zeros((200, 300), np.uint8)
    image = Image.fromarray(contrast)
    draw = ImageDraw.Draw(image)
    for y in (30, 100, 170):
        draw.line([(0, y), (299, y + 9)], fill=200, width=2)  # 1.7 degrees
    draw.line([(150, 20), (160, 190)], fill=200, width=9)  # a stroke crossing all three
    contrast = np.asarray(image)
    cleared = printed_lines(contrast, 8.0, 100.0, contrast.shape)
    alone = Image.new("L", image.size, 0)
    ImageDraw.Draw(alone).line([(150, 20), (160, 190)], fill=1, width=9)
    stroke = np.asarray(alone) > 0
    lines = (contrast > 8) & ~stroke
    assert cleared is not None
    assert cleared[lines].mean() > 0.95  # the lines are gone (but where the stroke crosses)...
    assert not cleared[stroke].any()  # ...the stroke is whole
