"""line_reason: why a line was flagged, from the reasons of its marks."""

import numpy as np
import pytest

from digitrec.inference import DIGIT, NOT_A_DIGIT, UNCERTAIN, DigitReading, LineReading, Prediction
from digitrec.reasons import line_reason

REASONS = {DIGIT: None, UNCERTAIN: "not sure: 4 (55%) or 9 (40%)",
           NOT_A_DIGIT: "this does not look like a digit: no answer gets more than 23%"}  # fmt: skip


def line(*outcomes: str, line_outcome: str) -> LineReading:
    confidence = {DIGIT: 0.9, UNCERTAIN: 0.55, NOT_A_DIGIT: 0.23}
    digits = tuple(
        DigitReading((0, 0, 1, 1), Prediction(
            digit=4, label="4", confidence=confidence[o], probabilities=(confidence[o],), top_k=(),
            uncertain=o != DIGIT, image=np.zeros((28, 28), np.uint8), outcome=o, reason=REASONS[o],
        ))  # fmt: skip
        for o in outcomes
    )
    return LineReading(text="4" * len(digits), digits=digits, confidence=min(confidence[o] for o in outcomes),
                       uncertain=line_outcome != DIGIT, outcome=line_outcome)  # fmt: skip


@pytest.mark.parametrize(
    ("outcomes", "line_outcome", "expected"),
    [
        ((DIGIT, DIGIT), DIGIT, None),
        ((NOT_A_DIGIT,), NOT_A_DIGIT, REASONS[NOT_A_DIGIT]),
        ((UNCERTAIN,), UNCERTAIN, REASONS[UNCERTAIN]),
        ((NOT_A_DIGIT, NOT_A_DIGIT), NOT_A_DIGIT, "none of the 2 marks looks like a digit: no answer gets more than 23%"),
        ((DIGIT, UNCERTAIN, NOT_A_DIGIT), UNCERTAIN,
         f"mark 2 of 3: {REASONS[UNCERTAIN]}; mark 3 of 3: {REASONS[NOT_A_DIGIT]}"),
    ],
    ids=["sure", "one-not-a-digit", "one-uncertain", "all-not-digits", "mixed"],
)
def test_line_reason(outcomes, line_outcome, expected):
    assert line_reason(line(*outcomes, line_outcome=line_outcome)) == expected
