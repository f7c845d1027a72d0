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
    ink_mask(gray, options) -> (ink, mask, polarity, photo)
    mnist_from_ink(ink, options) -> DigitGeometry      # one digit's ink, any size
    estimate_stroke(mask) -> float
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage as ndi

from digitrec.errors import EmptyDrawingError, ImageError

__all__ = [
    "DigitGeometry", "Preprocessed", "PreprocessOptions",
    "estimate_stroke", "ink_mask", "mnist_from_ink", "to_mnist",
]

DARK_ON_LIGHT = "dark-on-light"
LIGHT_ON_DARK = "light-on-dark"
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)  # pen strokes touch diagonally too
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

    Raises EmptyDrawingError when there is no ink (blank, uniform, noise, specks).
    """
    ink, _mask, polarity, photo = ink_mask(gray, options)
    digit = mnist_from_ink(ink, options)
    return Preprocessed(
        image=digit.image, bbox=digit.bbox, polarity=polarity, scale=digit.scale,
        stroke_px=digit.stroke_px, shift=digit.shift, photo=photo,
    )


# --- finding the ink ----------------------------------------------------------


def ink_mask(
    gray: np.ndarray, options: PreprocessOptions = PreprocessOptions()
) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """Separate ink from background in a grayscale image of any polarity or lighting.

    Returns (ink, mask, polarity, photo): ink is (H, W) float32 in 0..1 (how much
    ink, background exactly 0, anti-aliased edges kept), mask is the (H, W) bool
    core of the strokes with specks removed. Raises EmptyDrawingError if no ink.
    """
    values = _as_gray(gray)  # (H, W) float32, 0..255
    background = float(np.median(_frame(values)))
    polarity = _polarity(values, background)
    if polarity == DARK_ON_LIGHT:
        # MNIST is white ink on black; measure everything as "brighter = more ink".
        values, background = 255.0 - values, 255.0 - background
    photo = not _is_flat(values, background, options.flat_fraction)
    contrast = _flatten(values) if photo else np.maximum(values - background, 0.0)
    high, low = _thresholds(contrast, options.min_contrast)
    # Labelling blobs is the costly part: do it only where anything stands out.
    window = _window(contrast > low)
    part = contrast[window]
    core, region = _strokes(part, high, low, options, contrast.shape)
    mask = np.zeros(contrast.shape, dtype=bool)
    ink = np.zeros(contrast.shape, dtype=np.float32)
    mask[window] = core
    ink[window] = _soft_ink(part, core, region)
    return ink, mask, polarity, photo


def _window(candidates: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns holding any candidate pixel (all of them when there is none)."""
    rows, cols = np.flatnonzero(candidates.any(axis=1)), np.flatnonzero(candidates.any(axis=0))
    if rows.size == 0:
        return slice(None), slice(None)
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _as_gray(gray: np.ndarray) -> np.ndarray:
    values = np.asarray(gray)
    if values.ndim != 2 or not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
        raise ImageError(f"expected a 2-D grayscale array, got shape {values.shape} of {values.dtype}")
    if values.size == 0:
        raise EmptyDrawingError("no digit found: the image has no pixels")
    return values.astype(np.float32) * (255.0 if values.dtype == bool else 1.0)


def _frame(values: np.ndarray) -> np.ndarray:
    """Pixels of a border 3% of the shorter side wide: almost always background."""
    k = max(1, round(0.03 * min(values.shape)))
    edges = (values[:k], values[-k:], values[:, :k], values[:, -k:])
    return np.concatenate([edge.ravel() for edge in edges])


def _polarity(values: np.ndarray, background: float) -> str:
    """Ink is whatever lies furthest from the background level, on either side.

    Comparing extremes (not the background level against mid-grey) also works
    for dim photos, where paper may be darker than mid-grey but ink darker still.
    The 0.01% tails ignore a few hot pixels yet still see a tiny thin digit.
    """
    darkest, brightest = _tails(values, 1e-4)
    if background - darkest == brightest - background:  # uniform: no ink either way
        return DARK_ON_LIGHT if background >= 128 else LIGHT_ON_DARK
    return DARK_ON_LIGHT if background - darkest > brightest - background else LIGHT_ON_DARK


