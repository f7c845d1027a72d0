"""Where the paper is: an image's background level, and on which side of it the ink lies.

Pure functions on 8-bit grey levels, for `preprocess`.

With a margin of paper around the digit this is easy: the median of a thin
frame is the paper's level, and the ink is whatever lies furthest from it.
An image cropped close to its digit has no such margin: strokes touch the
edges, may cover more of the frame than the paper does, and a marker 0's hole
is then as much "the odd one out" as its ring. So the frame is only one cue.
When it holds ink, the image's histogram is split in two (Otsu) and each side
is judged as the paper: how much of the frame and of the image it covers, and
how broad it is (ink is strokes; paper is what lies between and around them,
broader: a 0's hole). Where those cues do not settle it, both readings are
returned and the model chooses. Where the paper was told from the ink this way,
or where ink covers much of the image, the paper's level under the strokes is
estimated from the paper alone (`paper_background`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digitrec.imageops import distance_to_background

__all__ = ["DARK_ON_LIGHT", "LIGHT_ON_DARK", "Reading", "median_level", "otsu", "paper_background", "readings"]

DARK_ON_LIGHT = "dark-on-light"
LIGHT_ON_DARK = "light-on-dark"
_LEVELS_F64 = np.arange(256, dtype=np.float64)  # the 8-bit grey levels, for sums of levels
# The frame holds ink when more than this share of it stands out towards the ink: a thin
# stroke touching one edge covers less and leaves the frame's median at the paper.
_INKED_FRAME = 0.02
# Ink covering this share of an image is dense: strokes fill whole neighbourhoods of it.
_DENSE_INK = 0.25
# Two modes, not one blurred by noise: Otsu's between-class variance over the total. A
# unimodal (Gaussian) histogram gives 2/pi = 0.64, a digit on paper above 0.85, a small
# blurred one down to 0.75 (as does uniform noise, which _SCATTERED tells apart).
_TWO_MODES = 0.7
_SCATTERED = 0.2  # ...and neighbours on either side of the split at most this share of all pairs
_BREADTH_SIDE = 96  # how broad paper and ink are is measured on a copy this size


@dataclass(frozen=True)
class Reading:
    """One way to read an image: which side is ink, and where the paper is."""

    polarity: str  # DARK_ON_LIGHT or LIGHT_ON_DARK
    background: int  # the paper's grey level
    # None: the paper is the frame (a margin around the digit). Else the grey level (Otsu's)
    # separating paper from ink: the paper is every pixel on the background's side of it.
    split: float | None = None


def readings(values: np.ndarray, counts: np.ndarray, min_contrast: float) -> list[Reading]:
    """The plausible readings of a uint8 image with histogram `counts`, the likelier first.

    One reading when the frame is paper or the cues agree; two, of opposite
    polarities, when the image could be either.
    """
    frame = np.bincount(_frame(values), minlength=256)
    background = median_level(frame)
    extremes = _extremes(counts)
    polarity = _polarity(extremes, background)
    framed = Reading(polarity, background)
    if _inked_share(frame, extremes, framed, min_contrast) <= _INKED_FRAME:
        # The frame is paper. But where ink covers much of the image (a marker digit with
        # a thin margin), no neighbourhood of the photo background's size is paper enough.
        if _inked_share(counts, extremes, framed, min_contrast) < _DENSE_INK:
            return [framed]
        split = _two_modes(values, counts, min_contrast)
        return [framed if split is None else Reading(polarity, background, split)]
    split = _two_modes(values, counts, min_contrast)
    if split is None:
        return [framed]
    light_class = int(np.floor(split)) + 1  # the first level above the split
    light_share = float(counts[light_class:].sum()) / float(counts.sum())
    frame_light = float(frame[light_class:].sum()) / float(frame.sum())
    paper = {
        DARK_ON_LIGHT: Reading(DARK_ON_LIGHT, light_class + median_level(counts[light_class:]), split),
        LIGHT_ON_DARK: Reading(LIGHT_ON_DARK, median_level(counts[:light_class]), split),
    }
    # Ink is strokes; paper is what lies between them, wider (a 0's hole, the corners around it).
    light_is_paper = _breadth(values > split) >= _breadth(values <= split)
    if light_is_paper and frame_light >= 0.5 and light_share >= 0.3:
        return [paper[DARK_ON_LIGHT]]  # and the light side holds most of the frame and much of the image
    order = (DARK_ON_LIGHT, LIGHT_ON_DARK) if light_is_paper else (LIGHT_ON_DARK, DARK_ON_LIGHT)
    return [paper[p] for p in order]


def _frame(values: np.ndarray) -> np.ndarray:
    """Pixels of a border 3% of the shorter side wide: paper, when the image has a margin."""
    k = max(1, round(0.03 * min(values.shape)))
    edges = (values[:k], values[-k:], values[:, :k], values[:, -k:])
    return np.concatenate([edge.ravel() for edge in edges])


def median_level(counts: np.ndarray) -> int:
    """The (lower) median level of a histogram of whole levels."""
    return median_of_cumulative(np.cumsum(counts))


def median_of_cumulative(cumulative: np.ndarray) -> int:
    """The (lower) median level of a histogram, from its cumulative sum."""
    return int(np.searchsorted(cumulative, (cumulative[-1] + 1) // 2))


def _extremes(counts: np.ndarray) -> tuple[int, int]:
    """The darkest and brightest levels, ignoring 0.01% at each end (a few hot pixels)."""
    cumulative = np.cumsum(counts)
    darkest = int(np.searchsorted(cumulative, 1e-4 * cumulative[-1], side="right"))
    brightest = int(np.searchsorted(cumulative, (1 - 1e-4) * cumulative[-1], side="left"))
    return darkest, brightest


def _polarity(extremes: tuple[int, int], background: int) -> str:
    """Ink is whatever lies furthest from the background level, on either side.

    Comparing extremes (not the background level against mid-grey) also works
    for dim photos, where paper may be darker than mid-grey but ink darker still.
    The 0.01% tails ignore a few hot pixels yet still see a tiny thin digit.
    """
    darkest, brightest = extremes
    if background - darkest == brightest - background:  # uniform: no ink either way
        return DARK_ON_LIGHT if background >= 128 else LIGHT_ON_DARK
    return DARK_ON_LIGHT if background - darkest > brightest - background else LIGHT_ON_DARK


def _inked_share(
    histogram: np.ndarray, extremes: tuple[int, int], reading: Reading, min_contrast: float
) -> float:
    """The share of a histogram's pixels standing out from the reading's background towards the ink,
    half-way to the image's inkiest level (of its darkest and brightest, `extremes`) or more."""
    darkest, brightest = extremes
    level = reading.background
    if reading.polarity == DARK_ON_LIGHT:
        reach = max(min_contrast, (level - darkest) / 2.0)
        inked = histogram[: max(0, int(np.ceil(level - reach)))].sum()
    else:
        reach = max(min_contrast, (brightest - level) / 2.0)
        inked = histogram[min(256, int(np.floor(level + reach)) + 1) :].sum()
    return float(inked) / float(histogram.sum())


