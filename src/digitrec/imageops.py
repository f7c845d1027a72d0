"""The few image operations preprocessing needs beyond NumPy and Pillow.

Connected components come from `cc3d` and exact Euclidean distance transforms
from `edt`: two small compiled libraries that need only NumPy. SciPy's ndimage
does the same, but importing it costs a serving process about 29 MiB (it pulls
in scipy.special), more than everything else preprocessing loads together.

Pure functions, arrays in and arrays out.
"""

from __future__ import annotations

import cc3d
import edt
import numpy as np
from PIL import Image, ImageFilter

__all__ = [
    "block_any", "bounding_boxes", "distance_to_background", "grow_labels", "label_blobs", "max_filter3",
    "smooth_background",
]  # fmt: skip


def label_blobs(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected blobs of a 2-D bool mask (pen strokes touch diagonally too).

    Returns (labels, count): labels 1..count numbered in raster order, 0 off the mask.
    """
    # As uint8, not bool: cc3d 4.1's bool fast path mislabels some thin diagonal strokes
    # (tests/test_imageops.py checks the partition against scipy on random masks).
    mask = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)  # a view, not a copy
    labels, count = cc3d.connected_components(mask, connectivity=8, return_N=True)
    return labels, int(count)


def bounding_boxes(labels: np.ndarray, count: int) -> list[tuple[slice, slice]]:
    """(rows, columns) slices of each label's box; label i at index i - 1 (as scipy's find_objects)."""
    rows, cols = np.nonzero(labels)
    which = labels[rows, cols].astype(np.intp)
    edges = []
    for coordinate in (rows, cols):
        low = np.full(count + 1, np.iinfo(np.intp).max, dtype=np.intp)
        high = np.full(count + 1, -1, dtype=np.intp)
        np.minimum.at(low, which, coordinate)
        np.maximum.at(high, which, coordinate)
        edges.append((low, high))
    (top, bottom), (left, right) = edges
    return [(slice(int(top[i]), int(bottom[i]) + 1), slice(int(left[i]), int(right[i]) + 1))
            for i in range(1, count + 1)]  # fmt: skip


def distance_to_background(mask: np.ndarray, edge_is_background: bool = False) -> np.ndarray:
    """Exact Euclidean distance from each mask pixel to the nearest pixel off it (0 off the mask).

    Beyond the array's edge counts as on the mask (as in scipy's distance_transform_edt),
    or as background with `edge_is_background` (as if padded with False, without the copy).
    """
    return edt.edt(np.ascontiguousarray(mask, dtype=np.uint8), black_border=edge_is_background, parallel=1)


def max_filter3(values: np.ndarray) -> np.ndarray:
    """Maximum over each pixel's 3x3 neighbourhood (edges repeated)."""
    padded = np.pad(values, 1, mode="edge")
    rows = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    return np.maximum(np.maximum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])


def grow_labels(labels: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Give each unlabelled pixel of `where` the label of the nearest labelled pixel.

    Labels grow one pixel (8-connected) per round, so "nearest" is in steps, not
    straight-line distance; where two labels arrive in the same round, the
    higher one wins. Pixels of `where` that no label can reach stay 0.
    """
    owner = labels.copy()
    todo = where & (owner == 0)
    while todo.any():
        grown = max_filter3(owner)
        reached = todo & (grown > 0)
        if not reached.any():
            break
        owner[reached] = grown[reached]
        todo &= ~reached
    return owner


def smooth_background(values: np.ndarray, window: int, percentile: float = 25.0) -> np.ndarray:
    """A smooth estimate of the background of a small float image (0..255).

    The `percentile` of each window x window neighbourhood (edges repeated;
    `window` rounded up to odd), then a Gaussian blur of sigma window / 4 to
    remove the blockiness. Meant for images of about 64 px: cost grows with
    window squared.
    """
    window = window | 1
    rank = min(window * window - 1, int(percentile / 100.0 * window * window))
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    ranked = np.asarray(image.filter(ImageFilter.RankFilter(window, rank)), dtype=np.float32)
    levels = Image.fromarray(np.rint(np.clip(ranked, 0.0, 255.0)).astype(np.uint8))
    return np.asarray(levels.filter(ImageFilter.GaussianBlur(window / 4.0)), dtype=np.float32)


def block_any(mask: np.ndarray, factor: int) -> np.ndarray:
    """Whether any pixel of each factor x factor block of a bool mask is set (partial blocks at the edges too).

    A smaller copy in which thin lines survive, as they would not in a subsampled one.
    """
    if factor == 1:
        return mask
    rows = np.zeros((-(-mask.shape[0] // factor), mask.shape[1]), dtype=bool)
    for k in range(factor):  # strided ORs: several times faster than any() over a reshaped axis
        part = mask[k::factor]
        rows[: part.shape[0]] |= part
    pooled = np.zeros((rows.shape[0], -(-mask.shape[1] // factor)), dtype=bool)
    for k in range(factor):
        part = rows[:, k::factor]
        pooled[:, : part.shape[1]] |= part
    return pooled
