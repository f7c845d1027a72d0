"""Split a line of handwritten digits into MNIST-like 28x28 crops, left to right.

The ink is found exactly as for one digit (`preprocess.ink_mask`: polarity,
photo flattening, thresholds, specks; a large photo reduced first, with the
boxes reported in its own pixels), then:

1. connected components (8-connectivity) of the stroke cores;
2. pieces of one digit are merged: a "5" with a detached top bar, a broken "4";
3. blobs much wider than a digit (touching digits) are cut at ink minima;
4. each digit's ink, and only its ink, goes through `preprocess.mnist_from_ink`.

Assumes one line of digits written side by side.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from digitrec.errors import EmptyDrawingError, TooManyDigitsError
from digitrec.imageops import bounding_boxes, grow_labels, label_blobs
from digitrec.preprocess import (
    PreprocessOptions,
    box_in_input,
    estimate_stroke,
    ink_mask,
    mnist_from_ink,
    reduced_for_analysis,
)

logger = logging.getLogger(__name__)

# MNIST digits other than "1" are about 0.85 as wide as tall (median bbox ratio
# over 5,000 training digits); 0.8 leaves room for narrow ones.
_DIGIT_ASPECT = 0.8
# Whether a blob is one digit or two touching ones: a linear rule on its width (in
# line heights) and the ink at the best cut (relative to the blob's median column),
# fitted on synthetic lines of a development seed (not the benchmark's): two touching
# digits are wide and joined by little ink, a wide single digit is cut through strokes.
_SPLIT_WIDTH = 0.944
_SPLIT_CUT_INK = 0.6
_SPLIT_SHARPNESS = 2.0  # log-odds per unit of that rule; the model's certainty weighs in too
# Blobs narrower than this many line heights are always one digit. Narrow blobs are still
# offered cuts: two touching "1"s (or an "11" drawn close) are barely wider than one digit.
_SPLIT_FROM = 0.3
_MAX_PARTS = 4
# A part of a cut blob must be at least this share of the line height. Digits of a line are
# about as tall as each other, so a shorter part is a fragment (a "6"'s bowl, a "2"'s tail)
# that the model may still read confidently; fitted on development seeds 100-105.
_SHORTEST_DIGIT = 0.7
# For two parts, up to this many of the least-inked columns of the middle half are offered
# (a twentieth of the width apart). Where two digits touch, the least ink is often inside one
# of them (a 0's hollow), not where they meet; the model's certainty picks among the cuts, so
# offering more finds the meeting point. Development seeds 100-102 (1,500 lines): 3 cuts read
# 1,431 right, 5: 1,440, 8: 1,442, 12: 1,444.
_CUTS_TO_TRY = 8
_SPECK_RATIO = 0.05  # blobs under 5% of the largest blob's area are dots of dust...
_STACKED_SPECK_RATIO = 0.01  # ...unless above or below a digit and not tiny: a broken-off piece
_SEARCH = 0.3  # look for a cut within 30% of a digit's width around where it is expected
# More separate marks than this (specks dropped) are not a line of digits: a 32-digit line with
# broken strokes has well under a hundred. Refusing early bounds the work of a request.
MAX_MARKS = 200
# Whether two neighbouring blobs are one broken digit: close and together no wider
# than a digit (in line heights); the model's certainty weighs in too.
_MERGE_MAX_GAP = 0.25
_MERGE_MAX_WIDTH = 1.0
_MERGE_WIDTH = 0.6
_MERGE_GAP_WEIGHT = 2.0
_MERGE_SHARPNESS = 4.0
# A piece (a short bar or dot, or a sliver thinner than this many of the line's stroke widths:
# a stroke split along its length) joins the digit it overlaps, or one at most this many line
# heights away. Measured on development lines, lone "1"s are at least one stroke wide.
_SLIVER = 0.75
_PIECE_REACH = 0.3


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


@dataclass(frozen=True)
class Blob:
    """One group of touching ink and the ways to read it as 1, 2, ... digits."""

    width_ratio: float  # blob width / the line's median digit height
    choices: tuple[tuple[DigitCrop, ...], ...]  # ways to read it; choices[0] is the whole blob as one digit
    priors: tuple[float, ...]  # per choice: log-odds from shape alone against one digit
    # A digit broken in two side by side (a "5" whose bar came off) reads as one with the next blob:
    merged_with_next: DigitCrop | None = None  # both blobs' ink as one digit, when they are close enough
    merge_prior: float = 0.0  # log-odds from shape alone that they are one digit rather than two


def segment_line(
    gray: np.ndarray, options: PreprocessOptions = PreprocessOptions(), max_digits: int = 32
) -> list[Blob]:
    """Grayscale image of a line of digits -> its blobs, left to right, each with cut choices.

    Whether a wide blob is one wide digit or two touching ones cannot be told
    from its shape alone (a wide "5" and an overlapping "73" have the same
    box), so every plausible cut is offered and the recogniser chooses
    (`inference.Recognizer.read_array`); `split_digits` chooses by shape only.
    Raises EmptyDrawingError for a blank image, and TooManyDigitsError for more than max_digits
    digits or more than MAX_MARKS separate marks.
    """
    work, factor = reduced_for_analysis(gray, options.max_side)
    ink, mask, _polarity, _photo = ink_mask(work, options)
    labels, count = label_blobs(mask)
    boxes = bounding_boxes(labels, count)  # slices per label, label i at index i - 1
    kept = _significant(labels, count, boxes)
    if len(kept) > MAX_MARKS:
        raise TooManyDigitsError(
            f"too many separate marks to read as digits ({len(kept)}; at most {MAX_MARKS}): "
            "send an image of one line of digits"
        )
    groups = _merge_pieces(kept, boxes, estimate_stroke(mask))
    if not groups:
        raise EmptyDrawingError("no digit found: the image is blank; draw one or more digits")
    line_height = float(np.median([_height(boxes, group) for group in groups]))
    owner = grow_labels(labels, ink > 0)  # soft edges follow the digit whose stroke core is nearest
    blobs = []
    ordered = sorted(groups, key=lambda g: sum(_extent(boxes, g)[0::2]))  # left to right
    for group in ordered:
        x0, _, x1, _ = _extent(boxes, group)
        ratio = (x1 - x0) / max(line_height, 1.0)
        choices, priors = [], []
        for pieces, cut_ink in _cut_choices(ink, labels, boxes, group, _most_parts(ratio)):
            crops = tuple(c for piece in pieces if (c := _crop(ink, owner, piece, options)) is not None)
            # Every part of a cut must be a digit's height: a detached bar is not a digit.
            if len(crops) == len(pieces) and (len(crops) == 1 or _all_tall(crops, line_height)):
                choices.append(crops)
                priors.append(split_prior(ratio, cut_ink))
        blobs.append(Blob(width_ratio=ratio, choices=tuple(choices), priors=tuple(priors)))
    for i, (left, right) in enumerate(zip(ordered, ordered[1:])):
        prior = merge_prior(_extent(boxes, left), _extent(boxes, right), line_height)
        if prior is not None and (merged := _crop(ink, owner, _Piece(left | right, 0, ink.shape[1]), options)):
            blobs[i] = dataclasses.replace(blobs[i], merged_with_next=merged, merge_prior=prior)
    fewest = sum(len(blob.choices[0]) for blob in blobs)
    if fewest > max_digits:
        raise TooManyDigitsError(
            f"found {fewest} digits; at most {max_digits} can be read at once. Send fewer digits per image."
        )
    logger.debug("split %d components into %d blobs", count, len(blobs))
    return [_in_input_pixels(blob, factor, np.shape(gray)) for blob in blobs]


def _in_input_pixels(blob: Blob, factor: int, shape: tuple[int, int]) -> Blob:
    """`blob` with its crops' boxes in the pixels of the image before reduced_for_analysis."""
    if factor == 1:
        return blob

    def scaled(crop: DigitCrop) -> DigitCrop:
        return dataclasses.replace(crop, box=box_in_input(crop.box, factor, shape))

    return dataclasses.replace(
        blob, choices=tuple(tuple(scaled(crop) for crop in choice) for choice in blob.choices),
        merged_with_next=None if blob.merged_with_next is None else scaled(blob.merged_with_next),
    )  # fmt: skip


