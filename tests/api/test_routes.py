import base64
import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from digitrec.api import Settings, create_app
from digitrec.api.context import AppContext
from digitrec.errors import HistoryUnavailableError

from payloads import data_url, encode

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_predict_multipart_answers_with_everything_the_page_needs(client, digit_png):
    png, label = digit_png(0)
    response = client.post("/api/predict", files={"file": ("d.png", png, "image/png")}, data={"source": "upload"})
    assert response.status_code == 200
    body = response.json()
    assert body["label"] == label and body["digit"] == int(label)
    assert len(body["probabilities"]) == 10 and abs(sum(body["probabilities"]) - 1) < 1e-4
    assert body["confidence"] == max(body["probabilities"])
    assert body["top_k"][0] == {"label": label, "probability": body["confidence"]}
    assert isinstance(body["uncertain"], bool)
    assert body["model"]["runtime"] == "onnxruntime" and len(body["model"]["version"]) == 12
    assert body["elapsed_ms"] > 0 and body["saved"] is True and isinstance(body["history_id"], int)
    seen = Image.open(io.BytesIO(base64.b64decode(body["preprocessed"].split(",", 1)[1])))
    assert seen.size == (28, 28)


def test_predict_json_data_url(client, digit_png):
    png, label = digit_png(1)
    response = client.post("/api/predict", json={"image": data_url(png), "source": "draw"})
    assert response.status_code == 200 and response.json()["label"] == label


def test_small_images_on_the_event_loop_and_large_ones_in_a_thread_get_the_same_answer(tmp_path, digit_png):
    from fastapi.testclient import TestClient

    png, label = digit_png(4)  # 280x280: 78,400 pixels
    bodies = []
    for inline_max_pixels in (512 * 512, 0):  # on the event loop; in a worker thread
        settings = Settings(database_url=f"sqlite:///{tmp_path}/h{inline_max_pixels}.sqlite3",
                            inline_max_pixels=inline_max_pixels)  # fmt: skip
        with TestClient(create_app(settings), base_url="http://localhost") as client:
            response = client.post("/api/predict", files={"file": ("d.png", png, "image/png")})
        assert response.status_code == 200
        bodies.append(response.json())
    assert bodies[0]["label"] == bodies[1]["label"] == label
    assert bodies[0]["probabilities"] == bodies[1]["probabilities"]
    assert bodies[0]["preprocessed"] == bodies[1]["preprocessed"]


def test_concurrent_requests_each_get_their_own_answer_and_history_item(settings, digit_png):
    import anyio
    import httpx

    images = [digit_png(i) for i in range(12)]

    async def send_all() -> list[dict]:
        app = create_app(settings)
        results: list[dict] = [{}] * len(images)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            await client.get("/")  # a visitor, whose history lists their items

            async def send(i: int) -> None:
                png, _label = images[i]
                response = await client.post("/api/predict", files={"file": ("d.png", png, "image/png")})
                results[i] = response.json()

            async with anyio.create_task_group() as tasks:
                for i in range(len(images)):
                    tasks.start_soon(send, i)
            history = await client.get("/api/history", params={"limit": 50})
        app.state.context.release()
        return results + [history.json()]

    *results, history = anyio.run(send_all)
    assert [r["label"] for r in results] == [label for _png, label in images]
    ids = [r["history_id"] for r in results]
    assert all(r["saved"] for r in results) and len(set(ids)) == len(images)
    stored = {item["id"]: item["answer"] for item in history["items"]}
    assert {i: stored[i] for i in ids} == {r["history_id"]: r["label"] for r in results}


def test_batch_answers_in_order_with_per_item_errors(client, digit_png, blank_png):
    (a, la), (b, lb) = digit_png(2), digit_png(3)
    files = [("files", ("a.png", a, "image/png")), ("files", ("blank.png", blank_png, "image/png")),
             ("files", ("junk.png", b"junk", "image/png")), ("files", ("b.png", b, "image/png"))]  # fmt: skip
    response = client.post("/api/predict/batch", files=files)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["filename"] for r in results] == ["a.png", "blank.png", "junk.png", "b.png"]
    assert [r["ok"] for r in results] == [True, False, False, True]
    assert results[0]["prediction"]["label"] == la and results[3]["prediction"]["label"] == lb
    assert results[1]["status"] == 422 and results[2]["status"] == 400
    # Both digits are in the history (one transaction), under their own ids and answers.
    saved = {r["prediction"]["history_id"]: r["prediction"]["label"] for r in results if r["ok"]}
    assert all(r["prediction"]["saved"] for r in results if r["ok"]) and len(saved) == 2
    items = {item["id"]: item for item in client.get("/api/history").json()["items"]}
    assert {i: items[i]["answer"] for i in saved} == saved
    assert {items[i]["source"] for i in saved} == {"api"}