def _tails(values: np.ndarray, share: float) -> tuple[float, float]:
    """The `share` and 1 - `share` quantiles; from a 256-bin count when values are whole grey levels.

    Decoded images are whole numbers 0..255, where counting is ~20x faster than sorting.
    """
    if values.min() >= 0 and values.max() <= 255 and np.array_equal(values[::7, ::7], np.rint(values[::7, ::7])):
        counts = np.cumsum(np.bincount(values.astype(np.uint8).ravel(), minlength=256))
        total = counts[-1]
        low = int(np.searchsorted(counts, share * total, side="right"))
        high = int(np.searchsorted(counts, (1 - share) * total, side="left"))
        return float(low), float(high)
    low, high = np.quantile(values, [share, 1 - share])
    return float(low), float(high)


def _is_flat(values: np.ndarray, background: float, flat_fraction: float) -> bool:
    """A drawn canvas has most pixels at exactly its background level; a photo does not."""
    return float(np.mean(np.abs(values - background) <= 3.0)) >= flat_fraction


def _flatten(values: np.ndarray) -> np.ndarray:
    """Subtract a smooth background estimate (uneven light, paper tone) from a photo.

    The background is the 25th percentile in windows a quarter of the image wide,
    computed at 64 px resolution (fast, and strokes are averaged away), so ink
    that covers up to three quarters of a window does not leak into it.
    """
    height, width = values.shape
    factor = min(1.0, 64.0 / max(height, width))
    small = _resize(values, (max(1, round(width * factor)), max(1, round(height * factor))))
    window = max(3, round(0.25 * max(small.shape)))
    background = ndi.percentile_filter(small, 25, size=window, mode="nearest")
    background = ndi.gaussian_filter(background, window / 4.0, mode="nearest")
    return np.maximum(values - _resize(background, (width, height)), 0.0)


def _thresholds(contrast: np.ndarray, min_contrast: float) -> tuple[float, float]:
    """(high, low): stroke cores exceed high; their soft edges and faint parts exceed low.

    high is Otsu's threshold, but never inside the noise (median + 5 robust sigmas)
    and never below min_contrast, so blank paper and pure noise give no ink.
    """
    # Noise statistics describe the background, so every 4th pixel of every 4th row is plenty.
    sample = contrast[::4, ::4]
    median = float(np.median(sample))
    sigma = 1.4826 * float(np.median(np.abs(sample - median)))
    noise = median + 5.0 * sigma
    high = max(_otsu(contrast), noise, min_contrast)
    return high, max(noise, 0.25 * min_contrast)


def _otsu(values: np.ndarray) -> float:
    top = float(values.max())
    if top <= 0:
        return 0.0
    # np.bincount of the bin index: the same 256-bin histogram as np.histogram, much faster.
    bins = np.minimum((values.ravel() * (256.0 / top)).astype(np.intp), 255)
    hist = np.bincount(bins, minlength=256)
    edges = np.linspace(0.0, top, 257)
    p = hist / hist.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w0, m0 = np.cumsum(p), np.cumsum(p * centres)
    between = (m0[-1] * w0 - m0) ** 2 / np.maximum(w0 * (1.0 - w0), 1e-12)
    return float(edges[int(np.argmax(between[:-1])) + 1])


