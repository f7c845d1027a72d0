"""Every answer says its outcome (digit, uncertain, not_a_digit) and why it was flagged.

Today's shipped model answers few images "not a digit", so the thresholds force
each outcome here: 0.999 is above the two likeliest digits of any image (the
model was trained with label smoothing, so even a clean digit keeps under 0.93).
"""

import contextlib
import itertools
from typing import get_args

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from digitrec.api import Settings, create_app
from digitrec.api.schemas import Outcome
from digitrec.inference import NOT_DIGIT_BELOW, OUTCOMES, UNCERTAIN_BELOW

from payloads import data_url, encode

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def client_with(tmp_path):
    """A TestClient for an app with these settings (history in the test's temp dir)."""
    with contextlib.ExitStack() as stack:
        numbers = itertools.count()

        def open_(**settings) -> TestClient:
            url = f"sqlite:///{tmp_path}/h{next(numbers)}.sqlite3"
            return stack.enter_context(TestClient(create_app(Settings(database_url=url, **settings)), base_url="http://localhost"))

        yield open_


def line_png(mnist, picks=(0, 1, 2)) -> bytes:
    canvas = Image.new("L", (420, 160), 255)
    for i, index in enumerate(picks):
        ink = Image.fromarray(mnist.test.images[index]).resize((110, 110), Image.Resampling.BICUBIC)
        canvas.paste(Image.eval(ink, lambda v: 255 - v), (20 + 130 * i, 25))
    return encode(canvas)


def test_the_schema_lists_the_library_outcomes():
    assert get_args(Outcome) == OUTCOMES


def test_a_sure_digit_is_outcome_digit_without_a_reason(client, digit_png, mnist):
    png, label = digit_png(0)
    body = client.post("/api/predict", files={"file": ("d.png", png, "image/png")}).json()
    assert (body["label"], body["outcome"], body["reason"], body["uncertain"]) == (label, "digit", None, False)
    reading = client.post("/api/read", files={"file": ("l.png", line_png(mnist), "image/png")}).json()
    assert (reading["outcome"], reading["reason"]) == ("digit", None)
    assert [(d["outcome"], d["reason"]) for d in reading["digits"]] == [("digit", None)] * 3


def test_not_a_digit_comes_through_predict_batch_and_read(client_with, digit_png, mnist):
    client = client_with(not_digit_below=0.999)
    png, label = digit_png(0)
    body = client.post("/api/predict", json={"image": data_url(png), "source": "draw"}).json()
    assert (body["outcome"], body["uncertain"]) == ("not_a_digit", True)
    assert "does not look like a digit" in body["reason"]
    assert body["label"] == label  # the likeliest digit is still given, for the bars and the history

    results = client.post("/api/predict/batch", files=[("files", ("a.png", png, "image/png"))] * 2).json()["results"]
    assert [r["prediction"]["outcome"] for r in results] == ["not_a_digit", "not_a_digit"]
    assert all("does not look like a digit" in r["prediction"]["reason"] for r in results)

    reading = client.post("/api/read", files={"file": ("l.png", line_png(mnist), "image/png")}).json()
    assert (reading["outcome"], reading["uncertain"]) == ("not_a_digit", True)
    assert reading["reason"].startswith("none of the 3 marks looks like a digit")
    assert [d["outcome"] for d in reading["digits"]] == ["not_a_digit"] * 3
    assert all("does not look like a digit" in d["reason"] for d in reading["digits"])


def test_an_uncertain_digit_says_which_two_it_hesitates_between(client_with, digit_png, mnist):
    client = client_with(uncertain_below=0.999, not_digit_below=0.0)
    png, label = digit_png(0)
    body = client.post("/api/predict", files={"file": ("d.png", png, "image/png")}).json()
    assert (body["outcome"], body["uncertain"]) == ("uncertain", True)
    assert body["reason"].startswith(f"not sure: {label} (")
    reading = client.post("/api/read", files={"file": ("l.png", line_png(mnist), "image/png")}).json()
    assert reading["outcome"] == "uncertain"
    assert reading["reason"].startswith("mark 1 of 3: not sure: ") and "; mark 3 of 3: not sure: " in reading["reason"]


def test_the_model_card_reports_both_thresholds(client, client_with):
    card = client.get("/api/model").json()
    assert (card["uncertain_below"], card["not_digit_below"]) == (UNCERTAIN_BELOW, NOT_DIGIT_BELOW)
    card = client_with(uncertain_below=0.8, not_digit_below=0.5).get("/api/model").json()
    assert (card["uncertain_below"], card["not_digit_below"]) == (0.8, 0.5)