def test_batch_without_history_answers_unsaved(digit_png):
    png, label = digit_png(4)
    with TestClient(create_app(Settings(history=False)), base_url="http://localhost") as client:
        response = client.post("/api/predict/batch", files=[("files", ("a.png", png, "image/png"))] * 2)
    assert response.status_code == 200
    predictions = [r["prediction"] for r in response.json()["results"]]
    assert [p["label"] for p in predictions] == [label, label]
    assert [(p["saved"], p["history_id"]) for p in predictions] == [(False, None), (False, None)]


def test_read_returns_the_string_boxes_and_confidences(client, mnist):
    canvas = Image.new("L", (420, 160), 255)
    picks = (0, 1, 2)
    for i, index in enumerate(picks):
        ink = Image.fromarray(mnist.test.images[index]).resize((110, 110), Image.Resampling.BICUBIC)
        canvas.paste(Image.eval(ink, lambda v: 255 - v), (20 + 130 * i, 25))
    response = client.post("/api/read", files={"file": ("line.png", encode(canvas), "image/png")})
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "".join(str(mnist.test.labels[i]) for i in picks)
    assert [len(d["box"]) for d in body["digits"]] == [4, 4, 4]
    assert body["digits"][0]["box"][0] < body["digits"][1]["box"][0] < body["digits"][2]["box"][0]
    assert body["confidence"] == min(d["confidence"] for d in body["digits"])


def test_model_card_and_health(client):
    card = client.get("/api/model").json()
    assert card["loaded"]["runtime"] == "onnxruntime" and "test_accuracy" in card
    health = client.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["history"] is True
    assert health.json()["history_reachable"] is True


def test_health_says_when_the_history_database_does_not_answer(client, monkeypatch):
    def unreachable() -> None:
        raise HistoryUnavailableError("the history database does not answer")

    monkeypatch.setattr(client.app.state.context.store, "ping", unreachable)
    health = client.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"  # predictions do not need it
    assert health.json()["history_reachable"] is False and "does not answer" in health.json()["detail"]


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"json": {"image": "data:image/png;base64,@@notbase64@@"}}, 400, "base64"),
        ({"files": {"file": ("x.png", b"\x89PNG\r\n\x1a\n broken", "image/png")}}, 400, ""),
        ({"files": {"file": ("x.png", b"", "image/png")}}, 400, "empty"),
        ({"files": {"file": ("x.pdf", b"%PDF-1.7 ...", "application/pdf")}}, 415, "PDF"),
        ({"content": b"just text", "headers": {"content-type": "text/plain"}}, 415, "multipart"),
        ({"json": {"picture": "x"}}, 422, "image"),
        ({"files": {"other": ("x.png", b"123", "image/png")}}, 422, "file"),
    ],
    ids=["bad-base64", "corrupt-png", "empty-file", "pdf", "wrong-content-type", "json-missing-field", "multipart-missing-field"],
)
def test_errors_have_the_right_status_and_a_sentence(client, kwargs, status, words):
    response = client.post("/api/predict", **kwargs)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and words.lower() in detail.lower()
    assert "Traceback" not in response.text


def test_an_empty_canvas_is_422_no_digit_found(client, blank_png):
    response = client.post("/api/predict", files={"file": ("blank.png", blank_png, "image/png")})
    assert response.status_code == 422 and "no digit" in response.json()["detail"]


def test_too_many_bytes_and_too_many_pixels_are_413(tmp_path, digit_png):
    from fastapi.testclient import TestClient

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", max_upload_bytes=2000, max_pixels=10_000)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        big = np.random.default_rng(0).integers(0, 255, (120, 120), dtype=np.uint8)
        response = client.post("/api/predict", files={"file": ("big.png", encode(Image.fromarray(big)), "image/png")})
        assert response.status_code == 413 and "limit" in response.json()["detail"]
        wide = encode(Image.new("1", (200, 200), 1))  # small file, 40,000 pixels
        response = client.post("/api/predict", files={"file": ("wide.png", wide, "image/png")})
        assert response.status_code == 413 and "pixels" in response.json()["detail"]
        response = client.post("/api/predict", content=b"x" * 50_000, headers={"content-type": "application/json"})
        assert response.status_code == 413


def test_no_model_loaded_is_503_and_health_says_degraded(tmp_path, digit_png):
    from fastapi.testclient import TestClient

    bad = tmp_path / "missing.onnx"
    settings = Settings(models=(bad,), database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}")
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        png, _ = digit_png(0)
        response = client.post("/api/predict", files={"file": ("d.png", png, "image/png")})
        assert response.status_code == 503 and "missing.onnx" in response.json()["detail"]
        health = client.get("/api/health")
        assert health.status_code == 503 and health.json()["status"] == "degraded"


