"""Recording what was recognised into the history, without ever failing the answer.

The service calls these after a prediction: a broken or full database is
logged and reported as "not saved", and the user still gets the digit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitrec.backends import ModelInfo
from digitrec.errors import HistoryError
from digitrec.history import HistoryStore, NewPrediction, check_new
from digitrec.imaging import encode_png, thumbnail_png
from digitrec.inference import LineReading, Prediction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    history_id: int | None
    saved: bool


NOT_RECORDED = Recorded(history_id=None, saved=False)


def digit_record(
    source: str, thumbnail: bytes, prediction: Prediction, model: ModelInfo, preprocessed_png: bytes | None = None,
    owner: str | None = None,
) -> NewPrediction:
    """What the history keeps of one digit's answer; `thumbnail` is the input's (`thumbnail_png`)."""
    return NewPrediction(
        source=source, kind="digit", answer=prediction.label, confidence=prediction.confidence,
        probabilities=list(prediction.probabilities), model_name=model.name, model_version=model.version,
        preprocessed_png=preprocessed_png or encode_png(prediction.image), thumbnail_png=thumbnail, owner=owner,
    )  # fmt: skip


def record_digits(
    store: HistoryStore | None,
    model: ModelInfo,
    digits: list[tuple[str, bytes | None, Prediction, bytes]],
    owners: Sequence[str | None] | None = None,
) -> list[Recorded]:
    """Store digits' answers in one transaction: (source, thumbnail, prediction, preprocessed PNG) each.

    `owners[i]` owns digit i (default: nobody, so only the admin sees them).
    With history off (`store` None) nothing is saved, and the thumbnails may be None.
    """
    if store is None:
        return [NOT_RECORDED] * len(digits)
    owners = owners if owners is not None else [None] * len(digits)
    news = [digit_record(source, thumbnail, prediction, model, png, owner)  # type: ignore[arg-type]
            for (source, thumbnail, prediction, png), owner in zip(digits, owners, strict=True)]  # fmt: skip
    return record_many(store, news)


def record_many(store: HistoryStore, news: list[NewPrediction]) -> list[Recorded]:
    """Store answers in one transaction; one the store refuses is not saved, the others still are."""
    valid: list[int] = []
    for index, new in enumerate(news):
        try:
            check_new(new)
            valid.append(index)
        except HistoryError as exc:
            log.warning("prediction answered but not saved to history: %s", exc)
    recorded = [NOT_RECORDED] * len(news)
    try:
        ids = store.add_many([news[index] for index in valid])
    except HistoryError as exc:
        log.warning("%d prediction(s) answered but not saved to history: %s", len(valid), exc)
        return recorded
    for index, history_id in zip(valid, ids, strict=True):
        recorded[index] = Recorded(history_id=history_id, saved=True)
    return recorded


def record_line(
    store: HistoryStore | None, source: str, gray: np.ndarray, reading: LineReading, model: ModelInfo,
    owner: str | None = None,
) -> Recorded:
    if store is None:
        return NOT_RECORDED
    strip = np.concatenate([d.prediction.image for d in reading.digits], axis=1)  # (28, 28 * n)
    new = NewPrediction(
        source=source, kind="line", answer=reading.text, confidence=reading.confidence,
        probabilities=[list(d.prediction.probabilities) for d in reading.digits],
        model_name=model.name, model_version=model.version,
        preprocessed_png=encode_png(strip), thumbnail_png=thumbnail_png(gray), owner=owner,
    )  # fmt: skip
    return _add(store, new)


def _add(store: HistoryStore, new: NewPrediction) -> Recorded:
    try:
        return Recorded(history_id=store.add(new), saved=True)
    except HistoryError as exc:
        log.warning("prediction answered but not saved to history: %s", exc)
        return NOT_RECORDED
