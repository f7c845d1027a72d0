"""Confidence that means what it says: temperature scaling and its measures.

A network's softmax is not a probability of being right. Label smoothing (the
shipped recipe's 0.1) caps a clear digit near 91%, and heavy augmentation makes
it shyer still. Temperature scaling (Guo et al., "On Calibration of Modern
Neural Networks", 2017) divides every logit by one number T, fitted on held-out
digits to minimise their negative log-likelihood; the answer never changes, only
how sure it is said to be.

NumPy only, so the recognition side can measure calibration without PyTorch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from digitrec.errors import ConfigError

# The search interval for T: beyond it a model is broken rather than miscalibrated.
_LOG_T_RANGE = (math.log(0.05), math.log(20.0))


@dataclass(frozen=True)
class FittedTemperature:
    temperature: float
    nll_before: float  # mean negative log-likelihood of the labels at T = 1
    nll_after: float  # ... at the fitted T
    images: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of `labels` under softmax(logits / temperature)."""
    logs = _log_softmax(np.asarray(logits, dtype=np.float64) / temperature)
    return float(-logs[np.arange(len(labels)), np.asarray(labels)].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> FittedTemperature:
    """The T > 0 minimising the NLL of softmax(logits / T) on (logits, labels): a golden-section search.

    The NLL is convex in 1/T, so it has one minimum on the search interval.
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if logits.ndim != 2 or len(logits) != len(labels) or len(labels) == 0:
        raise ConfigError(f"calibration needs (N, classes) logits and N labels, got {logits.shape} and {labels.shape}")

    def loss(log_t: float) -> float:
        return nll(logits, labels, math.exp(log_t))

    low, high = _LOG_T_RANGE
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    loss_a, loss_b = loss(a), loss(b)
    for _ in range(60):  # the interval shrinks by 0.618 a step: far below any meaningful precision
        if loss_a < loss_b:
            high, b, loss_b = b, a, loss_a
            a = high - ratio * (high - low)
            loss_a = loss(a)
        else:
            low, a, loss_a = a, b, loss_b
            b = low + ratio * (high - low)
            loss_b = loss(b)
    temperature = math.exp((low + high) / 2.0)
    return FittedTemperature(
        temperature=round(temperature, 4), nll_before=nll(logits, labels),
        nll_after=nll(logits, labels, round(temperature, 4)), images=len(labels),
    )  # fmt: skip


@dataclass(frozen=True)
class Reliability:
    """Top-1 confidence against accuracy, in equal-width confidence bins."""

    ece: float  # expected calibration error: the bins' |accuracy - confidence|, weighted by their share
    bin_edges: tuple[float, ...]
    counts: tuple[int, ...]
    accuracy: tuple[float | None, ...]  # None for an empty bin
    confidence: tuple[float | None, ...]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def reliability(confidences: np.ndarray, correct: np.ndarray, bins: int = 15) -> Reliability:
    """Expected calibration error and the reliability diagram's bins (Guo et al.'s 15 by default)."""
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    if len(confidences) != len(correct) or len(confidences) == 0:
        raise ConfigError("reliability needs as many confidences as right/wrong flags, and at least one")
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin i holds (edges[i], edges[i + 1]]; a confidence of exactly 0 goes to the first.
    which = np.clip(np.searchsorted(edges, confidences, side="left") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    hits = np.bincount(which, weights=correct.astype(np.float64), minlength=bins)
    sure = np.bincount(which, weights=confidences, minlength=bins)
    filled = counts > 0
    accuracy = np.where(filled, hits / np.maximum(counts, 1), np.nan)
    confidence = np.where(filled, sure / np.maximum(counts, 1), np.nan)
    ece = float(np.sum(np.abs(hits - sure)[filled]) / len(confidences))
    return Reliability(
        ece=ece, bin_edges=tuple(float(e) for e in edges), counts=tuple(int(c) for c in counts),
        accuracy=tuple(None if np.isnan(a) else float(a) for a in accuracy),
        confidence=tuple(None if np.isnan(c) else float(c) for c in confidence),
    )  # fmt: skip
