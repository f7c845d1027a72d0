"""split_digits: lines of real MNIST digits, broken digits, touching digits, blanks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitrec.errors import EmptyDrawingError, ImageError
from digitrec.preprocess import PreprocessOptions
from digitrec.segment import merge_prior, segment_line, split_digits


def tile(digit: np.ndarray, scale: int = 4) -> np.ndarray:
    """An MNIST digit upscaled, cropped to its ink columns: white on black, float."""
    big = np.asarray(Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR))
    return big[:, big.max(axis=0) > 0].astype(np.float32)


def line(tiles: list[np.ndarray], gaps: list[int]) -> np.ndarray:
    """Tiles side by side (negative gap: overlap), drawn black on white."""
    height = tiles[0].shape[0]
    width = sum(t.shape[1] for t in tiles) + sum(gaps) + 80
    ink = np.zeros((height + 40, width), np.float32)
    x = 40
    for t, gap in zip(tiles, [0, *gaps]):
        x += gap
        ink[20 : 20 + height, x : x + t.shape[1]] = np.maximum(ink[20 : 20 + height, x : x + t.shape[1]], t)
        x += t.shape[1]
    return (255 - ink).astype(np.uint8)


@pytest.mark.parametrize("count, gap", [(2, 30), (3, 12), (4, 0), (5, -3), (6, 8)])
def test_lines_of_mnist_digits(mnist, count, gap):
    rng = np.random.default_rng(count)
    picks = rng.choice(len(mnist.test.images), count, replace=False)
    tiles = [tile(mnist.test.images[i]) for i in picks]
    crops = split_digits(line(tiles, [gap] * (count - 1)))
    assert len(crops) == count
    centres = [(c.box[0] + c.box[2]) / 2 for c in crops]
    assert centres == sorted(centres)
    for crop in crops:
        assert crop.image.shape == (28, 28) and crop.image.dtype == np.uint8 and crop.image.max() == 255


def five_with_detached_bar(draw: ImageDraw.ImageDraw, x: int) -> None:
    draw.line([(x + 10, 20), (x + 55, 20)], fill=0, width=8)  # the bar, not touching the body
    draw.line([(x + 8, 32), (x + 6, 62)], fill=0, width=8)
    draw.arc([x, 50, x + 56, 110], start=-110, end=150, fill=0, width=8)


def test_digit_in_two_pieces_is_one_box():
    image = Image.new("L", (260, 130), 255)
    draw = ImageDraw.Draw(image)
    five_with_detached_bar(draw, 20)
    draw.line([(170, 18), (170, 110)], fill=0, width=8)  # a "1" to its right
    crops = split_digits(np.asarray(image))
    assert len(crops) == 2
    assert crops[0].box[1] <= 20 and crops[0].box[3] >= 105


def test_touching_digits_are_cut_apart():
    image = Image.new("L", (200, 130), 255)
    draw = ImageDraw.Draw(image)
    for x in (20, 82):  # two "7"s; the second's bar starts where the first's ends
        draw.line([(x, 25), (x + 62, 25), (x + 25, 110)], fill=0, width=8)
    crops = split_digits(np.asarray(image))
    assert len(crops) == 2
    assert crops[0].box[0] < 25 and crops[1].box[2] > 140
    assert crops[0].box[2] <= crops[1].box[0] + 8  # the cut leaves each its own ink


def test_a_large_line_is_read_reduced_with_boxes_in_its_own_pixels(mnist):
    tiles = [tile(mnist.test.images[i], scale=10) for i in (0, 1, 2, 3)]  # 280 px tall digits
    gray = line(tiles, [61, 47, 53])
    options = PreprocessOptions(max_side=300)
    assert max(gray.shape) > 2 * options.max_side  # reduced 3x
    reduced = split_digits(gray, options)
    whole = split_digits(gray, PreprocessOptions(max_side=10_000))
    assert len(reduced) == len(whole) == 4
    factor = -(-max(gray.shape) // options.max_side)
    for small, big in zip(reduced, whole, strict=True):
        assert all(abs(a - b) <= factor for a, b in zip(small.box, big.box, strict=True)), (small.box, big.box)
        assert np.abs(small.image.astype(int) - big.image).mean() < 12


def test_blank_is_empty():
    with pytest.raises(EmptyDrawingError):
        split_digits(np.full((100, 300), 255, np.uint8))


def test_too_many_digits():
    image = Image.new("L", (400, 60), 255)
    draw = ImageDraw.Draw(image)
    for x in range(20, 380, 40):
        draw.line([(x, 10), (x, 50)], fill=0, width=5)
    with pytest.raises(ImageError, match="at most 3"):
        split_digits(np.asarray(image), max_digits=3)


def test_merge_prior_favours_close_narrow_pieces_only():
    height = 100.0
    left = (0, 0, 22, 100)
    assert merge_prior(left, (24, 10, 45, 100), height) > 0  # two halves of a narrow digit: 0.45 heights
    assert merge_prior(left, (24, 10, 80, 100), height) < merge_prior(left, (24, 10, 45, 100), height)
    assert merge_prior(left, (40, 10, 60, 100), height) < merge_prior(left, (24, 10, 45, 100), height)
    assert merge_prior(left, (60, 0, 90, 100), height) is None  # 0.3 heights apart: two digits
    assert merge_prior(left, (20, 0, 110, 100), height) is None  # together wider than any digit


def test_sliver_of_a_stroke_joins_its_digit_but_a_lone_one_stays():
    image = Image.new("L", (260, 130), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(20, 25), (82, 25), (45, 110)], fill=0, width=8)  # a "7"...
    draw.line([(98, 40), (98, 100)], fill=0, width=2)  # ...with a hairline split off its stroke
    draw.line([(190, 20), (190, 110)], fill=0, width=8)  # a "1", as wide as the strokes
    crops = split_digits(np.asarray(image))
    assert len(crops) == 2
    assert crops[0].box[2] >= 98 and crops[1].box[0] >= 180


def test_narrow_blob_is_offered_as_two_digits():
    image = Image.new("L", (200, 140), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(60, 20), (50, 115)], fill=0, width=9)  # two "1"s leaning apart,
    draw.line([(68, 20), (78, 115)], fill=0, width=9)  # touching at the top
    (blob,) = segment_line(np.asarray(image))
    assert blob.width_ratio < 0.5  # narrower than most single digits
    assert any(len(choice) == 2 for choice in blob.choices)


def test_part_much_shorter_than_the_line_is_not_offered_as_a_digit():
    image = Image.new("L", (200, 140), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(50, 20), (50, 115)], fill=0, width=9)  # a "6" drawn as a stem...
    draw.ellipse([54, 62, 104, 115], outline=0, width=8)  # ...and a bowl half the line's height
    (blob,) = segment_line(np.asarray(image))
    assert blob.width_ratio > 0.3  # wide enough to be offered cuts
    height = blob.choices[0][0].box[3] - blob.choices[0][0].box[1]
    for choice in blob.choices:  # the bowl alone would read as a confident "0"
        assert all(c.box[3] - c.box[1] >= 0.7 * height for c in choice)


# --- printed structure: comb fields and ruled lines are not digits --------------------------------


def comb_field(
    tiles: list[np.ndarray], style: str, level: int, cell: int = 150, pen: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Digits written one per cell of a printed comb field, and the same digits on plain paper.

    "boxes": a row of boxes sharing their sides; "ticks": a baseline with a short tick between cells.
    Returns (with the comb, without it), both dark on light paper.
    """
    height, margin = 140, 12
    paper = np.full((height + 2 * margin, len(tiles) * cell + 2 * margin), 245, np.float32)
    ink = np.zeros_like(paper)
    for k, t in enumerate(tiles):
        x, y = margin + k * cell + (cell - t.shape[1]) // 2, margin + (height - t.shape[0]) // 2
        ink[y : y + t.shape[0], x : x + t.shape[1]] = np.maximum(ink[y : y + t.shape[0], x : x + t.shape[1]], t / 255)
    lines = Image.new("L", (paper.shape[1], paper.shape[0]), 0)
    draw = ImageDraw.Draw(lines)
    right, bottom = margin + len(tiles) * cell, margin + height
    if style == "boxes":
        draw.rectangle([margin, margin, right, bottom], outline=255, width=pen)
        for k in range(1, len(tiles)):
            draw.line([(margin + k * cell, margin), (margin + k * cell, bottom)], fill=255, width=pen)
    else:
        draw.line([(margin, bottom), (right, bottom)], fill=255, width=pen)
        for k in range(len(tiles) + 1):
            draw.line([(margin + k * cell, bottom - 35), (margin + k * cell, bottom)], fill=255, width=pen)
    printed = np.asarray(lines, np.float32) / 255
    clean = paper * (1 - ink) + 20 * ink
    combed = (paper * (1 - printed) + level * printed) * (1 - ink) + 20 * ink
    return combed.round().astype(np.uint8), clean.round().astype(np.uint8)