def split_prior(width_ratio: float, cut_ink: list[float]) -> float:
    """Log-odds from shape alone that a blob holds len(cut_ink) + 1 digits rather than one.

    Each cut adds evidence when the part it makes is wide and the cut crosses
    little ink; the width share is scaled so that one cut is judged on the
    whole blob's width.
    """
    evidence = 0.0
    for j, ink_at_cut in enumerate(cut_ink, start=2):
        evidence += 2.0 * width_ratio / j - _SPLIT_CUT_INK * ink_at_cut - _SPLIT_WIDTH
    return _SPLIT_SHARPNESS * evidence


def merge_prior(
    left: tuple[int, int, int, int], right: tuple[int, int, int, int], line_height: float
) -> float | None:
    """Log-odds from shape alone that two neighbouring blobs are one broken digit; None: surely not.

    Pieces of one digit are close (or overlap a little) and together no wider than a digit.
    """
    gap = -_x_overlap(left, right) / max(line_height, 1.0)  # in line heights; negative: overlap
    width = (max(left[2], right[2]) - min(left[0], right[0])) / max(line_height, 1.0)
    if gap > _MERGE_MAX_GAP or width > _MERGE_MAX_WIDTH:
        return None
    return _MERGE_SHARPNESS * (_MERGE_WIDTH - width - _MERGE_GAP_WEIGHT * max(gap, 0.0))


