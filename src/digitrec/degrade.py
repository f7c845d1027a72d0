"""Augmentation for what preprocessing cannot undo in real inputs.

`preprocess.to_mnist` fixes polarity, lighting, position, size and most of the
stroke width, but some of a real image survives it: the blur of a marker or an
out-of-focus photo, the blocks of a digit scanned 8-16 px tall and enlarged,
strokes still thinner or thicker than MNIST's, JPEG ringing, uneven ink, and a
digit cut by a crop that came too close. These functions put such traces on
MNIST-laid-out batches, (N, 1, 28, 28) floats in [0, 1], white ink on black, so
that the model sees them in training. Each image draws its own degradations.

`benchmarks/real_inputs.py` measures what this buys on such images.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


@dataclass(frozen=True)
class DegradeConfig:
    """The chance that an image gets each degradation, and its range."""

    blur: float = 0.3  # Gaussian blur of sigma in blur_sigma (output pixels)
    blur_sigma: tuple[float, float] = (0.4, 1.2)
    low_resolution: float = 0.25  # block-averaged so the 20 px digit is low_res_px tall, then enlarged
    low_res_px: tuple[int, int] = (8, 16)
    stroke: float = 0.25  # grown (marker) or thinned (hairline) by a 3x3 grey dilation or erosion
    grey_levels: float = 0.3  # ink levels reshaped by a gamma in grey_gamma, and quantised
    grey_gamma: tuple[float, float] = (0.5, 2.0)
    jpeg: float = 0.1  # JPEG round trip at a quality in jpeg_quality
    jpeg_quality: tuple[int, int] = (20, 70)
    close_crop: float = 0.15  # ink cut off 1-2 px inside one side of its box
    stray_line: float = 0.1  # a thin straight line 6-28 px long: what is left of a ruled line or a box


def degrade_batch(
    images: torch.Tensor, cfg: DegradeConfig = DegradeConfig(), generator: torch.Generator | None = None
) -> torch.Tensor:
    """Randomly degrade each image of a (N, 1, 28, 28) float batch in [0, 1]; returns a new batch."""
    out = images.clone()
    n = len(out)

    def chosen(p: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) < p).nonzero().flatten()

    if (idx := chosen(cfg.close_crop)).numel():
        out[idx] = close_crop(out[idx], generator)
    if (idx := chosen(cfg.stray_line)).numel():
        out[idx] = stray_line(out[idx], generator)
    if (idx := chosen(cfg.stroke)).numel():
        out[idx] = change_stroke(out[idx], generator)
    if (idx := chosen(cfg.low_resolution)).numel():
        out[idx] = low_resolution(out[idx], cfg.low_res_px, generator)
    if (idx := chosen(cfg.blur)).numel():
        out[idx] = blur(out[idx], cfg.blur_sigma, generator)
    if (idx := chosen(cfg.grey_levels)).numel():
        out[idx] = grey_levels(out[idx], cfg.grey_gamma, generator)
    if (idx := chosen(cfg.jpeg)).numel():
        out[idx] = jpeg_round_trip(out[idx], cfg.jpeg_quality, generator)
    return out


def _uniform(n: int, low: float, high: float, generator: torch.Generator | None) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def _renormalised(images: torch.Tensor) -> torch.Tensor:
    """Each image scaled so its brightest pixel is 1, as `to_mnist` leaves every digit."""
    peak = images.flatten(1).amax(dim=1).clamp_min(1e-6)
    return (images / peak[:, None, None, None]).clamp_(0.0, 1.0)


def blur(images: torch.Tensor, sigma: tuple[float, float], generator: torch.Generator | None = None) -> torch.Tensor:
    """A separable Gaussian blur with a sigma drawn per image."""
    n = len(images)
    sigmas = _uniform(n, *sigma, generator)
    radius = max(1, int(np.ceil(3 * sigma[1])))
    coords = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernels = torch.exp(-(coords[None, :] ** 2) / (2 * sigmas[:, None] ** 2))
    kernels = kernels / kernels.sum(dim=1, keepdim=True)  # (N, K)
    # One group per image: each gets its own kernel in a single grouped convolution.
    x = images.reshape(1, n, *images.shape[-2:])
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0)), kernels[:, None, None, :], groups=n)
    x = F.conv2d(F.pad(x, (0, 0, radius, radius)), kernels[:, None, :, None], groups=n)
    return _renormalised(x.reshape(images.shape))


def low_resolution(
    images: torch.Tensor, heights: tuple[int, int], generator: torch.Generator | None = None
) -> torch.Tensor:
    """As if the digit (20 px in MNIST's layout) had been scanned `heights` px tall, then enlarged.

    Block means down, a few grey levels, then back up by nearest or bilinear
    resampling, the two ways viewers enlarge a small image.
    """
    size = images.shape[-1]
    out = torch.empty_like(images)
    targets = torch.randint(heights[0], heights[1] + 1, (len(images),), generator=generator)
    nearest = torch.rand(len(images), generator=generator) < 0.5
    levels = 2 ** torch.randint(3, 7, (len(images),), generator=generator)  # 8..64 grey levels
    for i in range(len(images)):
        small_side = max(2, round(size * int(targets[i]) / 20))
        small = F.adaptive_avg_pool2d(images[i : i + 1], small_side)
        q = float(levels[i] - 1)
        small = torch.round(small * q) / q
        mode = "nearest" if nearest[i] else "bilinear"
        kwargs = {} if nearest[i] else {"align_corners": False}
        out[i : i + 1] = F.interpolate(small, size=(size, size), mode=mode, **kwargs)
    return _renormalised(out)


def change_stroke(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Half the images get a marker's stroke (3x3 grey dilation), half a hairline's (2x2 grey erosion:
    about a pixel off an MNIST stroke 2-3 px wide, where 3x3 would leave little)."""
    grown = F.max_pool2d(images, 3, stride=1, padding=1)
    thinned = -F.max_pool2d(-F.pad(images, (0, 1, 0, 1)), 2, stride=1)
    # Erosion can wipe out a thin digit: keep the original where too little ink would remain.
    ink_left = thinned.flatten(1).sum(1) / images.flatten(1).sum(1).clamp_min(1e-6)
    thinned = torch.where((ink_left > 0.3)[:, None, None, None], thinned, images)
    marker = (torch.rand(len(images), generator=generator) < 0.5)[:, None, None, None]
    return _renormalised(torch.where(marker, grown, thinned))


def grey_levels(
    images: torch.Tensor, gamma: tuple[float, float], generator: torch.Generator | None = None
) -> torch.Tensor:
    """Ink that is not uniformly dark: a gamma per image on the ink levels, and 16-64 levels."""
    n = len(images)
    gammas = torch.exp(_uniform(n, float(np.log(gamma[0])), float(np.log(gamma[1])), generator))
    out = images.clamp_min(0.0) ** gammas[:, None, None, None]
    levels = (2 ** torch.randint(4, 7, (n,), generator=generator)).to(images.dtype) - 1
    return torch.round(out * levels[:, None, None, None]) / levels[:, None, None, None]


def jpeg_round_trip(
    images: torch.Tensor, quality: tuple[int, int], generator: torch.Generator | None = None
) -> torch.Tensor:
    """Through JPEG and back at a random quality: ringing and 8x8 blocks near the strokes."""
    out = torch.empty_like(images)
    qualities = torch.randint(quality[0], quality[1] + 1, (len(images),), generator=generator)
    pixels = (images.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    for i in range(len(images)):
        buffer = io.BytesIO()
        Image.fromarray(pixels[i, 0]).save(buffer, format="JPEG", quality=int(qualities[i]))
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"), dtype=np.float32)
        out[i, 0] = torch.from_numpy(decoded / 255.0)
    return out


def close_crop(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The ink beyond a line 1-2 px inside one side of its box is cut off, as by a tight crop."""
    out = images.clone()
    sides = torch.randint(0, 4, (len(images),), generator=generator)
    depths = torch.randint(1, 3, (len(images),), generator=generator)
    for i in range(len(images)):
        rows = (images[i, 0] > 0.1).any(dim=1).nonzero().flatten()
        cols = (images[i, 0] > 0.1).any(dim=0).nonzero().flatten()
        if rows.numel() < 8 or cols.numel() < 4:
            continue
        d, side = int(depths[i]), int(sides[i])
        if side == 0:
            out[i, 0, : int(rows[0]) + d] = 0
        elif side == 1:
            out[i, 0, int(rows[-1]) + 1 - d :] = 0
        elif side == 2 and cols.numel() >= 8:
            out[i, 0, :, : int(cols[0]) + d] = 0
        elif side == 3 and cols.numel() >= 8:
            out[i, 0, :, int(cols[-1]) + 1 - d :] = 0
    return out


def stray_line(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A horizontal or vertical line 1 px wide, 6-28 px long, anywhere, at 40-100% ink."""
    out = images.clone()
    size = images.shape[-1]
    for i in range(len(images)):
        length = int(torch.randint(6, size + 1, (1,), generator=generator))
        start = int(torch.randint(0, size - length + 1, (1,), generator=generator))
        at = int(torch.randint(2, size - 2, (1,), generator=generator))
        level = float(_uniform(1, 0.4, 1.0, generator))
        if torch.rand(1, generator=generator) < 0.5:
            out[i, 0, at, start : start + length] = torch.clamp_min(out[i, 0, at, start : start + length], level)
        else:
            out[i, 0, start : start + length, at] = torch.clamp_min(out[i, 0, start : start + length, at], level)
    return out
