"""Deterministic, seeded index splits."""

from __future__ import annotations

import numpy as np

from digitrec.errors import DataError


def train_val_split(n: int, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split range(n) into (train_idx, val_idx) by a seeded random permutation.

    The same (n, val_size, seed) always gives the same split, on any machine
    (numpy's default_rng is a stable PCG64 stream). Both index arrays are
    int64 and sorted ascending, so slicing reads memory in order; shuffle
    batches in the data loader, not here. Together they cover range(n) and
    never overlap. Raises DataError unless 0 <= val_size < n.
    """
    if n <= 0:
        raise DataError(f"cannot split {n} examples; need at least 1")
    if not 0 <= val_size < n:
        raise DataError(
            f"validation size {val_size} is out of range for {n} examples; "
            f"choose 0 <= val_size < {n} so that training keeps at least one example"
        )
    order = np.random.default_rng(seed).permutation(n).astype(np.int64)
    return np.sort(order[val_size:]), np.sort(order[:val_size])