def split_digits(
    gray: np.ndarray, options: PreprocessOptions = PreprocessOptions(), max_digits: int = 32
) -> list[DigitCrop]:
    """Grayscale image of a line of digits -> one DigitCrop per digit, left to right, by shape alone."""
    crops: list[DigitCrop] = []
    for blob in segment_line(gray, options, max_digits):
        crops.extend(blob.choices[int(np.argmax(blob.priors))])
    return crops


def _all_tall(crops: tuple[DigitCrop, ...], line_height: float) -> bool:
    return all(c.box[3] - c.box[1] >= _SHORTEST_DIGIT * line_height for c in crops)


def _most_parts(width_ratio: float) -> int:
    """Most parts worth trying: one for a blob narrower than any two digits, then one more per 0.6 heights."""
    if width_ratio < _SPLIT_FROM:
        return 1
    return min(_MAX_PARTS, max(2, int(round(width_ratio / 0.6))))


def _significant(labels: np.ndarray, count: int, boxes: list) -> list[int]:
    """Labels of blobs that are not specks: big enough, or right above or below a big blob.

    A small piece stacked on a digit (the broken-off tail of a "9") is part of it;
    a small piece on its own is dust. Past MAX_MARKS big blobs the small ones are not
    looked at: the caller refuses the image anyway.
    """
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]  # (count,)
    big = np.flatnonzero(sizes >= _SPECK_RATIO * sizes.max())
    if len(big) > MAX_MARKS:
        return [int(i) + 1 for i in big]
    small = np.flatnonzero((sizes >= _STACKED_SPECK_RATIO * sizes.max()) & (sizes < _SPECK_RATIO * sizes.max()))
    starts = np.array([boxes[i][1].start for i in range(count)])  # x-ranges, label i + 1 at index i
    stops = np.array([boxes[i][1].stop for i in range(count)])
    # (small, big): does the small blob share columns with the big one?
    shares = (np.minimum(stops[small, None], stops[None, big]) - np.maximum(starts[small, None], starts[None, big])) > 0
    stacked = small[shares.any(axis=1)] if len(big) and len(small) else small[:0]
    return [int(i) + 1 for i in big] + [int(i) + 1 for i in stacked]


