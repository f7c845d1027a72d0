"""The tensors a training run needs: train/validation/test splits held in memory as uint8."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from digitrec.batching import to_tensor_images
from digitrec.config import TrainConfig
from digitrec.data import load_dataset, train_val_split


@dataclass(frozen=True)
class TrainingData:
    train_x: torch.Tensor  # (N, 1, 28, 28) uint8
    train_y: torch.Tensor  # (N,) int64
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    mean: float  # pixel statistics of the training split, of x / 255
    std: float
    classes: tuple[str, ...]
    dataset: str
    digests: dict[str, str]
    nondigits: torch.Tensor | None = None  # (M, 1, 28, 28) uint8 images that are no digit, or None


def validation_size(requested: int, n_train: int) -> int:
    """The requested size, capped at a tenth of the training images for small datasets."""
    return min(requested, max(1, n_train // 10))


def load_training_data(cfg: TrainConfig) -> TrainingData:
    """Load the dataset and split validation out of its training images (seeded)."""
    bundle = load_dataset(cfg.dataset, cfg.data_dir)
    images, labels = bundle.train.images, bundle.train.labels
    train_idx, val_idx = train_val_split(len(labels), validation_size(cfg.val_size, len(labels)), cfg.seed)
    if cfg.train_subset is not None:
        train_idx = train_idx[: cfg.train_subset]
    train_x = to_tensor_images(images[train_idx])
    pixels = train_x.float().div_(255.0)
    return TrainingData(
        train_x=train_x,
        train_y=torch.as_tensor(labels[train_idx], dtype=torch.int64),
        val_x=to_tensor_images(images[val_idx]),
        val_y=torch.as_tensor(labels[val_idx], dtype=torch.int64),
        test_x=to_tensor_images(bundle.test.images),
        test_y=torch.as_tensor(bundle.test.labels, dtype=torch.int64),
        mean=round(pixels.mean().item(), 4),
        std=round(pixels.std().item(), 4),
        classes=tuple(bundle.classes),
        dataset=bundle.name,
        digests=dict(bundle.digests),
        nondigits=_nondigits(cfg),
    )


def _nondigits(cfg: TrainConfig) -> torch.Tensor | None:
    if cfg.nondigits == 0:
        return None
    from digitrec.nondigits import nondigit_images  # draws with Pillow fonts: only when asked for

    return to_tensor_images(nondigit_images(cfg.nondigits, seed=cfg.seed))
