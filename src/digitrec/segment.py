"""Split a line of handwritten digits into MNIST-like 28x28 crops, left to right.

The ink is found exactly as for one digit (`preprocess.ink_mask`: polarity,
photo flattening, thresholds, specks), then:

1. connected components (8-connectivity) of the stroke cores;
2. pieces of one digit are merged: a "5" with a detached top bar, a broken "4";
3. blobs much wider than a digit (touching digits) are cut at ink minima;
4. each digit's ink, and only its ink, goes through `preprocess.mnist_from_ink`.

Assumes one line of digits written side by side.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from digitrec.errors import EmptyDrawingError, ImageError
from digitrec.preprocess import PreprocessOptions, ink_mask, mnist_from_ink

logger = logging.getLogger(__name__)

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
# MNIST digits other than "1" are about 0.85 as wide as tall (median bbox ratio
# over 5,000 training digits); 0.8 leaves room for narrow ones.
_DIGIT_ASPECT = 0.8
_SPECK_RATIO = 0.05  # blobs under 5% of the largest blob's area are dots of dust
_SEARCH = 0.3  # look for a cut within 30% of a digit's width around where it is expected


@dataclass(frozen=True)
class DigitCrop:
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1) in the input image, exclusive
    image: np.ndarray  # (28, 28) uint8 MNIST-like, from preprocess.mnist_from_ink


@dataclass(frozen=True)
class _Piece:
    """Ink assigned to one digit: the pixels of `owner` labels within columns [x0, x1)."""

    labels: frozenset[int]
    x0: int
    x1: int


def split_digits(
    gray: np.ndarray, options: PreprocessOptions = PreprocessOptions(), max_digits: int = 32
) -> list[DigitCrop]:
    """Grayscale image of a line of digits -> one DigitCrop per digit, left to right.

    Raises EmptyDrawingError for a blank image and ImageError for more than max_digits.
    """
    ink, mask, _polarity, _photo = ink_mask(gray, options)
    labels, count = ndi.label(mask, structure=_EIGHT_CONNECTED)
    boxes = ndi.find_objects(labels)  # slices per label, label i at index i - 1
    groups = _merge_pieces(_significant(labels, count), boxes)
    if not groups:
        raise EmptyDrawingError("no digit found: the image is blank; draw one or more digits")
    heights = [_extent(boxes, group)[3] - _extent(boxes, group)[1] for group in groups]
    expected_width = _DIGIT_ASPECT * float(np.median(heights))
    pieces = [piece for group in groups for piece in _split_wide(ink, labels, boxes, group, expected_width)]
    if len(pieces) > max_digits:
        raise ImageError(
            f"found {len(pieces)} digits; at most {max_digits} can be read at once. "
            "Send fewer digits per image."
        )
    owner = _owner_map(labels)
    crops = [crop for piece in pieces if (crop := _crop(ink, owner, piece, options)) is not None]
    logger.debug("split %d components into %d digits", count, len(crops))
    return sorted(crops, key=lambda crop: crop.box[0] + crop.box[2])  # left to right by centre


def _significant(labels: np.ndarray, count: int) -> list[int]:
    """Labels of blobs that are not specks, relative to the largest blob."""
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]  # (count,)
    return [int(i) + 1 for i in np.flatnonzero(sizes >= _SPECK_RATIO * sizes.max())]


def _extent(boxes: list, group: frozenset[int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around all blobs in the group."""
    rows = [boxes[i - 1][0] for i in group]
    cols = [boxes[i - 1][1] for i in group]
    x0, y0 = min(c.start for c in cols), min(r.start for r in rows)
    return x0, y0, max(c.stop for c in cols), max(r.stop for r in rows)


