import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from digitrec.api import Settings, create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(params=["sqlite", "postgresql"])
def history_client(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    with TestClient(create_app(Settings(database_url=url)), base_url="http://localhost") as client:
        client.get("/")  # the page's visitor cookie: these are the visitor's own items
        yield client


def _predict(client, png: bytes, source: str = "draw") -> dict:
    response = client.post("/api/predict", files={"file": ("d.png", png, "image/png")}, data={"source": source})
    assert response.status_code == 200
    return response.json()


def test_history_round_trip_with_feedback_and_delete(history_client, digit_png):
    first = _predict(history_client, digit_png(0)[0])
    second = _predict(history_client, digit_png(1)[0], source="upload")
    page = history_client.get("/api/history", params={"limit": 1}).json()
    assert page["total"] == 2 and [i["id"] for i in page["items"]] == [second["history_id"]]
    assert page["items"][0]["source"] == "upload" and page["items"][0]["thumbnail"].startswith("data:image/png")
    older = history_client.get("/api/history", params={"limit": 1, "offset": 1}).json()
    assert [i["id"] for i in older["items"]] == [first["history_id"]]

    detail = history_client.get(f"/api/history/{first['history_id']}").json()
    assert detail["answer"] == first["label"] and len(detail["probabilities"]) == 10
    assert detail["preprocessed"].startswith("data:image/png;base64,")

    corrected = history_client.post(f"/api/history/{first['history_id']}/feedback", json={"label": "3"})
    assert corrected.status_code == 200 and corrected.json()["correct_label"] == "3"
    assert history_client.get(f"/api/history/{first['history_id']}").json()["correct_label"] == "3"

    assert history_client.delete(f"/api/history/{second['history_id']}").status_code == 204
    assert history_client.get(f"/api/history/{second['history_id']}").status_code == 404
    assert history_client.delete(f"/api/history/{second['history_id']}").status_code == 404


def test_bad_feedback_and_paging_are_422(history_client, digit_png):
    item = _predict(history_client, digit_png(0)[0])
    for label in ("12", "x", ""):
        response = history_client.post(f"/api/history/{item['history_id']}/feedback", json={"label": label})
        assert response.status_code == 422, label
    assert history_client.post(f"/api/history/{item['history_id']}/feedback", json={}).status_code == 422
    assert history_client.get("/api/history", params={"limit": 0}).status_code == 422
    assert history_client.post("/api/history/999999/feedback", json={"label": "1"}).status_code == 404


def test_line_readings_are_stored_too(history_client, mnist):
    canvas = Image.new("L", (300, 140), 255)
    for i in range(2):
        ink = Image.fromarray(mnist.test.images[i]).resize((100, 100), Image.Resampling.BICUBIC)
        canvas.paste(Image.eval(ink, lambda v: 255 - v), (20 + 140 * i, 20))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    body = history_client.post("/api/read", files={"file": ("l.png", buffer.getvalue(), "image/png")}).json()
    item = history_client.get(f"/api/history/{body['history_id']}").json()
    assert item["kind"] == "line" and item["answer"] == body["text"]


def test_export_of_corrections_is_an_image_folder_dataset(history_client, digit_png):
    ids = [_predict(history_client, digit_png(i)[0])["history_id"] for i in range(3)]
    history_client.post(f"/api/history/{ids[0]}/feedback", json={"label": "4"})
    history_client.post(f"/api/history/{ids[2]}/feedback", json={"label": "9"})
    response = history_client.get("/api/history/export")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        pngs = sorted(n for n in archive.namelist() if n.endswith(".png"))
        assert pngs == [f"4/{ids[0]}.png", f"9/{ids[2]}.png"]
        assert Image.open(archive.open(pngs[0])).size == (28, 28)


def test_history_turned_off(tmp_path, digit_png):
    with TestClient(create_app(Settings(history=False)), base_url="http://localhost") as client:
        body = _predict(client, digit_png(0)[0])
        assert body["saved"] is False and body["history_id"] is None
        response = client.get("/api/history")
        assert response.status_code == 404 and "turned off" in response.json()["detail"]
        assert client.get("/api/health").json()["history"] is False


def test_invalid_parameters_get_one_sentence_like_every_other_error(client):
    response = client.get("/api/history", params={"limit": 500})
    assert response.status_code == 422
    assert response.json() == {"detail": "invalid request: limit: Input should be less than or equal to 200"}
    response = client.post("/api/history/1/feedback", json={"label": 5})
    assert response.status_code == 422 and isinstance(response.json()["detail"], str)
