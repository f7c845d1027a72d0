import math

import pytest
import torch

from digitrec.augment import AugmentConfig, affine_matrices, augment_batch, elastic, warp


def _blob_batch(n: int = 4) -> torch.Tensor:
    x = torch.zeros(n, 1, 28, 28)
    x[:, :, 8:20, 11:17] = 1.0
    return x


def _centre_of_mass(img: torch.Tensor) -> tuple[float, float]:
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    total = img.sum()
    return float((ys * img).sum() / total), float((xs * img).sum() / total)


def test_identity_parameters_leave_the_batch_unchanged():
    x = _blob_batch()
    n = len(x)
    theta = affine_matrices(torch.zeros(n), torch.zeros(n), torch.ones(n), torch.zeros(n, 2), 28)
    assert torch.allclose(warp(x, theta), x, atol=1e-6)


def test_zero_strength_leaves_the_batch_unchanged():
    x = torch.rand(8, 1, 28, 28)
    out = augment_batch(x, AugmentConfig(strength=0.0))
    assert torch.allclose(out, x, atol=1e-5)


def test_elastic_with_no_displacement_is_identity():
    x = torch.rand(2, 1, 28, 28)
    assert torch.allclose(elastic(x, alpha_px=0.0, sigma_px=4.0), x, atol=1e-5)


def test_translation_moves_the_centre_of_mass_by_the_shift():
    x = _blob_batch(1)
    theta = affine_matrices(torch.zeros(1), torch.zeros(1), torch.ones(1), torch.tensor([[3.0, -2.0]]), 28)
    before, after = _centre_of_mass(x[0, 0]), _centre_of_mass(warp(x, theta)[0, 0])
    assert after[1] - before[1] == pytest.approx(3.0, abs=0.05)  # x moved right
    assert after[0] - before[0] == pytest.approx(-2.0, abs=0.05)  # y moved up


def test_rotation_by_90_degrees_turns_a_vertical_bar_horizontal():
    x = torch.zeros(1, 1, 28, 28)
    x[:, :, 4:24, 13:15] = 1.0
    theta = affine_matrices(torch.tensor([math.pi / 2]), torch.zeros(1), torch.ones(1), torch.zeros(1, 2), 28)
    out = warp(x, theta)[0, 0]
    rows_with_ink = (out.sum(1) > 0.5).sum()
    cols_with_ink = (out.sum(0) > 0.5).sum()
    assert cols_with_ink > rows_with_ink


def test_augmentation_changes_images_independently_and_keeps_shape_and_range():
    x = _blob_batch(16)
    out = augment_batch(x, AugmentConfig(elastic=True), torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert out.min() >= 0.0 and out.max() <= 1.0 + 1e-6
    assert not torch.allclose(out[0], out[1])  # each image gets its own transform


def test_augmentation_is_reproducible_with_a_seeded_generator():
    x = _blob_batch(8)
    a = augment_batch(x, AugmentConfig(), torch.Generator().manual_seed(3))
    b = augment_batch(x, AugmentConfig(), torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
