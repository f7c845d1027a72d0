"""The reference systems' front ends call POST /predict; they must keep working unchanged."""

from urllib.parse import quote

import pytest
from payloads import data_url

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_multipart_upload_answers_json_with_predicted_digit(client, digit_png):
    png, label = digit_png(0)
    response = client.post("/predict", files={"file": ("digit.png", png, "image/png")})
    assert response.status_code == 200
    body = response.json()
    assert body["predicted_digit"] == int(label)
    assert len(body["probabilities"]) == 10


@pytest.mark.parametrize(
    ("encode_body", "content_type"),
    [
        (lambda url: url, "text/plain"),
        (lambda url: url, "text/plain;charset=UTF-8"),
        (lambda url: url, "application/x-www-form-urlencoded"),
        (lambda url: "image=" + quote(url, safe=""), "application/x-www-form-urlencoded"),
        (lambda url: quote(url, safe=""), "application/x-www-form-urlencoded"),
    ],
    ids=["text", "text-utf8", "form-raw", "form-field", "form-quoted"],
)
def test_data_url_body_answers_the_digit_as_plain_text(client, digit_png, encode_body, content_type):
    png, label = digit_png(1)
    response = client.post("/predict", content=encode_body(data_url(png)), headers={"content-type": content_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == label


def test_seed_contract_errors_are_json_with_detail(client, blank_png):
    assert client.post("/predict", content="hello", headers={"content-type": "text/plain"}).status_code == 422
    blank = client.post("/predict", content=data_url(blank_png), headers={"content-type": "text/plain"})
    assert blank.status_code == 422 and "no digit" in blank.json()["detail"]
    bad = client.post("/predict", content="data:image/png;base64,!!!", headers={"content-type": "text/plain"})
    assert bad.status_code == 400


def test_the_seed_json_keeps_exactly_its_fields(client, digit_png):
    """Fields added to /api/predict later (outcome, reason) stay out of the seed contract."""
    png, _label = digit_png(0)
    body = client.post("/predict", files={"file": ("digit.png", png, "image/png")}).json()
    assert set(body) == {
        "predicted_digit", "digit", "label", "confidence", "probabilities", "top_k", "uncertain",
        "preprocessed", "model", "elapsed_ms", "history_id", "saved",
    }  # fmt: skip
