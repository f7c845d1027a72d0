"""Batched data augmentation on whole tensors, no per-image PIL round trips.

One random affine transform per image (rotation, translation, scale, shear),
applied to the whole batch at once with `affine_grid` + `grid_sample`, and an
optional elastic distortion (Simard et al., 2003) from a smoothed random field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges at strength 1.0; `strength` scales them all linearly."""

    rotation_deg: float = 10.0
    translate_px: float = 2.5
    scale: float = 0.1  # scale drawn from [1 - scale, 1 + scale]
    shear_deg: float = 8.0
    elastic: bool = False
    elastic_alpha_px: float = 2.0  # displacement size in pixels
    elastic_sigma_px: float = 4.0  # smoothness of the displacement field
    strength: float = 1.0


def affine_matrices(
    rotation: torch.Tensor, shear: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, size: int
) -> torch.Tensor:
    """(N,) angles in radians, (N,) scales, (N, 2) shifts in pixels -> (N, 2, 3) theta.

    `affine_grid` maps output coordinates to input coordinates in [-1, 1] units,
    so the matrix is the inverse of the forward transform we want.
    """
    cos, sin = torch.cos(rotation), torch.sin(rotation)
    tan_shear = torch.tan(shear)
    # Forward: rotate, then shear along x, then scale.
    a = torch.stack([cos - tan_shear * sin, -sin + tan_shear * cos], dim=-1) * scale[:, None]
    b = torch.stack([sin, cos], dim=-1) * scale[:, None]
    forward = torch.stack([a, b], dim=1)  # (N, 2, 2)
    inverse = torch.linalg.inv(forward)
    shift_units = shift * (2.0 / size)
    offset = -(inverse @ shift_units[:, :, None])
    return torch.cat([inverse, offset], dim=2)


def random_affine(
    images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Apply an independent random affine transform to each image of (N, 1, H, W)."""
    n, size = images.shape[0], images.shape[-1]
    s = cfg.strength

    def uniform(limit: float, *shape: int) -> torch.Tensor:
        return (torch.rand(n, *shape, generator=generator) * 2 - 1) * limit

    rotation = uniform(math.radians(cfg.rotation_deg * s))
    shear = uniform(math.radians(cfg.shear_deg * s))
    scale = 1.0 + uniform(cfg.scale * s)
    shift = uniform(cfg.translate_px * s, 2)
    theta = affine_matrices(rotation, shear, scale, shift, size).to(images)
    return warp(images, theta)


def warp(images: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # Zero padding: MNIST background is 0 before normalisation.
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def elastic(
    images: torch.Tensor, alpha_px: float, sigma_px: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Elastic distortion: a random displacement field blurred by a Gaussian of `sigma_px`."""
    n, _, h, w = images.shape
    field = torch.rand(n, 2, h, w, generator=generator) * 2 - 1
    field = _gaussian_blur(field, sigma_px)
    # Renormalise so alpha is the typical displacement whatever the blur.
    field = field / field.flatten(1).abs().amax(dim=1).clamp_min(1e-6)[:, None, None, None]
    displacement = field.permute(0, 2, 3, 1) * (alpha_px * 2.0 / torch.tensor([w, h]))
    identity = torch.eye(2, 3).expand(n, 2, 3)
    grid = F.affine_grid(identity, [n, 1, h, w], align_corners=False) + displacement.to(images)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(3 * sigma))
    coords = torch.arange(-radius, radius + 1, dtype=x.dtype)
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    horizontal = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    vertical = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), horizontal, groups=channels)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), vertical, groups=channels)


def augment_batch(
    images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Random affine, then (optionally) elastic distortion, on a (N, 1, H, W) float batch."""
    out = random_affine(images, cfg, generator)
    if cfg.elastic:
        out = elastic(out, cfg.elastic_alpha_px * cfg.strength, cfg.elastic_sigma_px, generator)
    return out
