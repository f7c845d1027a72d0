"""The plain records that enter and leave the store, and their validation."""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digitrec.history._errors import HistoryInputError, HistoryNotFoundError
from digitrec.history._schema import Prediction

SOURCES = ("draw", "upload", "api")
KINDS = ("digit", "line")
MAX_LINE_DIGITS = 32
MAX_PAGE = 200
MAX_ID = 2**63 - 1  # largest 64-bit id
MAX_OWNER = 64  # characters of an owner id (the column's width)

_DIGIT_LABEL = re.compile(r"[0-9]")  # not str.isdigit: that accepts "²" and Arabic-Indic digits
_LINE_LABEL = re.compile(rf"[0-9]{{1,{MAX_LINE_DIGITS}}}")


class Everyone(enum.Enum):
    """The type of EVERYONE."""

    EVERYONE = "everyone"


# Whose items a call acts on: `owner=EVERYONE` (the default, and the admin's view) means
# all of them, `owner="..."` one owner's, `owner=None` those recorded without an owner.
EVERYONE = Everyone.EVERYONE
Owner = str | None | Everyone


@dataclass(frozen=True)
class NewPrediction:
    """What the service records after recognising one input."""

    source: str  # "draw", "upload" or "api"
    kind: str  # "digit" or "line"
    answer: str  # "7", or the digits read from a line
    confidence: float
    probabilities: list[Any]  # 10 floats, or one list of 10 per digit of a line
    model_name: str
    model_version: str
    preprocessed_png: bytes  # the 28x28 image the model saw; for lines, a strip of them
    thumbnail_png: bytes  # made by the caller, <= 96 px on the longer side
    owner: str | None = None  # who may see it; None: only the admin (see Owner)


@dataclass(frozen=True)
class HistoryItem:
    """One stored prediction; `preprocessed_png` is only loaded by `HistoryStore.get`."""

    id: int
    created_at: datetime  # UTC, timezone-aware
    source: str
    kind: str
    answer: str
    confidence: float
    probabilities: list[Any]
    model_name: str
    model_version: str
    correct_label: str | None
    corrected_at: datetime | None
    thumbnail_png: bytes
    preprocessed_png: bytes | None
    owner: str | None = None

    @classmethod
    def from_row(cls, row: Prediction, *, with_preprocessed: bool) -> HistoryItem:
        """Copy an ORM row into a record that is safe to use after the session ends."""
        return cls(
            id=row.id,
            created_at=row.created_at,
            source=row.source,
            kind=row.kind,
            answer=row.answer,
            confidence=row.confidence,
            probabilities=row.probabilities,
            model_name=row.model_name,
            model_version=row.model_version,
            correct_label=row.correct_label,
            corrected_at=row.corrected_at,
            thumbnail_png=bytes(row.thumbnail_png),
            preprocessed_png=bytes(row.preprocessed_png) if with_preprocessed else None,
            owner=row.owner,
        )


def check_new(new: NewPrediction) -> None:
    """Reject a prediction the database would store wrongly or refuse (e.g. NaN in JSON)."""
    _check_choice("source", new.source, SOURCES)
    _check_choice("kind", new.kind, KINDS)
    for name in ("answer", "model_name", "model_version"):
        if not isinstance(getattr(new, name), str):
            raise HistoryInputError(f"{name} must be a string, got {type(getattr(new, name)).__name__}")
    if not _is_finite_number(new.confidence) or not 0.0 <= new.confidence <= 1.0:
        raise HistoryInputError(f"confidence must be a number in [0, 1], got {_shown(new.confidence)}")
    if not isinstance(new.probabilities, list) or not _all_finite(new.probabilities):
        raise HistoryInputError("probabilities must be a list of finite numbers (or of such lists)")
    for name in ("preprocessed_png", "thumbnail_png"):
        if not isinstance(getattr(new, name), bytes):
            raise HistoryInputError(
                f"{name} must be bytes (PNG data), got {type(getattr(new, name)).__name__}"
            )
    check_owner(new.owner)


def check_owner(owner: object) -> None:
    """An owner id is None or 1..64 characters (the service's are 64 hex digits)."""
    if owner is None:
        return
    if not isinstance(owner, str) or not 0 < len(owner) <= MAX_OWNER:
        raise HistoryInputError(f"an owner is None or 1 to {MAX_OWNER} characters, got {_shown(owner)}")


def check_label(kind: str, label: object) -> str:
    """The label if it fits the kind: one digit for a digit, 1..32 digits for a line."""
    if kind == "digit":
        if isinstance(label, str) and _DIGIT_LABEL.fullmatch(label):
            return label
        raise HistoryInputError(f"a digit's correct label is one of 0-9, got {_shown(label)}")
    if isinstance(label, str) and _LINE_LABEL.fullmatch(label):
        return label
    raise HistoryInputError(f"a line's correct label is 1 to {MAX_LINE_DIGITS} digits 0-9, got {_shown(label)}")


def check_page(limit: object, offset: object) -> None:
    """limit in 1..200 and offset >= 0, both whole numbers."""
    if not _is_int(limit) or not 1 <= limit <= MAX_PAGE:  # type: ignore[operator]
        raise HistoryInputError(f"limit must be a whole number from 1 to {MAX_PAGE}, got {_shown(limit)}")
    if not _is_int(offset) or offset < 0:  # type: ignore[operator]
        raise HistoryInputError(f"offset must be a whole number >= 0, got {_shown(offset)}")


def check_id(item_id: object) -> int:
    """The id if it is a whole number (bool is not one) that a row could have."""
    if not _is_int(item_id):
        raise HistoryInputError(f"a history id is a whole number, got {_shown(item_id)}")
    # Outside 64-bit range, SQLite's driver raises OverflowError instead of finding nothing.
    if not 0 < item_id <= MAX_ID:  # type: ignore[operator]
        raise HistoryNotFoundError(item_id)  # type: ignore[arg-type]
    return item_id  # type: ignore[return-value]


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise HistoryInputError(f"{name} must be one of {', '.join(choices)}; got {_shown(value)}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _all_finite(values: list[Any]) -> bool:
    return all(_all_finite(v) if isinstance(v, list) else _is_finite_number(v) for v in values)


def _shown(value: object, limit: int = 40) -> str:
    """The repr of a rejected value, cut short: error messages go back to HTTP clients."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
