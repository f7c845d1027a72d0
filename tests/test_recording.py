"""Recording answers into the history without ever failing the answer itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitrec.errors import HistoryUnavailableError
from digitrec.history import HistoryStore, NewPrediction
from digitrec.recording import NOT_RECORDED, record_digits, record_many


def _new(answer: str, confidence: float = 0.9) -> NewPrediction:
    return NewPrediction("api", "digit", answer, confidence, [0.1] * 10, "best", "1", b"png", b"thumb")


@pytest.fixture
def store(tmp_path):
    with HistoryStore(f"sqlite:///{tmp_path}/h.sqlite3") as opened:
        yield opened


def test_record_many_saves_each_and_returns_its_id_in_order(store):
    recorded = record_many(store, [_new("4"), _new("2")])
    assert all(r.saved for r in recorded)
    assert [store.get(r.history_id).answer for r in recorded] == ["4", "2"]


def test_a_malformed_answer_is_not_saved_but_the_others_are(store):
    recorded = record_many(store, [_new("1"), _new("2", confidence=2.0), _new("3")])
    assert recorded[1] == NOT_RECORDED
    assert [store.get(r.history_id).answer for r in (recorded[0], recorded[2])] == ["1", "3"]
    assert store.list()[1] == 2


def test_a_failing_database_marks_every_answer_not_saved(store, monkeypatch, caplog):
    def disk_full(news):
        raise HistoryUnavailableError("database or disk is full")

    monkeypatch.setattr(store, "add_many", disk_full)
    assert record_many(store, [_new("1"), _new("2")]) == [NOT_RECORDED, NOT_RECORDED]
    assert "not saved" in caplog.text and "disk is full" in caplog.text



def test_record_digits_keeps_each_digits_source_and_saves_nothing_with_history_off(store):
    from digitrec.backends import ModelInfo
    from digitrec.inference import Recognizer

    recognizer = Recognizer()
    predictions = recognizer.predict_images(np.zeros((2, 28, 28), dtype=np.uint8))
    model = ModelInfo("best", tuple("0123456789"), Path("best.onnx"), "v1", "onnxruntime")
    digits = [("draw", b"thumb", predictions[0], b"png"), ("upload", b"thumb", predictions[1], b"png")]
    recorded = record_digits(store, model, digits)
    assert [store.get(r.history_id).source for r in recorded] == ["draw", "upload"]
    off = [(source, None, prediction, png) for source, _thumb, prediction, png in digits]
    assert record_digits(None, model, off) == [NOT_RECORDED, NOT_RECORDED]
