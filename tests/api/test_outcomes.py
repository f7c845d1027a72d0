"""Every answer says its outcome (digit, uncertain, not_a_digit) and why it was flagged.

The thresholds force each outcome on digits here: a not-a-digit threshold of
1.0 is above the two likeliest digits of any image (their probabilities never
add up to exactly 1 in floating point, as the others are never exactly 0).
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
    client = client_with(not_digit_below=1.0)
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


# Letters the model never trained on (nondigits.py keeps K, R and Y out) and a scribble, drawn as
# a hand would with a round pen on a 200 px canvas.
_NOT_DIGITS = {
    "K": [[(60, 30), (60, 170)], [(140, 30), (62, 100), (140, 170)]],
    "R": [[(60, 170), (60, 30), (120, 30), (140, 60), (120, 95), (60, 95)], [(95, 95), (145, 170)]],
    "Y": [[(50, 30), (100, 100), (150, 30)], [(100, 100), (100, 170)]],
    "scribble": [[(40, 60), (160, 80), (50, 120), (150, 140), (60, 170), (140, 40), (100, 180)]],
}


@pytest.mark.parametrize("name", sorted(_NOT_DIGITS))
def test_letters_and_scribbles_are_answered_not_a_digit_by_the_shipped_model(client, name):
    from PIL import ImageDraw

    image = Image.new("L", (200, 200), 255)
    for stroke in _NOT_DIGITS[name]:
        ImageDraw.Draw(image).line(stroke, fill=0, width=12, joint="curve")
    png = encode(image)
    body = client.post("/api/predict", json={"image": data_url(png), "source": "draw"}).json()
    assert body["outcome"] == "not_a_digit", f"{name}: {body['label']} at {body['confidence']:.2f}"
    batch = client.post("/api/predict/batch", files=[("files", ("x.png", png, "image/png"))]).json()["results"]
    assert batch[0]["prediction"]["outcome"] == "not_a_digit"
