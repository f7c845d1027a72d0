"""The in-memory form of a dataset that every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ArraySplit:
    """One split of a dataset."""

    images: np.ndarray  # (N, 28, 28) uint8, white strokes on black like MNIST
    labels: np.ndarray  # (N,) int64, values 0..len(classes)-1

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class DatasetBundle:
    """A whole dataset: class names, train and test splits, and provenance.

    digests: for built-in datasets, raw IDX file name -> pinned SHA-256; for
    image folders, one entry naming the folder or list file -> a SHA-256 over
    the (relative path, label, file content) of every image that was loaded.
    skipped: how many image files could not be read (image folders only).
    """

    name: str
    classes: tuple[str, ...]
    train: ArraySplit
    test: ArraySplit
    digests: dict[str, str] = field(default_factory=dict)
    skipped: int = 0

    @property
    def num_classes(self) -> int:
        return len(self.classes)