@pytest.mark.parametrize("style, pen", [("boxes", 3), ("boxes", 6), ("ticks", 3)])
@pytest.mark.parametrize("level", [40, 185], ids=["black", "light-blue"])
def test_a_comb_field_gives_one_blob_per_digit(mnist, style, pen, level):
    """Box sides and ticks are not read as 1s, nor a 7's long stem as a box side; the digits
    come out as on plain paper."""
    tiles = [tile(mnist.test.images[i]) for i in (0, 2, 1, 3)]  # 7 1 2 0: a 1 among the box sides
    combed, clean = comb_field(tiles, style, level, pen=pen)
    blobs, expected = segment_line(combed), segment_line(clean)
    assert len(blobs) == len(expected) == 4
    for blob, reference in zip(blobs, expected, strict=True):
        got, want = blob.choices[0][0].image.astype(float), reference.choices[0][0].image.astype(float)
        assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.9


@pytest.mark.parametrize("margin", [False, True], ids=["rules", "rules-and-margin-line"])
def test_a_line_written_on_ruled_paper(mnist, margin):
    tiles = [tile(mnist.test.images[i]) for i in (0, 1, 2, 3, 4)]
    gray = line(tiles, [20, 25, 15, 30]).astype(np.float32)
    for y in (8, 60, 112):  # rules through the digits (their stems cross them) and above them
        gray[y : y + 2] = np.minimum(gray[y : y + 2], 60)
    if margin:  # a notebook's margin line, from top to bottom through the third digit
        x = 40 + sum(t.shape[1] for t in tiles[:2]) + 45 + tiles[2].shape[1] // 2
        gray[:, x : x + 2] = np.minimum(gray[:, x : x + 2], 60)
    crops = split_digits(gray.astype(np.uint8))
    assert len(crops) == 5
    assert all(c.box[3] - c.box[1] < 0.9 * gray.shape[0] for c in crops)  # no digit runs along a line