def otsu(counts: np.ndarray, cumulative: np.ndarray | None = None) -> float:
    """Otsu's threshold of a histogram of whole levels (and, if at hand, its cumulative sum)."""
    return _otsu_split(counts, cumulative)[0]


def _otsu_split(counts: np.ndarray, cumulative: np.ndarray | None = None) -> tuple[float, float]:
    """(Otsu's threshold, its between-class variance over the total variance: 1 = two spikes).

    Level t + 0.5 splits [0..t] from the rest; the between-class variance is
    computed on counts, not probabilities (a constant factor, same maximum).
    """
    below = (np.cumsum(counts) if cumulative is None else cumulative).astype(np.float64)
    mass = np.cumsum(counts * _LEVELS_F64)  # summed levels at or below each level
    total, total_mass = below[-1], mass[-1]
    between = (total_mass * below - total * mass) ** 2 / np.maximum(below * (total - below), 1e-12)
    best = int(np.argmax(between[:-1]))
    spread = float(counts @ (_LEVELS_F64 - total_mass / total) ** 2) * total  # total variance, same units
    return best + 0.5, float(between[best]) / max(spread, 1e-12)


def _two_modes(values: np.ndarray, counts: np.ndarray, min_contrast: float) -> float | None:
    """Otsu's split when the image has two separate modes (paper and ink) in coherent regions, else None.

    Noise has one mode, or two whose pixels are scattered: about half the
    neighbours of a pixel of uniform noise are on the other side of the split,
    a few percent of a digit's (those along its outline).
    """
    split, separation = _otsu_split(counts)
    level = int(split)
    dark = median_level(counts[: level + 1])
    light = level + 1 + median_level(counts[level + 1 :])
    if separation < _TWO_MODES or light - dark < min_contrast:
        return None  # one mode (blank paper, noise) or two too close to tell paper from ink
    side = values > split
    count = np.count_nonzero
    outline = count(side[:, 1:] != side[:, :-1]) + count(side[1:] != side[:-1])
    return split if outline <= _SCATTERED * 2 * side.size else None


def _breadth(mask: np.ndarray) -> float:
    """How broad a class of pixels is: the 90th percentile of their distance to the other class.

    Measured on a copy at most _BREADTH_SIDE pixels across, the image's edge
    counting as the other class: a stroke along the edge of a close crop is as
    narrow as it looks, and a 0's hole, which no edge cuts, shows its whole width.
    """
    factor = max(1, -(-max(mask.shape) // _BREADTH_SIDE))
    small = mask[::factor, ::factor]
    if not small.any():
        return 0.0
    return float(np.percentile(distance_to_background(small, edge_is_background=True)[small], 90))


def paper_background(values: np.ndarray, paper: np.ndarray, fallback: float) -> np.ndarray:
    """A smooth estimate (float32, `values`' shape) of the paper's level under every pixel.

    The mean level of the `paper` pixels only (bool), averaged over a quarter of
    the image: uneven light is followed, yet however much of a neighbourhood the
    strokes cover, they never count. Where no paper is within reach, `fallback`.
    Computed on a 64-pixel copy (block sums of the paper and of its levels),
    where the smoothing is two small matrix products.
    """
    height, width = values.shape
    factor = min(1.0, 64.0 / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    share = _shrink(paper.astype(np.float32), size)  # (h, w) share of each block that is paper
    levels = _shrink(np.where(paper, values, 0).astype(np.float32), size)  # ...times their mean level
    sigma = 0.25 * max(size)
    rows, cols = _gaussian(size[1], sigma), _gaussian(size[0], sigma)
    weight, total = rows @ share @ cols.T, rows @ levels @ cols.T
    small = (total + 1e-3 * fallback) / (weight + 1e-3)
    return _grow(small.astype(np.float32), (width, height))


def _shrink(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    return np.asarray(image.resize(size, Image.Resampling.BOX), dtype=np.float64)


def _grow(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def _gaussian(n: int, sigma: float) -> np.ndarray:
    """(n, n) matrix that blurs a length-n signal with a Gaussian of `sigma` samples."""
    offsets = np.arange(n, dtype=np.float64)
    return np.exp(-0.5 * ((offsets[:, None] - offsets[None, :]) / max(sigma, 1e-6)) ** 2)
