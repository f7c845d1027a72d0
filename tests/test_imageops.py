"""imageops against scipy.ndimage (a test dependency only) on random and hand-made masks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw
from scipy import ndimage as ndi

from digitrec.imageops import (
    block_any, bounding_boxes, distance_to_background, grow_labels, label_blobs, max_filter3, smooth_background,
)  # fmt: skip

EIGHT = np.ones((3, 3), dtype=bool)
masks = arrays(bool, st.tuples(st.integers(1, 40), st.integers(1, 40)))


def _same_partition(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """The same blobs, whatever their numbers: a one-to-one map between the labels."""
    on = theirs > 0
    pairs = set(zip(ours[on].tolist(), theirs[on].tolist(), strict=True))
    return (ours[~on] == 0).all() and len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})


@settings(max_examples=300, deadline=None)
@given(masks)
def test_blobs_are_scipys_eight_connected_components(mask):
    labels, count = label_blobs(mask)
    reference, reference_count = ndi.label(mask, structure=EIGHT)
    assert count == reference_count and labels.max(initial=0) == count
    assert _same_partition(labels, reference)


def test_a_hairline_seven_is_one_blob():
    # A 1 px "7" cropped to its ink: cc3d's bool fast path labels it 1 and 23 with a count of 1.
    image = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(image).line([(100, 80), (250, 80), (162.5, 330)], fill=0, width=1, joint="curve")
    ink = np.asarray(image) < 128
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    mask = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    labels, count = label_blobs(mask)
    assert count == 1 and set(np.unique(labels).tolist()) == {0, 1}


@settings(max_examples=200, deadline=None)
@given(masks)
def test_boxes_are_scipys_find_objects(mask):
    labels, count = label_blobs(mask)
    assert bounding_boxes(labels, count) == ndi.find_objects(labels)


@settings(max_examples=200, deadline=None)
@given(masks)
def test_distances_are_scipys_exact_euclidean_transform(mask):
    if not mask.all():  # with no background at all neither answer means anything
        np.testing.assert_allclose(distance_to_background(mask), ndi.distance_transform_edt(mask), atol=1e-5)
    padded = ndi.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]  # the edge as background
    np.testing.assert_allclose(distance_to_background(mask, edge_is_background=True), padded, atol=1e-5)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 30), st.integers(1, 30)), elements=st.floats(0, 255, width=32)))  # fmt: skip
def test_max_filter_is_scipys_three_by_three_maximum(values):
    np.testing.assert_array_equal(max_filter3(values), ndi.maximum_filter(values, size=3, mode="nearest"))


def test_soft_edges_go_to_the_nearest_stroke():
    labels = np.zeros((5, 12), dtype=np.uint16)
    labels[:, 1] = 1
    labels[:, 9] = 2
    where = np.ones_like(labels, dtype=bool)
    where[:, 5] = False  # a gap no label may cross into ...
    owner = grow_labels(labels, where)
    assert (owner[:, :5] == 1).all() and (owner[:, 6:] == 2).all()
    assert (owner[:, 5] == 0).all()  # ... and pixels outside `where` stay unlabelled
    assert (labels[:, 2] == 0).all()  # the input is left alone


def test_background_estimate_follows_a_gradient_not_the_ink():
    y, x = np.mgrid[0:64, 0:64]
    paper = (20 + x + 0.5 * y).astype(np.float32)  # uneven light (as preprocessing sees it: ink is bright)
    photo = paper.copy()
    photo[10:54, 30:36] = 250.0  # a stroke
    background = smooth_background(photo, window=16)
    inside = (slice(8, 56), slice(8, 56))
    assert np.abs(background[inside] - paper[inside]).mean() < 4.0
    assert background[30, 33] < paper[30, 33] + 10.0  # the stroke did not leak into the background


@pytest.mark.parametrize("window", [3, 16, 17])
def test_background_of_flat_paper_is_the_paper(window):
    assert np.allclose(smooth_background(np.full((40, 50), 200.0, dtype=np.float32), window), 200.0, atol=1)


@settings(max_examples=200, deadline=None)
@given(masks, st.integers(1, 6))
def test_block_any_is_any_over_each_block(mask, factor):
    height, width = -(-mask.shape[0] // factor) * factor, -(-mask.shape[1] // factor) * factor
    padded = np.zeros((height, width), dtype=bool)
    padded[: mask.shape[0], : mask.shape[1]] = mask  # partial blocks at the edges count too
    expected = padded.reshape(height // factor, factor, width // factor, factor).any(axis=(1, 3))
    assert np.array_equal(block_any(mask, factor), expected)
