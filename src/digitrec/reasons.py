"""Why a line of digits was flagged, in a sentence: shared by `digitrec predict --multi` and /api/read.

Each digit's Prediction carries its own reason; a LineReading has only its
outcome, so its reason is put together here from those of its marks.
"""

from __future__ import annotations

from digitrec.inference import DIGIT, NOT_A_DIGIT, LineReading


def line_reason(reading: LineReading) -> str | None:
    """None for a line of sure digits; else which marks were flagged and why."""
    if reading.outcome == DIGIT:
        return None
    marks = len(reading.digits)
    if reading.outcome == NOT_A_DIGIT and marks > 1:
        best = max(d.prediction.confidence for d in reading.digits)
        return f"none of the {marks} marks looks like a digit: no answer gets more than {100 * best:.0f}%"
    predictions = [d.prediction for d in reading.digits]
    flagged = [(i, p) for i, p in enumerate(predictions, start=1) if p.outcome != DIGIT]
    if marks == 1:
        return next((p.reason for _i, p in flagged), None)
    return "; ".join(f"mark {i} of {marks}: {p.reason or p.outcome}" for i, p in flagged) or None