def _merge_pieces(kept: list[int], boxes: list) -> list[frozenset[int]]:
    """Group blobs into digits: x-overlapping blobs first, then short pieces onto a neighbour."""
    if not kept:
        return []
    line_height = float(np.median([boxes[i - 1][0].stop - boxes[i - 1][0].start for i in kept]))
    groups = _merge_overlapping([frozenset([label]) for label in kept], boxes)
    short = [g for g in groups if _height(boxes, g) < 0.5 * line_height]
    tall = [g for g in groups if _height(boxes, g) >= 0.5 * line_height]
    for piece in short:
        # A detached bar or dot belongs to the digit it overlaps most in x, if any is near.
        overlaps = [_x_overlap(_extent(boxes, piece), _extent(boxes, g)) for g in tall]
        best = int(np.argmax(overlaps)) if overlaps else -1
        if best >= 0 and overlaps[best] >= -0.15 * line_height:
            tall[best] = tall[best] | piece
        else:
            tall.append(piece)
    return tall


def _merge_overlapping(groups: list[frozenset[int]], boxes: list) -> list[frozenset[int]]:
    """Union groups whose x-ranges overlap by half the narrower one, until none do."""
    merged = True
    while merged:
        merged = False
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                ea, eb = _extent(boxes, groups[a]), _extent(boxes, groups[b])
                if _x_overlap(ea, eb) >= 0.5 * min(ea[2] - ea[0], eb[2] - eb[0]):
                    groups[a] = groups[a] | groups.pop(b)
                    merged = True
                    break
            if merged:
                break
    return groups


def _height(boxes: list, group: frozenset[int]) -> int:
    x0, y0, x1, y1 = _extent(boxes, group)
    return y1 - y0


def _x_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    """Shared columns of two boxes; negative: the gap between them."""
    return min(a[2], b[2]) - max(a[0], b[0])


def _split_wide(
    ink: np.ndarray, labels: np.ndarray, boxes: list, group: frozenset[int], expected: float
) -> list[_Piece]:
    """Cut a blob wider than ~1.5 digits into round(width / expected) digits at ink minima."""
    x0, y0, x1, y1 = _extent(boxes, group)
    parts = int(round((x1 - x0) / max(expected, 1.0)))
    if parts < 2:
        return [_Piece(group, 0, ink.shape[1])]
    inside = np.isin(labels[y0:y1, x0:x1], list(group))
    profile = (ink[y0:y1, x0:x1] * inside).sum(axis=0)  # (x1 - x0,) ink per column
    step = (x1 - x0) / parts
    cuts = [x0 + _least_ink(profile, round(k * step), max(1, round(_SEARCH * step))) for k in range(1, parts)]
    edges = [0, *cuts, ink.shape[1]]  # outer parts keep their soft edges
    return [_Piece(group, left, right) for left, right in zip(edges, edges[1:]) if right > left]


def _least_ink(profile: np.ndarray, expected: int, window: int) -> int:
    """Column with the least ink near `expected`; ties go to the column nearest it."""
    low, high = max(1, expected - window), min(len(profile) - 1, expected + window)
    candidates = np.arange(low, high + 1)
    order = np.lexsort((np.abs(candidates - expected), profile[candidates]))
    return int(candidates[order[0]])


def _owner_map(labels: np.ndarray) -> np.ndarray:
    """Label of the nearest stroke core for every pixel, so soft edges follow their digit."""
    _, (rows, cols) = ndi.distance_transform_edt(labels == 0, return_indices=True)
    return labels[rows, cols]


def _crop(ink: np.ndarray, owner: np.ndarray, piece: _Piece, options: PreprocessOptions) -> DigitCrop | None:
    """Only this digit's ink (other digits' removed), placed MNIST-style; None if no ink."""
    own = np.zeros_like(ink)
    columns = slice(piece.x0, piece.x1)
    mine = np.isin(owner[:, columns], list(piece.labels))
    own[:, columns] = np.where(mine, ink[:, columns], 0.0)
    if not own.any():
        return None
    digit = mnist_from_ink(own, options)
    return DigitCrop(box=digit.bbox, image=digit.image)
