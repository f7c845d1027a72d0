"""Turning in-memory uint8 images into normalised model batches.

The whole dataset stays a uint8 tensor (60k MNIST images are 47 MB); batches
are gathered by index and converted to float only when they are used.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def to_tensor_images(images: np.ndarray) -> torch.Tensor:
    """(N, 28, 28) uint8 array -> (N, 1, 28, 28) uint8 tensor (shares memory when it can)."""
    return torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1)


def to_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 1, H, W) -> float in [0, 1]."""
    return batch.float().div_(255.0)


def normalise(batch: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    return (batch - mean) / std


def epoch_order(n: int, seed: int, epoch: int, rank: int = 0, world_size: int = 1) -> torch.Tensor:
    """The shuffled index of one epoch, and this rank's equal share of it.

    Seeded by (seed, epoch) alone, so a resumed run sees the same order as an
    uninterrupted one. Every rank gets the same number of indices so that the
    processes of a distributed run step in lockstep.
    """
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(n, generator=generator)
    per_rank = n // world_size
    return order[rank : per_rank * world_size : world_size]


def shift_variants(batch: torch.Tensor, pixels: int = 1) -> list[torch.Tensor]:
    """The batch plus copies shifted by `pixels` up, down, left and right (for TTA)."""
    padded = F.pad(batch, (pixels, pixels, pixels, pixels))
    h, w = batch.shape[-2:]
    p = pixels
    views = [(p, p), (0, p), (2 * p, p), (p, 0), (p, 2 * p)]  # (top, left) crop offsets
    return [padded[..., top : top + h, left : left + w] for top, left in views]


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    images: torch.Tensor,
    mean: float,
    std: float,
    batch_size: int = 1000,
    device: torch.device | None = None,
    tta: bool = False,
) -> torch.Tensor:
    """Logits for (N, 1, 28, 28) uint8 images; with TTA, the mean of log-softmax over shifts."""
    device = device or torch.device("cpu")
    model.eval()
    outputs = []
    for chunk in _chunks(images, batch_size):
        raw = to_float(chunk)
        if tta:
            # Shift the raw batch: its zero padding is MNIST's own background.
            scores = [
                F.log_softmax(model(normalise(view, mean, std).to(device)), dim=1)
                for view in shift_variants(raw)
            ]
            outputs.append(torch.stack(scores).mean(0).cpu())
        else:
            outputs.append(model(normalise(raw, mean, std).to(device)).cpu())
    return torch.cat(outputs) if outputs else torch.empty(0, 10)


def _chunks(tensor: torch.Tensor, size: int) -> Iterator[torch.Tensor]:
    for start in range(0, len(tensor), size):
        yield tensor[start : start + size]
