"""Make any grayscale image of a digit look like an MNIST digit.

Pure functions, arrays in and arrays out; no I/O, no global state, no torch.

MNIST's construction, which `to_mnist` reproduces: white ink (255) on black (0),
the digit scaled so its longer side fills a 20x20 box (aspect kept, anti-aliased
grey edges), then placed in 28x28 with its centre of mass at pixel (14, 14).
On top of that we normalise the stroke width, because a 1 px pen on a 400 px
canvas or a 40 px marker would otherwise come out far thinner or thicker than
anything the model was trained on.

Public API:
    PreprocessOptions, Preprocessed, DigitGeometry
    to_mnist(gray, options) -> Preprocessed            # whole image, one digit
    to_mnist_candidates(gray, options) -> [Preprocessed]  # ...each plausible reading of it
    reduced_for_analysis(gray, max_side) -> (gray, factor); box_in_input(box, factor, shape)
    ink_mask(gray, options) -> (ink, mask, polarity, photo)
    mnist_from_ink(ink, options) -> DigitGeometry      # one digit's ink, any size
    estimate_stroke(mask) -> float
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digitrec.background import (
    DARK_ON_LIGHT,
    LIGHT_ON_DARK,
    Reading,
    median_level,
    otsu,
    paper_background,
    readings,
)
from digitrec.errors import EmptyDrawingError, ImageError
from digitrec.imageops import distance_to_background, label_blobs, max_filter3, smooth_background
from digitrec.rules import printed_lines

__all__ = [
    "DigitGeometry", "Preprocessed", "PreprocessOptions", "box_in_input",
    "estimate_stroke", "ink_mask", "mnist_from_ink", "reduced_for_analysis", "to_mnist", "to_mnist_candidates",
]

_LEVELS = np.arange(256, dtype=np.float32)  # the 8-bit grey levels, as a lookup table
_WHOLE_LEVELS = np.arange(256)  # ...as integers, for distances between levels
# The largest blob of a drawing holds a good share of its ink, even in a line of 32 digits;
# noise scatters it over thousands of specks.
_NOISE_SHARE = 0.01
WORK_FACTOR = 5  # one digit is reshaped at 5x its output size, where strokes are many pixels wide


@dataclass(frozen=True)
class PreprocessOptions:
    """How an image becomes an MNIST-like 28x28 digit; defaults reproduce MNIST."""

    box: int = 20  # the digit's longer side in the output (MNIST: 20)
    size: int = 28  # output side (MNIST: 28)
    # Output stroke widths in pixels, measured on 2,000 MNIST training digits with
    # estimate_stroke at the working resolution used here: mean 2.53, median 2.30,
    # 5th / 95th percentile 1.55 / 3.95. Strokes inside [thinnest, thickest] are
    # left as drawn (MNIST varies too); thinner ones grow to target, thicker ones
    # are eroded to thickest.
    target_stroke: float = 2.5
    thinnest_stroke: float = 1.55
    thickest_stroke: float = 4.0
    min_contrast: float = 32.0  # grey levels ink must stand above the background
    min_ink_fraction: float = 5e-5  # less ink than this share of the pixels is "empty"
    min_digit_extent: float = 0.02  # largest ink blob's longer side / image's longer side
    speck_ratio: float = 0.02  # blobs smaller than this share of the largest are specks
    flat_fraction: float = 0.5  # this share of pixels at the background level = a clean canvas
    # Larger images are analysed averaged down by a whole-number factor until their longer side
    # fits (a 12-megapixel phone photo: 4x, to 1008x756); results stay in the input's pixels.
    max_side: int = 1024


@dataclass(frozen=True)
class DigitGeometry:
    """One digit placed MNIST-style, and how it got there."""

    image: np.ndarray  # (size, size) uint8, white ink on black
    bbox: tuple[int, int, int, int]  # (x0, y0, x1, y1) of the ink in the given array, exclusive
    scale: float  # output pixels per input pixel
    stroke_px: float  # estimated stroke width in input pixels
    shift: tuple[float, float]  # (dx, dy) from plain bbox centring to mass centring, output px


@dataclass(frozen=True)
class Preprocessed:
    image: np.ndarray  # (28, 28) uint8, white ink on black, MNIST-like
    bbox: tuple[int, int, int, int]  # (x0, y0, x1, y1) of the ink in the input image, exclusive
    polarity: str  # "dark-on-light" or "light-on-dark": what the input was
    scale: float  # output pixels per input pixel
    stroke_px: float  # estimated stroke width in input pixels
    shift: tuple[float, float]  # (dx, dy) applied to centre the mass, output pixels
    photo: bool  # whether background flattening for uneven lighting was applied


def to_mnist(gray: np.ndarray, options: PreprocessOptions = PreprocessOptions()) -> Preprocessed:
    """Any-size grayscale image of one digit -> MNIST-like (28, 28) uint8 plus geometry.

    The likelier reading where the polarity is in doubt (see to_mnist_candidates).
    Raises EmptyDrawingError when there is no ink (blank, uniform, noise, specks).
    """
    return next(_candidates(gray, options))


def to_mnist_candidates(
    gray: np.ndarray, options: PreprocessOptions = PreprocessOptions()
) -> list[Preprocessed]:
    """Every plausible reading of one digit's image, the likelier first: to_mnist's result, then another.

    One reading when the polarity is clear; two, dark ink on light paper and
    light on dark, when it is not (an image cropped so close that strokes cover
    much of its border: is a marker 0's hole the paper or the ink?). A model
    can choose between them by how sure it is of each.
    Raises EmptyDrawingError when neither reading finds ink.
    """
    return list(_candidates(gray, options))


def _candidates(gray: np.ndarray, options: PreprocessOptions) -> Iterator[Preprocessed]:
    """Yields each reading that finds a digit, in order; raises EmptyDrawingError if none does."""
    values = _as_gray(gray)
    if (laid_out := _already_mnist(values, options)) is not None:
        yield laid_out
        return
    work, factor = reduced_for_analysis(values, options.max_side)
    for found in _inks(work, options):
        yield _placed(found, factor, values.shape, options)


def _inks(values: np.ndarray, options: PreprocessOptions) -> Iterator[_Ink]:
    """The ink of each reading of a uint8 image that has any, likelier first; EmptyDrawingError if none."""
    counts = _histogram(values)
    empty, found = None, False
    for reading in readings(values, counts, options.min_contrast):
        try:
            ink = _find_ink(values, counts, reading, options)
        except EmptyDrawingError as error:
            empty = empty or error
            continue
        found = True
        yield ink
    if not found:
        raise empty or EmptyDrawingError("no digit found: the image is blank; draw a digit")


def _placed(found: _Ink, factor: int, shape: tuple[int, int], options: PreprocessOptions) -> Preprocessed:
    """The ink found in an image reduced by `factor` from `shape`, placed MNIST-style."""
    # The window's ink: no image-sized float arrays. With no specks dropped, the
    # window is exactly the ink's box, so there is nothing to crop.
    if found.strokes.region is None:
        digit = _digit_from_crop(found.ink, (0, 0, found.ink.shape[1], found.ink.shape[0]), options)
    else:
        digit = mnist_from_ink(found.ink, options)
    x0, y0, x1, y1 = digit.bbox
    top, left = found.window[0].start, found.window[1].start
    bbox = box_in_input((x0 + left, y0 + top, x1 + left, y1 + top), factor, shape)
    return Preprocessed(
        image=digit.image, bbox=bbox, polarity=found.polarity, scale=digit.scale / factor,
        stroke_px=digit.stroke_px * factor, shift=digit.shift, photo=found.photo,
    )  # fmt: skip


def reduced_for_analysis(gray: np.ndarray, max_side: int) -> tuple[np.ndarray, int]:
    """The image to look for ink in (uint8), and the whole-number factor it was reduced by (1: none).

    An image whose longer side exceeds `max_side` is averaged over factor x factor
    blocks until it fits. A digit needs a few hundred pixels, not a phone photo's
    4032: every step costs in proportion to the pixels, so a 12-megapixel photo
    would take a second where its 1008x756 reduction takes tens of milliseconds.
    A pen stroke 4 px wide in the photo is still a pixel wide here, at half its contrast or more.
    """
    values = _as_gray(gray)
    factor = -(-max(values.shape) // max(1, max_side))  # the least factor that fits: ceil(side / max_side)
    if factor <= 1:
        return values, 1
    image = Image.frombuffer("L", (values.shape[1], values.shape[0]), np.ascontiguousarray(values), "raw", "L", 0, 1)
    return np.asarray(image.reduce(factor)), factor  # block means; a partial block at the edge too


def box_in_input(
    box: tuple[int, int, int, int], factor: int, shape: tuple[int, int]
) -> tuple[int, int, int, int]:
    """A box (x0, y0, x1, y1, exclusive) in an image reduced by `factor` -> in the (H, W) `shape` it came from."""
    if factor == 1:
        return box
    x0, y0, x1, y1 = box
    return x0 * factor, y0 * factor, min(x1 * factor, shape[1]), min(y1 * factor, shape[0])


def _already_mnist(values: np.ndarray, options: PreprocessOptions) -> Preprocessed | None:
    """The image itself when it is already laid out as MNIST, else None.

    That is: size x size, white ink on black, the ink's longer side `box` (one
    pixel of slack for other renderers) and its centre of mass within a pixel of
    the centre, strong and plentiful enough ink. Every one of MNIST's 70,000
    digits passes (longer side exactly 20, mass within half a pixel of the centre,
    peak >= 254, at least 27 full pixels of ink), and so do images cut from it:
    re-rendering them through the working resolution would only soften them, at
    twenty times the cost of the check (2.1 against 0.09 ms per MNIST test digit
    on the 2-core development machine). Anything else takes the full path.
    """
    size, box = options.size, options.box
    if values.shape != (size, size):
        return None
    box_of_ink = _extent(values > 0)
    if box_of_ink is None or values.max() < 200:
        return None
    x0, y0, x1, y1 = box_of_ink
    mass = values.astype(np.float32)
    total = float(mass.sum())
    if not box - 1 <= max(x1 - x0, y1 - y0) <= box + 1 or total < 25 * 255:
        return None
    centre = np.arange(size, dtype=np.float32) - size / 2.0
    dy, dx = float(mass.sum(axis=1) @ centre) / total, float(mass.sum(axis=0) @ centre) / total
    if max(abs(dx), abs(dy)) > 1.0:
        return None
    return Preprocessed(
        image=values.copy(), bbox=(x0, y0, x1, y1), polarity=LIGHT_ON_DARK, scale=1.0,
        stroke_px=_outline_stroke(values >= 128), shift=(0.0, 0.0), photo=False,
    )  # fmt: skip


def _outline_stroke(mask: np.ndarray) -> float:
    """Stroke width as ink area over half its outline: a stroke w wide and L long has area wL and
    outline about 2L. Pixel edges overcount a slanted outline by 4/pi on average. On MNIST test
    digits its median (2.36 px) matches estimate_stroke's (2.33 px) at a fraction of the cost,
    though single digits differ by up to a third; pass-through images report only this one.
    """
    count = np.count_nonzero
    inner = count(mask[:, 1:] != mask[:, :-1]) + count(mask[1:] != mask[:-1])
    border = count(mask[0]) + count(mask[-1]) + count(mask[:, 0]) + count(mask[:, -1])  # the image's edge
    return 2.0 * count(mask) / max((inner + border) * np.pi / 4.0, 1.0)


# --- finding the ink ----------------------------------------------------------


def ink_mask(
    gray: np.ndarray, options: PreprocessOptions = PreprocessOptions()
) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """Separate ink from background in a grayscale image of any polarity or lighting.

    Returns (ink, mask, polarity, photo): ink is (H, W) float32 in 0..1 (how much
    ink, background exactly 0, anti-aliased edges kept), mask is the (H, W) bool
    core of the strokes with specks removed. Raises EmptyDrawingError if no ink.
    """
    found = next(_inks(_as_gray(gray), options))  # the likelier reading
    ink = np.zeros(found.shape, dtype=np.float32)
    mask = np.zeros(found.shape, dtype=bool)
    ink[found.window] = found.ink
    mask[found.window] = found.core
    return ink, mask, found.polarity, found.photo


@dataclass(frozen=True)
class _Ink:
    """The ink of an image, inside the window (rows, columns) that holds all of it."""

    shape: tuple[int, int]  # the whole image's
    window: tuple[slice, slice]
    ink: np.ndarray  # float32 0..1 over the window
    strokes: _Strokes
    polarity: str
    photo: bool

    @property
    def core(self) -> np.ndarray:
        """Bool stroke cores over the window (only ink_mask needs them as pixels)."""
        return self.strokes.core()


def _find_ink(values: np.ndarray, counts: np.ndarray, reading: Reading, options: PreprocessOptions) -> _Ink:
    """Everything ink_mask does for one reading of a uint8 image with histogram `counts`, kept to
    the window with ink.

    Statistics come from 256-bin histograms of 8-bit grey levels, and only the
    window is ever converted to float: an image-sized float array per step would
    cost more than all the arithmetic (fresh large arrays mean page faults).
    """
    background = reading.background
    dark_ink = reading.polarity == DARK_ON_LIGHT
    if dark_ink:
        # MNIST is white ink on black; measure everything as "brighter = more ink".
        counts, background = counts[::-1], 255 - background
    if _is_flat(counts, background, options.flat_fraction):
        # A clean canvas: contrast is the distance from the background level, so its
        # histogram is the image's, shifted, and only the window needs computing.
        contrast_counts = _shifted(counts, background)
        high, low = _thresholds(contrast_counts, options.min_contrast, dense=reading.split is not None)
        window = _window(_contrast_above(values, background, low, dark_ink))
        part = _canvas_contrast(values[window], background, dark_ink)
        photo = False
    else:
        contrast = _photo_contrast(values, reading)
        contrast_counts = _histogram(contrast)
        high, low = _thresholds(contrast_counts, options.min_contrast, dense=reading.split is not None)
        window = _window(contrast > low)
        part = contrast[window]
        photo = True
    part, contrast_counts, high, window = _without_printed_lines(
        part, contrast_counts, high, low, window, values.shape, options.min_contrast, reading.split is not None
    )
    # Every pixel above `low` lies in the window, so the image's contrast histogram
    # above `low` is the window's: the strokes' statistics come from it for free.
    strokes = _strokes(part, contrast_counts, high, low, options, values.shape)
    return _Ink(values.shape, window, _soft_ink(strokes), strokes, reading.polarity, photo)


def _photo_contrast(values: np.ndarray, reading: Reading) -> np.ndarray:
    """How far each pixel of a photo stands out from the paper under it, towards the ink (uint8)."""
    dark_ink = reading.polarity == DARK_ON_LIGHT
    if reading.split is None:  # a margin of paper all round: the usual smooth background will do
        return _flatten(255 - values if dark_ink else values)
    paper = values > reading.split if dark_ink else values <= reading.split
    level = paper_background(values, paper, reading.background)
    difference = level - values if dark_ink else values - level
    return np.rint(np.clip(difference, 0.0, 255.0)).astype(np.uint8)


def _without_printed_lines(
    part: np.ndarray, contrast_counts: np.ndarray, high: float, low: float,
    window: tuple[slice, slice], image_shape: tuple[int, int], min_contrast: float, dense: bool,
) -> tuple[np.ndarray, np.ndarray, float, tuple[slice, slice]]:
    """The window's contrast with printed lines (rules, grids, boxes) cleared, and what depends on it.

    Returns (part, contrast_counts, high, window): the histogram adjusted for the
    cleared pixels, the stroke threshold recomputed without the lines, and the
    window shrunk to what is left above `low` (unchanged, so that every pixel
    above it stays in the window).
    """
    lines = printed_lines(part, low, high, image_shape, (window[0].start, window[1].start))
    if lines is None:
        return part, contrast_counts, high, window
    cleaned = np.where(lines, np.uint8(0), part)
    contrast_counts = contrast_counts - _histogram(part) + _histogram(cleaned)
    high = max(_thresholds(contrast_counts, min_contrast, dense)[0], low)
    rows, cols = _window(cleaned > low)
    inner = (slice(window[0].start + rows.start, window[0].start + rows.stop),
             slice(window[1].start + cols.start, window[1].start + cols.stop))  # fmt: skip
    return cleaned[rows, cols], contrast_counts, high, inner


def _histogram(values: np.ndarray) -> np.ndarray:
    """Counts of each level 0..255 of a uint8 array (Pillow's loop: 3x faster than np.bincount)."""
    values = np.ascontiguousarray(values)
    image = Image.frombuffer("L", (values.shape[1], values.shape[0]), values, "raw", "L", 0, 1)
    return np.array(image.histogram(), dtype=np.int64)


def _shifted(counts: np.ndarray, background: int) -> np.ndarray:
    """The histogram of max(level - background, 0) from the histogram of the levels."""
    shifted = np.zeros(256, dtype=counts.dtype)
    shifted[: 256 - background] = counts[background:]
    shifted[0] += counts[:background].sum()
    return shifted


def _contrast_above(values: np.ndarray, background: int, level: float, dark_ink: bool) -> np.ndarray:
    """Where the ink contrast of a clean canvas exceeds `level`, compared on the raw grey levels.

    `background` is in ink units (inverted when the ink is dark), as _canvas_contrast takes it.
    """
    step = _least_level_above(level)
    if dark_ink:
        return values <= (255 - background) - step  # at least `step` below the paper
    return values >= background + step


def _least_level_above(threshold: float) -> int:
    """The least whole grey level above `threshold`: level > threshold exactly when level >= this."""
    return int(np.floor(threshold)) + 1


def _canvas_contrast(values: np.ndarray, background: int, dark_ink: bool) -> np.ndarray:
    """How far each pixel of a clean canvas stands out from its background towards the ink (uint8)."""
    if dark_ink:
        paper = np.uint8(255 - background)
        return paper - np.minimum(values, paper)
    return np.maximum(values, np.uint8(background)) - np.uint8(background)


def _window(candidates: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns holding any candidate pixel (all of them when there is none)."""
    box = _extent(candidates)
    if box is None:
        return slice(0, candidates.shape[0]), slice(0, candidates.shape[1])
    x0, y0, x1, y1 = box
    return slice(y0, y1), slice(x0, x1)


def _extent(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of a 2-D bool array's True pixels, exclusive; None when there are none."""
    rows = mask.any(axis=1).nonzero()[0]
    if rows.size == 0:
        return None
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    cols = mask[top:bottom].any(axis=0).nonzero()[0]  # only the rows with any
    return int(cols[0]), top, int(cols[-1]) + 1, bottom


def _as_gray(gray: np.ndarray) -> np.ndarray:
    """Any 2-D numeric array of grey levels 0..255 -> uint8 (bool: True is white)."""
    values = np.asarray(gray)
    if values.ndim != 2 or not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
        raise ImageError(f"expected a 2-D grayscale array, got shape {values.shape} of {values.dtype}")
    if values.size == 0:
        raise EmptyDrawingError("no digit found: the image has no pixels")
    if values.dtype == np.uint8:
        return values
    if values.dtype == bool:
        return values.astype(np.uint8) * np.uint8(255)
    return np.clip(np.rint(np.nan_to_num(values.astype(np.float64))), 0, 255).astype(np.uint8)


def _is_flat(counts: np.ndarray, background: int, flat_fraction: float) -> bool:
    """A drawn canvas has most pixels at exactly its background level; a photo does not."""
    return float(counts[max(0, background - 3) : background + 4].sum()) >= flat_fraction * float(counts.sum())


def _flatten(values: np.ndarray) -> np.ndarray:
    """Subtract a smooth background estimate (uneven light, paper tone) from a photo; uint8.

    The background is the 25th percentile in windows a quarter of the image wide,
    computed at 64 px resolution (fast, and strokes are averaged away), so ink
    that covers up to three quarters of a window does not leak into it.
    """
    height, width = values.shape
    values = values.astype(np.float32)
    factor = min(1.0, 64.0 / max(height, width))
    small = _resize(values, (max(1, round(width * factor)), max(1, round(height * factor))))
    background = smooth_background(small, window=max(3, round(0.25 * max(small.shape))), percentile=25)
    return np.rint(np.clip(values - _resize(background, (width, height)), 0.0, 255.0)).astype(np.uint8)


def _thresholds(counts: np.ndarray, min_contrast: float, dense: bool = False) -> tuple[float, float]:
    """(high, low) from the contrast histogram: stroke cores exceed high; soft edges and faint parts exceed low.

    high is Otsu's threshold, but never inside the noise (median + 5 robust sigmas)
    and never below min_contrast, so blank paper and pure noise give no ink.
    The noise is the paper's: in an image cropped close to dense ink (`dense`: its
    paper was told from its ink by their two modes), whose median may be ink, the
    noise comes from the levels below Otsu's threshold only.
    """
    cumulative = np.cumsum(counts)  # Otsu needs it too
    split = otsu(counts, cumulative)
    paper = np.where(_WHOLE_LEVELS < split, counts, 0) if dense else counts
    median = median_level(paper)
    deviations = np.bincount(np.abs(_WHOLE_LEVELS - median), weights=paper)
    sigma = 1.4826 * median_level(deviations)
    noise = median + 5.0 * sigma
    high = max(split, noise, min_contrast)
    return high, max(noise, 0.25 * min_contrast)


@dataclass(frozen=True)
class _Strokes:
    """Where the strokes are in a window of contrast, and the grey levels of their cores."""

    contrast: np.ndarray  # uint8 over the window
    high: float  # stroke cores stand above this
    low: float  # faint stroke edges stand above this
    region: np.ndarray | None  # bool: the strokes and their faint edges; None = all of contrast > low
    core_counts: np.ndarray  # how many core pixels have each contrast level 0..255

    def core(self) -> np.ndarray:
        cores = self.contrast > self.high
        return cores if self.region is None else cores & self.region


def _strokes(
    contrast: np.ndarray, contrast_counts: np.ndarray, high: float, low: float,
    options: PreprocessOptions, image_shape: tuple[int, int],
) -> _Strokes:
    """Stroke cores (> high) and everything faint connected to them (> low).

    Hysteresis in one labelling: blobs of the faint mask are strokes when they hold
    a core not much smaller than the largest one; the rest are specks. `contrast`
    is the window of the image that holds every pixel above `low` (and no empty
    border), `contrast_counts` the histogram of the whole image's contrast;
    `image_shape` is the whole image's, which the emptiness thresholds are
    relative to. Raises EmptyDrawingError if no ink.
    """
    faint = contrast > low
    labels, count = label_blobs(faint)
    blank = "no digit found: the image is blank (no ink stands out from the background); draw a digit"
    if count == 1:
        # One blob (most drawn digits): every core pixel is in it, its box is the whole
        # window, and the histogram above `high` is the cores' (high >= low).
        region = None
        core_counts = contrast_counts.copy()
        core_counts[: _least_level_above(high)] = 0
        x0, y0, x1, y1 = 0, 0, labels.shape[1], labels.shape[0]
    else:
        cores = contrast > high
        sizes = np.bincount(labels[cores], minlength=count + 1)  # core pixels per blob
        sizes[0] = 0
        if count == 0 or sizes.max() == 0:
            raise EmptyDrawingError(blank)
        if sizes.max() < _NOISE_SHARE * sizes.sum():  # dust all over and no stroke: noise
            raise EmptyDrawingError(blank.replace("(no ink", "(only noise, no ink"))
        keep = sizes >= options.speck_ratio * sizes.max()  # lookup table: label -> a stroke
        keep[0] = False
        region = np.take(keep, labels)
        core_counts = np.bincount(contrast[cores & region], minlength=256)
        x0, y0, x1, y1 = _bounding_box(labels == int(np.argmax(sizes)))
    core_pixels = int(core_counts.sum())
    if core_pixels == 0:
        raise EmptyDrawingError(blank)
    extent = max(x1 - x0, y1 - y0)
    too_little = core_pixels < options.min_ink_fraction * image_shape[0] * image_shape[1]
    if too_little or extent < max(3, options.min_digit_extent * max(image_shape)):
        raise EmptyDrawingError(blank.replace("(no ink", "(only tiny specks or noise, no ink"))
    return _Strokes(contrast, high, low, region, core_counts)


def _soft_ink(strokes: _Strokes) -> np.ndarray:
    """Grey-level ink (float32 0..1) inside the strokes' region, 0 elsewhere.

    Keeping grey levels rather than the binary mask keeps anti-aliased strokes smooth.
    """
    in_core = np.cumsum(strokes.core_counts)
    level = max(1, int(np.searchsorted(in_core, 0.9 * in_core[-1])))  # "full ink", robust to hot pixels
    # Ink per grey level as a 256-entry table (0 up to `low`): one lookup per pixel, not several passes.
    ink_of_level = np.minimum(_LEVELS * np.float32(1.0 / level), np.float32(1.0))
    ink_of_level[: _least_level_above(strokes.low)] = 0.0
    ink = np.take(ink_of_level, strokes.contrast)
    return ink if strokes.region is None else np.multiply(ink, strokes.region, out=ink)


def _resize(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Float image -> (size[1], size[0]); area-averaged when shrinking, bilinear when growing."""
    height, width = values.shape
    shrinking = size[0] <= width and size[1] <= height
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    return np.asarray(image.resize(size, resample), dtype=np.float32)


# --- geometry: one digit's ink -> 28x28 -----------------------------------------


def mnist_from_ink(ink: np.ndarray, options: PreprocessOptions = PreprocessOptions()) -> DigitGeometry:
    """One digit's ink (float 0..1, white on black, any size) -> MNIST-placed 28x28.

    Crops to the ink, works at a resolution where strokes are several pixels wide,
    normalises the stroke width, scales the longer side to `box` and centres the
    mass. segment.py calls this on each separated digit.
    """
    ink = np.asarray(ink, dtype=np.float32)
    x0, y0, x1, y1 = _bounding_box(ink > 0)
    return _digit_from_crop(ink[y0:y1, x0:x1], (x0, y0, x1, y1), options)


def _digit_from_crop(
    crop: np.ndarray, bbox: tuple[int, int, int, int], options: PreprocessOptions
) -> DigitGeometry:
    """mnist_from_ink for ink already cropped to its box (float32), which lies at `bbox` in its image."""
    outline = _outline_stroke(_core(crop))
    if options.thinnest_stroke <= outline * options.box / max(crop.shape) <= options.thickest_stroke:
        # Strokes already MNIST-like by the cheap estimate: placed as drawn, no working copy.
        image, scale, shift = _place(crop, options)
        return DigitGeometry(image, bbox, scale, outline, shift)
    work, work_scale = _working_copy(crop, options.box)
    widths = _ridge_widths(_core(work))
    stroke = float(np.median(widths)) if widths.size else 0.0
    work = _normalise_stroke(work, stroke, widths, options)
    image, scale, shift = _place(work, options)
    return DigitGeometry(image, bbox, scale * work_scale, stroke / work_scale, shift)


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    box = _extent(mask)
    if box is None:
        raise EmptyDrawingError("no digit found: the image is blank (there is no ink); draw a digit")
    return box


def _working_copy(crop: np.ndarray, box: int) -> tuple[np.ndarray, float]:
    """Resample so the longer side is WORK_FACTOR times `box` (100 px for MNIST).

    Enough that MNIST-like strokes (~2.5 output px) are ~12 px wide, so the width
    estimate's half-pixel error is small; no more, because every later step costs
    in proportion to the pixels (a 1000 px photo would otherwise cost 100x more).
    """
    longer = max(crop.shape)
    factor = WORK_FACTOR * box / longer
    if factor == 1.0:
        return crop, 1.0
    height, width = crop.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.clip(_resize(crop, size), 0.0, 1.0), factor


def _core(ink: np.ndarray) -> np.ndarray:
    # Half the peak, not a fixed 0.5, so faint (thin, downsampled) ink still has a core.
    return ink >= 0.5 * float(ink.max())


def estimate_stroke(mask: np.ndarray) -> float:
    """Stroke width in pixels: the median of the widths along the strokes' ridge."""
    widths = _ridge_widths(mask)
    return float(np.median(widths)) if widths.size else 0.0


def _ridge_widths(mask: np.ndarray) -> np.ndarray:
    """Local stroke widths at the ridge (local maxima of the distance to the edge).

    A pixel centre at distance d from the nearest background pixel centre lies
    d - 0.5 from the edge, so the stroke there is 2d - 1 wide: exact for odd
    widths, 1 px low for even ones; 2d - 0.5 splits that error.
    """
    distance = distance_to_background(mask, edge_is_background=True)
    ridge = mask & (distance >= max_filter3(distance))
    return np.maximum(1.0, 2.0 * distance[ridge] - 0.5)


def _normalise_stroke(
    work: np.ndarray, stroke: float, widths: np.ndarray, options: PreprocessOptions
) -> np.ndarray:
    """Grow thin strokes to the target width and thin down very thick ones.

    `widths` are the stroke widths along the ridge of `work`, `stroke` their median.
    Growing a stroke by 2r also grows the digit by 2r, so the radius solves
    (stroke + 2r) * box / (longer + 2r) = goal.
    """
    if widths.size == 0:
        return work
    longer, box = max(work.shape), options.box
    predicted = stroke * box / longer
    if options.thinnest_stroke <= predicted <= options.thickest_stroke:
        return work
    goal = options.target_stroke if predicted < options.thinnest_stroke else options.thickest_stroke
    radius = (goal * longer - stroke * box) / (2.0 * (box - goal))
    if radius > 0:
        return _dilate(work, radius)
    # Strokes vary along a digit; cap the erosion so the thinner parts survive.
    return _erode(work, min(-radius, 0.4 * float(np.percentile(widths, 10))))


def _dilate(work: np.ndarray, radius: float) -> np.ndarray:
    pad = int(np.ceil(radius)) + 1
    padded = _padded(work, pad)
    distance = distance_to_background(~_core(padded))  # 0 on the strokes
    # Coverage of a pixel whose centre is `distance` from the nearest stroke pixel centre.
    grown = np.clip(radius + 1.0 - distance, 0.0, 1.0)
    return np.maximum(padded, grown).astype(np.float32)


def _erode(work: np.ndarray, radius: float) -> np.ndarray:
    distance = distance_to_background(_core(work), edge_is_background=True)
    return (work * np.clip(distance - radius, 0.0, 1.0)).astype(np.float32)


def _place(work: np.ndarray, options: PreprocessOptions) -> tuple[np.ndarray, float, tuple[float, float]]:
    """Scale the longer side to `box`, then shift by whole pixels to put the mass at the centre.

    The box is measured on the stroke body (ink >= 0.25), so a faint blur halo does
    not shrink the digit; the halo is still resampled, one output pixel around it.
    MNIST shifted by whole pixels too: its centres of mass sit at (14, 14) with a
    spread of 0.29 px, a uniform rounding error.
    """
    x0, y0, x1, y1 = _bounding_box(work >= 0.25 * float(work.max()))
    scale = options.box / max(x1 - x0, y1 - y0)
    width, height = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    margin = 1.0 / scale  # one output pixel, in working pixels
    pad = int(np.ceil(2 * margin)) + 1  # rounding the size can add half an output pixel
    left, top = x0 + pad - margin, y0 + pad - margin
    region = (left, top, left + width / scale + 2 * margin, top + height / scale + 2 * margin)
    padded = _padded(work, pad)  # the resize box may not leave the image
    image = Image.frombuffer("F", (padded.shape[1], padded.shape[0]), padded, "raw", "F", 0, 1)
    digit = image.resize((width + 2, height + 2), Image.Resampling.BOX, box=region)
    digit = np.asarray(digit, dtype=np.float32)  # (height + 2, width + 2), >= 0: box averages
    digit = digit / max(float(digit.max()), 1e-6)  # MNIST strokes peak at 255
    digit = _trim(digit, 0.5 / 255.0)  # empty halo rows would only limit how far it can shift
    top, left = _centre_offsets(digit, options.size)
    image = np.zeros((options.size, options.size), dtype=np.float32)
    image[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    # (dx, dy) from centring the digit's box to centring its mass, in output pixels.
    shift = (left - (options.size - digit.shape[1]) / 2.0, top - (options.size - digit.shape[0]) / 2.0)
    return np.rint(image * 255.0).astype(np.uint8), scale, shift


def _padded(work: np.ndarray, pad: int) -> np.ndarray:
    """`work` (float32) with `pad` zero pixels around it; np.pad does the same at several times the cost."""
    out = np.zeros((work.shape[0] + 2 * pad, work.shape[1] + 2 * pad), dtype=np.float32)
    out[pad : pad + work.shape[0], pad : pad + work.shape[1]] = work
    return out


def _trim(digit: np.ndarray, level: float) -> np.ndarray:
    x0, y0, x1, y1 = _bounding_box(digit > level)
    return digit[y0:y1, x0:x1]


def _centre_offsets(digit: np.ndarray, size: int) -> tuple[int, int]:
    """(top, left) putting the centre of mass nearest (size/2, size/2), digit kept inside."""
    total = float(digit.sum())
    row = float(digit.sum(axis=1) @ np.arange(digit.shape[0])) / total
    col = float(digit.sum(axis=0) @ np.arange(digit.shape[1])) / total
    top = min(max(round(size / 2.0 - row), 0), size - digit.shape[0])  # Python scalars: numpy's
    left = min(max(round(size / 2.0 - col), 0), size - digit.shape[1])  # cost microseconds each
    return top, left