def test_an_unexpected_failure_is_a_500_without_a_traceback(settings, digit_png, monkeypatch):
    from fastapi.testclient import TestClient

    context = AppContext.build(settings)
    monkeypatch.setattr(context.recognizer, "predict_candidates", lambda readings: 1 / 0)
    app = create_app(settings, context)
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        png, _ = digit_png(0)
        response = client.post("/api/predict", files={"file": ("d.png", png, "image/png")})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}


def test_a_broken_history_database_does_not_fail_the_prediction(settings, digit_png, monkeypatch):
    from fastapi.testclient import TestClient

    from digitrec.errors import HistoryUnavailableError

    context = AppContext.build(settings)

    def disk_full(news):
        raise HistoryUnavailableError("database or disk is full")

    monkeypatch.setattr(context.store, "add_many", disk_full)
    with TestClient(create_app(settings, context), base_url="http://localhost") as client:
        png, label = digit_png(0)
        response = client.post("/api/predict", files={"file": ("d.png", png, "image/png")})
    assert response.status_code == 200
    assert response.json()["label"] == label
    assert response.json()["saved"] is False and response.json()["history_id"] is None


def test_the_drawing_page_and_docs_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert client.get("/openapi.json").json()["info"]["title"] == "digitrec"
    assert client.get("/docs").status_code == 200


def test_the_serving_process_does_not_import_torch(tmp_path, digit_png):
    import subprocess
    import sys

    png, label = digit_png(5)
    (tmp_path / "d.png").write_bytes(png)
    code = f"""
import sys, warnings
warnings.simplefilter("ignore")
from pathlib import Path
from fastapi.testclient import TestClient
from digitrec.api import Settings, create_app
from digitrec.cli import build_parser
build_parser()
app = create_app(Settings(database_url="sqlite:///{tmp_path / 'h.sqlite3'}"))
with TestClient(app, base_url="http://localhost") as client:
    answer = client.post("/api/predict", files={{"file": ("d.png", Path("{tmp_path / 'd.png'}").read_bytes())}}).json()
print(answer["label"])
assert "torch" not in sys.modules, "torch was imported"
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == label


def test_a_batch_over_the_pixel_budget_is_refused_413_before_decoding(tmp_path, digit_png, monkeypatch):
    png, label = digit_png(0)  # 280x280: 78,400 pixels
    settings = Settings(database_url=f"sqlite:///{tmp_path}/h.sqlite3", max_batch_pixels=200_000)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        decoded = []
        context = client.app.state.context
        real = context.prepare_here
        monkeypatch.setattr(context, "prepare_here", lambda data: decoded.append(1) or real(data))
        within = client.post("/api/predict/batch", files=[("files", ("d.png", png, "image/png"))] * 2)
        assert within.status_code == 200 and [r["prediction"]["label"] for r in within.json()["results"]] == [label] * 2
        decoded.clear()
        over = client.post("/api/predict/batch", files=[("files", ("d.png", png, "image/png"))] * 3)
    assert over.status_code == 413 and decoded == []
    assert "235200 pixels in all" in over.json()["detail"] and "200000" in over.json()["detail"]


def test_error_bodies_quote_at_most_a_little_of_the_input(client, digit_png):
    png, _label = digit_png(0)
    item_id = client.post("/api/predict", files={"file": ("d.png", png, "image/png")}).json()["history_id"]
    long_label = client.post(f"/api/history/{item_id}/feedback", json={"label": "9" * 100_000})
    long_type = client.post("/api/predict", content=b"x", headers={"content-type": "text/" + "y" * 5000})
    long_query = client.get("/api/history", params={"limit": "8" * 10_000})
    for response, status in ((long_label, 422), (long_type, 415), (long_query, 422)):
        detail = response.json()["detail"]
        assert response.status_code == status and len(detail) < 400, (status, len(detail))
        assert "9" * 100 not in detail and "y" * 100 not in detail and "8" * 100 not in detail


def test_a_page_of_specks_is_refused_as_unreadable(client):
    from PIL import ImageDraw

    image = Image.new("L", (1000, 1000), 255)
    draw = ImageDraw.Draw(image)
    for k in range(900):
        x, y = 20 + (k % 30) * 32, 20 + (k // 30) * 32
        draw.rectangle([x, y, x + 2, y + 2], fill=0)
    draw.rectangle([500, 975, 505, 994], fill=0)  # enough ink in one mark that it is not noise
    response = client.post("/api/read", files={"file": ("specks.png", encode(image), "image/png")})
    assert response.status_code == 422
    assert "too many separate marks" in response.json()["detail"]
