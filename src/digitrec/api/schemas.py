"""Typed request and response bodies (Pydantic), shaped from library results."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from digitrec.backends import ModelInfo
from digitrec.history import HistoryItem
from digitrec.imaging import encode_png, png_data_url
from digitrec.inference import LineReading, Prediction
from digitrec.reasons import line_reason
from digitrec.recording import Recorded

Source = Literal["draw", "upload", "api"]
# digitrec.inference.OUTCOMES, spelt out for the OpenAPI schema (a test checks that they agree).
Outcome = Literal["digit", "uncertain", "not_a_digit"]
OUTCOME_HELP = (
    "digit: a digit the model is sure of; uncertain: a digit it doubts (shown, flagged); "
    "not_a_digit: it does not take the image for a digit at all (a letter, a scribble)"
)
REASON_HELP = "why the answer was flagged, in an English sentence; null for a sure digit"


class ImageIn(BaseModel):
    image: str = Field(description="a data URL, data:image/png;base64,...", examples=["data:image/png;base64,iVBOR..."])
    source: Source = "api"


class ModelOut(BaseModel):
    name: str
    version: str = Field(description="first 12 hex digits of the model file's SHA-256")
    runtime: str

    @classmethod
    def of(cls, info: ModelInfo) -> ModelOut:
        return cls(name=info.name, version=info.version, runtime=info.runtime)


class ClassProbability(BaseModel):
    label: str
    probability: float


class PredictionOut(BaseModel):
    digit: int
    label: str
    confidence: float
    probabilities: list[float]
    top_k: list[ClassProbability]
    uncertain: bool = Field(description="flagged: outcome uncertain or not_a_digit (the answer is still given)")
    outcome: Outcome = Field(description=OUTCOME_HELP)
    reason: str | None = Field(description=REASON_HELP)
    preprocessed: str = Field(description="the 28x28 image the model saw, as a PNG data URL")
    model: ModelOut
    elapsed_ms: float
    history_id: int | None
    saved: bool = Field(description="whether the prediction was stored in the history")

    @classmethod
    def of(
        cls, p: Prediction, model: ModelInfo, elapsed_ms: float, recorded: Recorded, preprocessed_png: bytes
    ) -> PredictionOut:
        return cls(
            digit=p.digit, label=p.label, confidence=p.confidence, probabilities=list(p.probabilities),
            top_k=[ClassProbability(label=label, probability=prob) for label, prob in p.top_k],
            uncertain=p.uncertain, outcome=p.outcome, reason=p.reason,
            preprocessed=png_data_url(preprocessed_png), model=ModelOut.of(model),
            elapsed_ms=round(elapsed_ms, 3), history_id=recorded.history_id, saved=recorded.saved,
        )  # fmt: skip


class BatchItemOut(BaseModel):
    ok: bool
    filename: str | None = None
    prediction: PredictionOut | None = None
    error: str | None = None
    status: int | None = Field(None, description="the HTTP status this item alone would have had")


class BatchOut(BaseModel):
    results: list[BatchItemOut]


class DigitOut(BaseModel):
    label: str
    confidence: float
    box: list[int] = Field(description="[x0, y0, x1, y1] in pixels of the sent image, x1 and y1 exclusive")
    probabilities: list[float]
    outcome: Outcome = Field(description=OUTCOME_HELP)
    reason: str | None = Field(description=REASON_HELP)
    preprocessed: str


class ReadingOut(BaseModel):
    text: str
    digits: list[DigitOut]
    confidence: float = Field(description="the least confident digit's confidence")
    uncertain: bool = Field(description="any digit flagged")
    outcome: Outcome = Field(description="not_a_digit when no mark reads as a digit, uncertain when any is flagged")
    reason: str | None = Field(description="which marks were flagged and why; null when every digit is sure")
    model: ModelOut
    elapsed_ms: float
    history_id: int | None
    saved: bool

    @classmethod
    def of(cls, r: LineReading, model: ModelInfo, elapsed_ms: float, recorded: Recorded) -> ReadingOut:
        digits = [
            DigitOut(label=d.prediction.label, confidence=d.prediction.confidence, box=list(d.box),
                     probabilities=list(d.prediction.probabilities), outcome=d.prediction.outcome,
                     reason=d.prediction.reason, preprocessed=png_data_url(encode_png(d.prediction.image)))
            for d in r.digits
        ]  # fmt: skip
        return cls(
            text=r.text, digits=digits, confidence=r.confidence, uncertain=r.uncertain, outcome=r.outcome,
            reason=line_reason(r), model=ModelOut.of(model),
            elapsed_ms=round(elapsed_ms, 3), history_id=recorded.history_id, saved=recorded.saved,
        )  # fmt: skip


class HistoryModelOut(BaseModel):
    name: str
    version: str


class HistoryItemOut(BaseModel):
    id: int
    created_at: datetime
    source: str
    kind: str
    answer: str
    confidence: float
    correct_label: str | None
    corrected_at: datetime | None
    model: HistoryModelOut
    thumbnail: str

    @classmethod
    def of(cls, item: HistoryItem) -> HistoryItemOut:
        return cls(**_item_fields(item))


class HistoryDetailOut(HistoryItemOut):
    probabilities: list
    preprocessed: str | None

    @classmethod
    def of(cls, item: HistoryItem) -> HistoryDetailOut:
        preprocessed = png_data_url(item.preprocessed_png) if item.preprocessed_png else None
        return cls(**_item_fields(item), probabilities=item.probabilities, preprocessed=preprocessed)


class HistoryPageOut(BaseModel):
    items: list[HistoryItemOut]
    total: int
    limit: int
    offset: int


class AdminHistoryItemOut(HistoryItemOut):
    owner: str | None = Field(
        description="the first 12 hex digits of the owner's id, the same for all of one visitor's items; "
        "null for anonymous API clients' items and items made before visitors had ids"
    )

    @classmethod
    def of(cls, item: HistoryItem) -> AdminHistoryItemOut:
        return cls(**_item_fields(item), owner=item.owner[:12] if item.owner else None)


class AdminHistoryPageOut(BaseModel):
    items: list[AdminHistoryItemOut]
    total: int
    limit: int
    offset: int


class ForgetOut(BaseModel):
    deleted: int = Field(description="how many of your items were deleted")


class FeedbackIn(BaseModel):
    label: str = Field(description="the true answer: one digit, or the digits of a line", examples=["7"])


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"] = Field(description='"degraded" (HTTP 503) only when no model is loaded')
    model: ModelOut | None
    history: bool = Field(description="whether history is turned on (off with --no-history)")
    history_status: Literal["on", "off", "failing"] = Field(
        description="on: predictions are saved; off: turned off by configuration; failing: turned on, but "
        "predictions are not being saved or the history cannot be read (history_detail says why). "
        "Predictions are answered either way."
    )
    history_detail: str | None = Field(None, description="why the history is failing, in words")
    history_reachable: bool | None = Field(
        None, description="whether the history database answered a read just now (null when history is off)"
    )
    detail: str | None = Field(None, description="why no model is loaded, else why the history is failing")


class ErrorOut(BaseModel):
    detail: str


def _item_fields(item: HistoryItem) -> dict:
    return {
        "id": item.id, "created_at": item.created_at, "source": item.source, "kind": item.kind,
        "answer": item.answer, "confidence": item.confidence, "correct_label": item.correct_label,
        "corrected_at": item.corrected_at, "model": HistoryModelOut(name=item.model_name, version=item.model_version),
        "thumbnail": png_data_url(item.thumbnail_png),
    }  # fmt: skip