def _specks(count: int) -> np.ndarray:
    """A 1000 px page of `count` 3x3 dots in a square grid and a short bar, small enough that no dot
    is dropped as dust beside it."""
    side = int(np.ceil(np.sqrt(count)))
    image = Image.new("L", (1000, 1000), 255)
    draw = ImageDraw.Draw(image)
    for k in range(count):
        x, y = 20 + (k % side) * (960 // side), 20 + (k // side) * (960 // side)
        draw.rectangle([x, y, x + 2, y + 2], fill=0)
    draw.rectangle([500, 975, 505, 994], fill=0)  # 120 px: 1% of the ink or more, so not noise
    return np.asarray(image)


def test_more_marks_than_a_line_of_digits_has_are_refused_before_any_merging(monkeypatch):
    import digitrec.segment as segment
    from digitrec.errors import TooManyDigitsError

    monkeypatch.setattr(segment, "_merge_pieces", lambda *args: pytest.fail("merged a page of specks"))
    with pytest.raises(TooManyDigitsError, match="too many separate marks"):
        segment_line(_specks(900))


def test_merging_marks_takes_quadratic_not_cubic_work(monkeypatch):
    import digitrec.segment as segment

    calls = 0
    one_digit = segment._one_digit

    def counted(a, b):
        nonlocal calls
        calls += 1
        return one_digit(a, b)

    monkeypatch.setattr(segment, "_one_digit", counted)
    boxes = [(slice(10 * k, 10 * k + 5), slice(0, 5)) for k in range(150)]  # 150 marks in one column
    groups = segment._merge_overlapping([frozenset([k + 1]) for k in range(150)], boxes)
    assert groups == [frozenset(range(1, 151))]  # stacked pieces are one digit
    assert calls < 2 * 150 * 150  # starting over after each union took ~150**3 / 6
