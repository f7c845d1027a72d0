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
from digitrec.preprocess import Preprocessed, PreprocessOptions, to_mnist_candidates
from digitrec.segment import segment_line
from digitrec.weights import shipped_onnx


# What an answer is. A digit the model is sure of; a digit it doubts (shown, flagged); or something
# it does not take for a digit at all (a letter, a scribble), on which it spreads its belief.
DIGIT = "digit"
UNCERTAIN = "uncertain"
NOT_A_DIGIT = "not_a_digit"
OUTCOMES = (DIGIT, UNCERTAIN, NOT_A_DIGIT)
UNCERTAIN_BELOW = 0.7  # a confidence under this is flagged uncertain
# The shipped model learnt to spread its belief evenly on non-digits (nondigits.py); when its two
# likeliest digits together hold less than this, the image is answered "not a digit". An ambiguous
# digit (a 4 or a 9) keeps most of its belief on two answers. benchmarks/real_inputs.py draws the
# trade-off between digits kept and non-digits caught.
NOT_DIGIT_BELOW = 0.6


@dataclass(frozen=True)
class RecognizerConfig:
    models: tuple[Path, ...] = ()  # ONNX files or .pt checkpoints; empty: the shipped model; several: ensemble
    tta: bool = False  # average over 1-pixel shifts
    uncertain_below: float = UNCERTAIN_BELOW  # a confidence under this is flagged (not hidden)
    not_digit_below: float = NOT_DIGIT_BELOW  # top-two probability under this: "not a digit"
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
    uncertain: bool  # flagged: an uncertain digit, or not a digit at all
    image: np.ndarray  # (28, 28) uint8: exactly what the model saw
    preprocessing: Preprocessed | None = None  # what was done to the input, when it was a real image
    outcome: str = DIGIT  # DIGIT, UNCERTAIN or NOT_A_DIGIT
    reason: str | None = None  # why it was flagged, in a sentence; None for a sure digit


@dataclass(frozen=True)
class DigitReading:
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1) in the input image
    prediction: Prediction


@dataclass(frozen=True)
class LineReading:
    text: str
    digits: tuple[DigitReading, ...]
    confidence: float  # the weakest digit's confidence
    uncertain: bool  # any digit flagged
    outcome: str = DIGIT  # NOT_A_DIGIT when no mark reads as a digit, UNCERTAIN when any is flagged


# How sure the model is of a digit, for choosing between readings of a line: the odds of its
# answer over the runner-up, beyond which more says nothing more. The shipped model was trained
# with label smoothing 0.1, which holds a clean digit near odds of 90 to 1; its calibration
# temperature (0.52) doubles every log-odds, to about 5,000 to 1.
_SURE_ODDS = 5000.0
# Log-odds of a reading lost per unit of log-odds a digit falls short of sure, and per digit:
# fitted with segment.py's shape priors on synthetic lines of development seeds (100-105); with
# log-odds doubled by the temperature, it falls from 0.6. On 400 lines of seed 100, 5,000 to 1 with
# 0.3 or 0.45 read 97.0% right, 0.6: 96.75%, 90 to 1 with 0.3: 96.0%; 0.45 also splits two touching 1s.
_DOUBT_WEIGHT = 0.45
_DIGIT_COST = 0.05


def _certainty(reading: list[DigitReading]) -> float:
    """Log-odds that these digits are read right, up to a constant: 0 when the model is sure of each.

    Not the log-probability of the answers: that barely moves between a clean
    digit and two touching digits read as one (0.98 against 0.999 for two
    touching 1s read as a 1 and as two), while the odds over the runner-up fall
    by a hundred times.
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
        if not 0.0 <= self.config.not_digit_below <= 1.0:
            raise ConfigError(f"not-a-digit threshold must be in [0, 1], got {self.config.not_digit_below}")
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
        """A grayscale image of one digit, any size and polarity.

        Where the polarity is in doubt (a close crop: is a marker 0's hole paper or
        ink?), both readings go to the model in one call and the one it is surer of wins.
        """
        return self.predict_candidates([to_mnist_candidates(gray, self.config.preprocess)])[0]

    def predict_bytes(self, data: bytes) -> Prediction:
        """Encoded image bytes (PNG, JPEG, ...) of one digit."""
        return self.predict_array(decode_image(data, self.config.limits))

    def predict_candidates(self, images: Sequence[Sequence[Preprocessed]]) -> list[Prediction]:
        """One prediction per image from its readings (`to_mnist_candidates`), all in one model call:
        of an image's readings, the one the model is surest of wins."""
        flat = [candidate for readings in images for candidate in readings]
        if not flat:
            return []
        probs = iter(self.probabilities(np.stack([c.image for c in flat])))  # (len(flat), classes)
        predictions = []
        for readings in images:
            scored = [(next(probs), candidate) for candidate in readings]
            best, candidate = max(scored, key=lambda pair: float(pair[0].max()))
            predictions.append(self._prediction(best, candidate.image, candidate))
        return predictions

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
        outcomes = {d.prediction.outcome for d in digits}
        outcome = NOT_A_DIGIT if outcomes == {NOT_A_DIGIT} else UNCERTAIN if outcomes != {DIGIT} else DIGIT
        return LineReading(
            text="".join(d.prediction.label for d in digits), digits=tuple(digits),
            confidence=confidence, uncertain=any(d.prediction.uncertain for d in digits), outcome=outcome,
        )  # fmt: skip

    def read_bytes(self, data: bytes) -> LineReading:
        return self.read_array(decode_image(data, self.config.limits))

    def _prediction(self, probs: np.ndarray, image: np.ndarray, prepared: Preprocessed | None = None) -> Prediction:
        order = np.argsort(-probs)
        best = int(order[0])
        k = max(1, min(self.config.top_k, len(probs)))
        outcome, reason = self._judge(probs, order)
        return Prediction(
            digit=best, label=self.classes[best], confidence=float(probs[best]),
            probabilities=tuple(float(p) for p in probs),
            top_k=tuple((self.classes[int(i)], float(probs[i])) for i in order[:k]),
            uncertain=outcome != DIGIT, image=image, preprocessing=prepared, outcome=outcome, reason=reason,
        )  # fmt: skip

    def _judge(self, probs: np.ndarray, order: np.ndarray) -> tuple[str, str | None]:
        """The outcome of calibrated probabilities sorted by `order`, and the reason for a flag."""
        first = float(probs[order[0]])
        top_two = first + (float(probs[order[1]]) if len(order) > 1 else 0.0)
        if top_two < self.config.not_digit_below:
            return NOT_A_DIGIT, (
                f"this does not look like a digit: no answer gets more than {100 * first:.0f}%"
            )  # fmt: skip
        if first < self.config.uncertain_below:
            runner_up = self.classes[int(order[1])] if len(order) > 1 else "?"
            return UNCERTAIN, (
                f"not sure: {self.classes[int(order[0])]} ({100 * first:.0f}%) "
                f"or {runner_up} ({100 * float(probs[order[1]]):.0f}%)"
            )  # fmt: skip
        return DIGIT, None
