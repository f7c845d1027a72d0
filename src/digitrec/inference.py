"""Recognition of real images: decode, MNIST-style preprocessing, model, answer.

    recognizer = Recognizer()                       # the shipped model on ONNX Runtime
    result = recognizer.predict_bytes(png_bytes)    # .digit, .confidence, .probabilities
    line = recognizer.read_bytes(photo_bytes)       # .text == "2025", per-digit boxes

Imports no PyTorch unless a .pt checkpoint is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitrec.backends import Backend, ModelInfo, open_backend
from digitrec.errors import ConfigError
from digitrec.imaging import DecodeLimits, decode_image
from digitrec.preprocess import Preprocessed, PreprocessOptions, to_mnist
from digitrec.segment import segment_line
from digitrec.weights import shipped_onnx


@dataclass(frozen=True)
class RecognizerConfig:
    models: tuple[Path, ...] = ()  # ONNX files or .pt checkpoints; empty: the shipped model; several: ensemble
    tta: bool = False  # average over 1-pixel shifts
    uncertain_below: float = 0.7  # a confidence under this is flagged (not hidden)
    top_k: int = 3
    threads: int | None = None
    limits: DecodeLimits = field(default_factory=DecodeLimits)
    preprocess: PreprocessOptions = field(default_factory=PreprocessOptions)


@dataclass(frozen=True)
class Prediction:
    digit: int  # index of the winning class
    label: str  # its name ("7"; a clothing name for Fashion-MNIST models)
    confidence: float
    probabilities: tuple[float, ...]
    top_k: tuple[tuple[str, float], ...]
    uncertain: bool
    image: np.ndarray  # (28, 28) uint8: exactly what the model saw
    preprocessing: Preprocessed | None = None  # what was done to the input, when it was a real image


@dataclass(frozen=True)
class DigitReading:
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1) in the input image
    prediction: Prediction


@dataclass(frozen=True)
class LineReading:
    text: str
    digits: tuple[DigitReading, ...]
    confidence: float  # the weakest digit's confidence
    uncertain: bool


# How sure the model is of a digit, for choosing between readings of a line: the odds of its
# answer over the runner-up. The shipped model was trained with label smoothing 0.1 (targets
# 0.91 and 0.01), so a clean digit gets odds of about 90 to 1 and more says nothing more.
_SURE_ODDS = 90.0
# Log-odds of a reading lost per unit of log-odds a digit falls short of sure, and per digit:
# fitted with segment.py's shape priors on synthetic lines of development seeds (100-105).
_DOUBT_WEIGHT = 0.6
_DIGIT_COST = 0.05


def _certainty(reading: list[DigitReading]) -> float:
    """Log-odds that these digits are read right, up to a constant: 0 when the model is sure of each.

    Not the log-probability of the answers: with label smoothing that barely
    moves (0.91 for a clean digit, 0.77 for two touching digits read as one),
    while the odds over the runner-up fall from 90:1 to 15:1.
    """
    doubt = 0.0
    for d in reading:
        runner_up = sorted(d.prediction.probabilities)[-2] if len(d.prediction.probabilities) > 1 else 0.0
        odds = d.prediction.confidence / max(runner_up, 1e-12)
        doubt += max(0.0, float(np.log(_SURE_ODDS / odds)))
    return -_DOUBT_WEIGHT * doubt - _DIGIT_COST * len(reading)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def shifted_copies(pixels: np.ndarray, step: int = 1) -> list[np.ndarray]:
    """(N, 1, 28, 28) -> itself and copies moved `step` px up, down, left, right (zero fill)."""
    padded = np.pad(pixels, ((0, 0), (0, 0), (step, step), (step, step)))
    h, w = pixels.shape[-2:]
    offsets = [(step, step), (0, step), (2 * step, step), (step, 0), (step, 2 * step)]
    return [padded[..., top : top + h, left : left + w] for top, left in offsets]


class Recognizer:
    """One model or an ensemble, with the preprocessing that makes real images MNIST-like."""

    def __init__(self, config: RecognizerConfig | None = None) -> None:
        self.config = config or RecognizerConfig()
        if not 0.0 <= self.config.uncertain_below <= 1.0:
            raise ConfigError(f"uncertainty threshold must be in [0, 1], got {self.config.uncertain_below}")
        paths = self.config.models or (shipped_onnx(),)
        self.backends: list[Backend] = [open_backend(p, self.config.threads) for p in paths]
        classes = {b.info.classes for b in self.backends}
        if len(classes) > 1:
            raise ConfigError("the models of an ensemble must share the same classes")

    @property
    def info(self) -> ModelInfo:
        return self.backends[0].info

    @property
    def classes(self) -> tuple[str, ...]:
        return self.info.classes

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) uint8 MNIST-like images -> (N, classes) probabilities."""
        pixels = (np.asarray(images, dtype=np.float32) / 255.0)[:, None, :, :]
        total = np.zeros((len(pixels), len(self.classes)), dtype=np.float64)
        for backend in self.backends:
            if self.config.tta:
                # Mean log-probability over the shifts: a geometric mean, as in evaluate --tta.
                scores = np.mean([log_softmax(backend.logits(v)) for v in shifted_copies(pixels)], axis=0)
            else:
                scores = backend.logits(pixels)
            total += softmax(scores.astype(np.float64))
        return total / len(self.backends)

    def predict_images(self, images: np.ndarray) -> list[Prediction]:
        """Predictions for already MNIST-like (N, 28, 28) uint8 images."""
        probs = self.probabilities(images)
        return [self._prediction(p, img) for p, img in zip(probs, images, strict=True)]

    def predict_array(self, gray: np.ndarray) -> Prediction:
        """A grayscale image of one digit, any size and polarity."""
        prepared = to_mnist(gray, self.config.preprocess)
        probs = self.probabilities(prepared.image[None])[0]
        return self._prediction(probs, prepared.image, prepared)

    def predict_bytes(self, data: bytes) -> Prediction:
        """Encoded image bytes (PNG, JPEG, ...) of one digit."""
        return self.predict_array(decode_image(data, self.config.limits))

    def predict_prepared(self, prepared: Sequence[Preprocessed]) -> list[Prediction]:
        """Digits already through `to_mnist` (with self.config.preprocess), in one model call."""
        if not prepared:
            return []
        probs = self.probabilities(np.stack([p.image for p in prepared]))
        return [self._prediction(pr, p.image, p) for pr, p in zip(probs, prepared, strict=True)]

    def read_array(self, gray: np.ndarray) -> LineReading:
        """A line of digits ("2025", a phone number), read left to right.

        Where a blob could be one wide digit or several touching ones, or two
        neighbouring blobs one broken digit, each reading is scored by how sure
        the model is of its digits plus how plausible their shapes are, and the
        best reading of the whole line wins.
        """
        blobs = segment_line(gray, self.config.preprocess)
        crops = [crop for blob in blobs for choice in blob.choices for crop in choice]
        crops += [blob.merged_with_next for blob in blobs if blob.merged_with_next is not None]
        predictions = iter(self.predict_images(np.stack([c.image for c in crops])))
        alone: list[tuple[float, list[DigitReading]]] = []  # per blob: its best reading and score
        for blob in blobs:
            readings = [[DigitReading(c.box, next(predictions)) for c in choice] for choice in blob.choices]
            scores = [_certainty(reading) + prior for reading, prior in zip(readings, blob.priors, strict=True)]
            best = int(np.argmax(scores))
            alone.append((scores[best], readings[best]))
        # Left to right, the best reading of the first i blobs: blob i on its own, or merged with blob i - 1.
        best_of: list[tuple[float, list[DigitReading]]] = [(0.0, [])]
        for i, blob in enumerate(blobs):
            score, digits = best_of[i][0] + alone[i][0], best_of[i][1] + alone[i][1]
            previous = blobs[i - 1] if i else None
            if previous is not None and previous.merged_with_next is not None:
                merged = DigitReading(previous.merged_with_next.box, next(predictions))
                merged_score = best_of[i - 1][0] + _certainty([merged]) + previous.merge_prior
                if merged_score > score:
                    score, digits = merged_score, best_of[i - 1][1] + [merged]
            best_of.append((score, digits))
        digits = best_of[-1][1]
        confidence = min(d.prediction.confidence for d in digits)
        return LineReading(
            text="".join(d.prediction.label for d in digits), digits=tuple(digits),
            confidence=confidence, uncertain=any(d.prediction.uncertain for d in digits),
        )  # fmt: skip

    def read_bytes(self, data: bytes) -> LineReading:
        return self.read_array(decode_image(data, self.config.limits))

    def _prediction(self, probs: np.ndarray, image: np.ndarray, prepared: Preprocessed | None = None) -> Prediction:
        order = np.argsort(-probs)
        best = int(order[0])
        k = max(1, min(self.config.top_k, len(probs)))
        return Prediction(
            digit=best, label=self.classes[best], confidence=float(probs[best]),
            probabilities=tuple(float(p) for p in probs),
            top_k=tuple((self.classes[int(i)], float(probs[i])) for i in order[:k]),
            uncertain=bool(probs[best] < self.config.uncertain_below), image=image, preprocessing=prepared,
        )  # fmt: skip