def _strokes(
    contrast: np.ndarray, high: float, low: float, options: PreprocessOptions, image_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(core, region): stroke cores (> high) and everything faint connected to them (> low).

    Hysteresis in one labelling: blobs of the faint mask are strokes when they hold
    a core not much smaller than the largest one; the rest are specks. `contrast`
    may be a window of the image; `image_shape` is the whole image's, which the
    emptiness thresholds are relative to. Raises EmptyDrawingError if no ink.
    """
    labels, count = ndi.label(contrast > low, structure=_EIGHT_CONNECTED)
    cores = contrast > high
    sizes = np.bincount(labels[cores], minlength=count + 1)  # core pixels per blob
    sizes[0] = 0
    blank = "no digit found: the image is blank (no ink stands out from the background); draw a digit"
    if count == 0 or sizes.max() == 0:
        raise EmptyDrawingError(blank)
    keep = sizes >= options.speck_ratio * sizes.max()  # lookup table: label -> a stroke
    keep[0] = False
    region = keep[labels]
    core = cores & region
    largest = ndi.find_objects(labels, max_label=int(np.argmax(sizes)))[-1]
    extent = max(s.stop - s.start for s in largest)
    too_little = core.sum() < options.min_ink_fraction * image_shape[0] * image_shape[1]
    if too_little or extent < max(3, options.min_digit_extent * max(image_shape)):
        raise EmptyDrawingError(blank.replace("(no ink", "(only tiny specks or noise, no ink"))
    return core, region


def _soft_ink(contrast: np.ndarray, core: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Grey-level ink inside the strokes' region, 0 elsewhere.

    Keeping grey levels rather than the binary mask keeps anti-aliased strokes smooth.
    """
    level = float(np.percentile(contrast[core], 90))  # "full ink", robust to a few hot pixels
    return np.where(region, np.clip(contrast / level, 0.0, 1.0), 0.0).astype(np.float32)


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
    work, work_scale = _working_copy(ink[y0:y1, x0:x1], options.box)
    widths = _ridge_widths(_core(work))
    stroke = float(np.median(widths)) if widths.size else 0.0
    work = _normalise_stroke(work, widths, options)
    image, scale, shift = _place(work, options)
    return DigitGeometry(image, (x0, y0, x1, y1), scale * work_scale, stroke / work_scale, shift)


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise EmptyDrawingError("no digit found: the image is blank (there is no ink); draw a digit")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


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
    distance = ndi.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    ridge = mask & (distance >= ndi.maximum_filter(distance, size=3))
    return np.maximum(1.0, 2.0 * distance[ridge] - 0.5)


def _normalise_stroke(work: np.ndarray, widths: np.ndarray, options: PreprocessOptions) -> np.ndarray:
    """Grow thin strokes to the target width and thin down very thick ones.

    `widths` are the stroke widths along the ridge of `work`. Growing a stroke
    by 2r also grows the digit by 2r, so the radius solves
    (stroke + 2r) * box / (longer + 2r) = goal.
    """
    if widths.size == 0:
        return work
    stroke, longer, box = float(np.median(widths)), max(work.shape), options.box
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
    padded = np.pad(work, pad)
    distance = ndi.distance_transform_edt(~_core(padded))  # 0 on the strokes
    # Coverage of a pixel whose centre is `distance` from the nearest stroke pixel centre.
    grown = np.clip(radius + 1.0 - distance, 0.0, 1.0)
    return np.maximum(padded, grown).astype(np.float32)


def _erode(work: np.ndarray, radius: float) -> np.ndarray:
    distance = ndi.distance_transform_edt(np.pad(_core(work), 1))[1:-1, 1:-1]
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
    image = Image.fromarray(np.pad(work, pad).astype(np.float32))
    digit = image.resize((width + 2, height + 2), Image.Resampling.BOX, box=region)
    digit = np.asarray(digit, dtype=np.float32)  # (height + 2, width + 2)
    digit = np.clip(digit, 0.0, None) / max(float(digit.max()), 1e-6)  # MNIST strokes peak at 255
    digit = _trim(digit, 0.5 / 255.0)  # empty halo rows would only limit how far it can shift
    return _centre_mass(digit, options.size), scale, _centring_shift(digit, options.size)


def _trim(digit: np.ndarray, level: float) -> np.ndarray:
    x0, y0, x1, y1 = _bounding_box(digit > level)
    return digit[y0:y1, x0:x1]


def _centre_offsets(digit: np.ndarray, size: int) -> tuple[int, int]:
    """(top, left) putting the centre of mass nearest (size/2, size/2), digit kept inside."""
    row, col = ndi.center_of_mass(digit)
    top = int(np.clip(np.rint(size / 2.0 - row), 0, size - digit.shape[0]))
    left = int(np.clip(np.rint(size / 2.0 - col), 0, size - digit.shape[1]))
    return top, left


def _centre_mass(digit: np.ndarray, size: int) -> np.ndarray:
    top, left = _centre_offsets(digit, size)
    image = np.zeros((size, size), dtype=np.float32)
    image[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return np.rint(image * 255.0).astype(np.uint8)


def _centring_shift(digit: np.ndarray, size: int) -> tuple[float, float]:
    """(dx, dy) from centring the digit's box to centring its mass, in output pixels."""
    top, left = _centre_offsets(digit, size)
    return left - (size - digit.shape[1]) / 2.0, top - (size - digit.shape[0]) / 2.0