def _extent(boxes: list, group: frozenset[int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around all blobs in the group."""
    rows = [boxes[i - 1][0] for i in group]
    cols = [boxes[i - 1][1] for i in group]
    x0, y0 = min(c.start for c in cols), min(r.start for r in rows)
    return x0, y0, max(c.stop for c in cols), max(r.stop for r in rows)


def _merge_pieces(kept: list[int], boxes: list, stroke: float) -> list[frozenset[int]]:
    """Group blobs into digits: x-overlapping blobs first, then pieces onto a neighbour.

    A piece is short (under half the line height: a detached bar or dot) or a
    sliver (narrower than the line's strokes: a stroke split along its length);
    even a "1" is a full stroke wide, so neither is a digit on its own.
    """
    if not kept:
        return []
    line_height = float(np.median([boxes[i - 1][0].stop - boxes[i - 1][0].start for i in kept]))
    groups = _merge_overlapping([frozenset([label]) for label in kept], boxes)

    def is_piece(group: frozenset[int]) -> bool:
        x0, y0, x1, y1 = _extent(boxes, group)
        return y1 - y0 < 0.5 * line_height or x1 - x0 < _SLIVER * stroke

    pieces = [g for g in groups if is_piece(g)]
    whole = [g for g in groups if not is_piece(g)]
    for piece in pieces:
        # A piece belongs to the digit it overlaps most in x, if any is near.
        overlaps = [_x_overlap(_extent(boxes, piece), _extent(boxes, g)) for g in whole]
        best = int(np.argmax(overlaps)) if overlaps else -1
        if best >= 0 and overlaps[best] >= -_PIECE_REACH * line_height:
            whole[best] = whole[best] | piece
        else:
            whole.append(piece)
    return whole


def _merge_overlapping(groups: list[frozenset[int]], boxes: list) -> list[frozenset[int]]:
    """Union groups of one digit until none are left.

    Two groups are one digit when their x-ranges overlap by half the narrower
    one, or when one sits above the other (digits of a line stand side by side,
    so stacked pieces are one broken digit). Each group is checked against all
    the others until nothing joins it: only the group that grew can have new
    partners, so the work is quadratic in the number of groups, where starting
    over after every union was cubic (an image of many specks took minutes).
    """
    groups = list(groups)
    extents = [_extent(boxes, group) for group in groups]
    i = 0
    while i < len(groups):
        partner = next((j for j in range(len(groups)) if j != i and _one_digit(extents[i], extents[j])), None)
        if partner is None:
            i += 1
            continue
        a, b = extents[i], extents.pop(partner)
        groups[i] = groups[i] | groups.pop(partner)
        i -= partner < i  # the list closed up before i
        extents[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
    return groups


def _one_digit(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    x_shared = _x_overlap(a, b)
    y_shared = min(a[3], b[3]) - max(a[1], b[1])
    if x_shared >= 0.5 * min(a[2] - a[0], b[2] - b[0]):
        return True
    return x_shared > 0 and y_shared <= 0.25 * min(a[3] - a[1], b[3] - b[1])


def _height(boxes: list, group: frozenset[int]) -> int:
    x0, y0, x1, y1 = _extent(boxes, group)
    return y1 - y0


def _x_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    """Shared columns of two boxes; negative: the gap between them."""
    return min(a[2], b[2]) - max(a[0], b[0])


def _cut_choices(
    ink: np.ndarray, labels: np.ndarray, boxes: list, group: frozenset[int], most_parts: int
) -> list[tuple[list[_Piece], list[float]]]:
    """Ways to cut a blob: whole; in two at each of the few least-inked columns; in 3+ evenly.

    Each way comes with the ink at its cuts relative to the blob's median column.
    """
    ways: list[tuple[list[_Piece], list[float]]] = [([_Piece(group, 0, ink.shape[1])], [])]
    if most_parts < 2:
        return ways
    x0, y0, x1, y1 = _extent(boxes, group)
    inside = np.isin(labels[y0:y1, x0:x1], list(group))
    profile = (ink[y0:y1, x0:x1] * inside).sum(axis=0)  # (x1 - x0,) ink per column
    typical = max(float(np.median(profile)), 1e-6)
    width = x1 - x0
    # Two digits can meet anywhere in the middle half: a "1" beside a "0" is lopsided.
    middle = np.arange(width // 4, max(width // 4 + 1, 3 * width // 4))
    for cut in _spread_minima(profile, middle, _CUTS_TO_TRY, max(1, width // 20)):
        ways.append((_pieces(group, [x0 + cut], ink.shape[1]), [float(profile[cut]) / typical]))
    for parts in range(3, most_parts + 1):
        step = width / parts
        cuts = [_least_ink(profile, round(k * step), max(1, round(_SEARCH * step))) for k in range(1, parts)]
        ways.append((_pieces(group, [x0 + c for c in cuts], ink.shape[1]), [float(profile[c]) / typical for c in cuts]))
    return ways


def _spread_minima(profile: np.ndarray, columns: np.ndarray, count: int, spacing: int) -> list[int]:
    """Up to `count` columns with the least ink, at least `spacing` apart."""
    chosen: list[int] = []
    for column in columns[np.argsort(profile[columns], kind="stable")]:
        if all(abs(int(column) - c) >= spacing for c in chosen):
            chosen.append(int(column))
            if len(chosen) == count:
                break
    return chosen


def _pieces(group: frozenset[int], cuts: list[int], image_width: int) -> list[_Piece]:
    edges = [0, *cuts, image_width]  # outer parts keep their soft edges
    return [_Piece(group, left, right) for left, right in zip(edges, edges[1:]) if right > left]


def _least_ink(profile: np.ndarray, expected: int, window: int) -> int:
    """Column with the least ink near `expected`; ties go to the column nearest it."""
    low, high = max(1, expected - window), min(len(profile) - 1, expected + window)
    candidates = np.arange(low, high + 1)
    order = np.lexsort((np.abs(candidates - expected), profile[candidates]))
    return int(candidates[order[0]])


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
