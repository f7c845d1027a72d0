import numpy as np
import pytest
import torch

from digitrec.degrade import (
    DegradeConfig, blur, change_stroke, close_crop, degrade_batch, grey_levels, jpeg_round_trip, low_resolution,
    stray_line,
)  # fmt: skip


@pytest.fixture(scope="module")
def digits(mnist) -> torch.Tensor:
    return torch.from_numpy(mnist.test.images[:32].copy()).float().div(255.0)[:, None]


def _generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def _edges(images: torch.Tensor) -> float:
    """Mean absolute difference between neighbouring pixels: how sharp the strokes are."""
    return float((images[..., 1:] - images[..., :-1]).abs().mean())


def test_nothing_chosen_leaves_the_batch_unchanged(digits):
    none = DegradeConfig(blur=0, low_resolution=0, stroke=0, grey_levels=0, jpeg=0, close_crop=0, stray_line=0)
    assert torch.equal(degrade_batch(digits, none, _generator()), digits)


def test_every_degradation_keeps_shape_range_and_a_full_ink_peak(digits):
    everything = DegradeConfig(blur=1, low_resolution=1, stroke=1, grey_levels=1, jpeg=1, close_crop=1, stray_line=1)
    out = degrade_batch(digits, everything, _generator())
    assert out.shape == digits.shape and out.dtype == digits.dtype
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert (out.flatten(1).amax(1) > 0.9).all()  # to_mnist scales every digit's peak to full ink
    assert not torch.equal(out, digits)


def test_blur_spreads_the_ink_into_soft_edges(digits):
    out = blur(digits, (1.0, 1.2), _generator())
    soft = ((out > 0.05) & (out < 0.7)).flatten(1).sum(1)
    assert (soft > 1.5 * ((digits > 0.05) & (digits < 0.7)).flatten(1).sum(1)).all()


def test_low_resolution_loses_detail_but_keeps_the_digit(digits):
    out = low_resolution(digits, (8, 10), _generator())
    assert float((out - digits).abs().mean()) > 0.03
    for before, after in zip(digits, out, strict=True):
        assert np.corrcoef(before.flatten().numpy(), after.flatten().numpy())[0, 1] > 0.6


def test_stroke_change_grows_or_thins_the_ink(digits):
    out = change_stroke(digits, _generator())
    ink_before, ink_after = digits.flatten(1).sum(1), out.flatten(1).sum(1)
    assert ((ink_after > 1.2 * ink_before) | (ink_after < 0.95 * ink_before)).float().mean() > 0.7


def test_grey_levels_are_quantised(digits):
    out = grey_levels(digits, (0.5, 2.0), _generator())
    assert all(len(torch.unique(img)) <= 64 for img in out)


def test_jpeg_round_trip_changes_pixels_but_not_the_digit(digits):
    out = jpeg_round_trip(digits, (30, 30), _generator())
    assert float((out - digits).abs().mean()) > 0.001
    assert np.corrcoef(out.flatten().numpy(), digits.flatten().numpy())[0, 1] > 0.95


def test_close_crop_removes_ink_at_one_side_only(digits):
    out = close_crop(digits, _generator())
    assert (out <= digits).all()
    lost = (digits - out).flatten(1).sum(1) / digits.flatten(1).sum(1)
    assert (lost > 0).float().mean() > 0.8 and (lost < 0.4).all()


def test_a_stray_line_is_one_straight_row_or_column_of_added_ink(digits):
    out = stray_line(digits, _generator())
    assert (out >= digits).all()
    for added in (out - digits)[:, 0] > 0:
        rows, cols = added.any(dim=1).nonzero().flatten(), added.any(dim=0).nonzero().flatten()
        assert len(rows) == 1 or len(cols) == 1
