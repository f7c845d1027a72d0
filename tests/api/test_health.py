"""/api/health tells the truth about the history: off, on and working, or on and failing (and why)."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from digitrec.api import Settings, create_app
from digitrec.api.visitors import VISITOR_COOKIE, new_visitor_id, owner_of
from digitrec.history import HistoryStore, NewPrediction

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _client(database_url: str | None = None, **settings) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url, **settings)), base_url="http://localhost")


def _with_rows(path, count: int = 3, owner: str | None = None) -> None:
    """A history file with `count` predictions of `owner` in it."""
    with HistoryStore(f"sqlite:///{path}") as store:
        store.add_many([NewPrediction(source="api", kind="digit", answer="7", confidence=0.9,
                                      probabilities=[0.1] * 10, model_name="m", model_version="v",
                                      preprocessed_png=b"png", thumbnail_png=b"png", owner=owner)] * count)  # fmt: skip


def _predict(client: TestClient, digit_png) -> dict:
    png, label = digit_png(0)
    response = client.post("/api/predict", files={"file": ("d.png", png, "image/png")})
    assert response.status_code == 200 and response.json()["label"] == label  # answered whatever the history
    return response.json()


def test_history_off_by_configuration():
    with _client(history=False) as client:
        health = client.get("/api/health").json()
    assert (health["status"], health["history"], health["history_status"]) == ("ok", False, "off")
    assert health["history_reachable"] is None and health["history_detail"] is None


def test_history_on_and_working(tmp_path, digit_png):
    with _client(f"sqlite:///{tmp_path}/h.sqlite3") as client:
        assert _predict(client, digit_png)["saved"] is True
        health = client.get("/api/health").json()
    assert (health["history"], health["history_status"], health["history_reachable"]) == (True, "on", True)
    assert health["history_detail"] is None and health["detail"] is None


def test_a_database_with_damaged_pages_is_failing_with_the_reason_and_no_path(tmp_path, digit_png):
    path = tmp_path / "h.sqlite3"
    _with_rows(path, count=200)
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x5a" * (len(data) - 4096)  # every page but the first (the schema): the table's
    path.write_bytes(data)
    with _client(f"sqlite:///{path}") as client:
        health = client.get("/api/health")
        assert _predict(client, digit_png)["saved"] is False
        listing = client.get("/api/history")
    body = health.json()
    assert health.status_code == 200 and body["status"] == "ok"  # predictions still work
    assert (body["history"], body["history_status"], body["history_reachable"]) == (True, "failing", False)
    assert "malformed" in body["history_detail"] and "damaged" in body["history_detail"]
    assert listing.status_code == 503
    for text in (health.text, listing.text):
        assert str(tmp_path) not in text and "sqlite:" not in text


def test_a_file_that_is_not_a_database_is_failing_with_no_path(tmp_path, digit_png):
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with _client(f"sqlite:///{path}") as client:
        health = client.get("/api/health").json()
        assert _predict(client, digit_png)["saved"] is False
        listing = client.get("/api/history")
    assert health["history"] is True and health["history_status"] == "failing"
    assert "not a database" in health["history_detail"]
    assert listing.status_code == 503 and str(tmp_path) not in listing.text + str(health)


def test_an_existing_read_only_database_can_be_read_and_says_predictions_are_not_saved(tmp_path, digit_png):
    # mode=ro is enforced by SQLite itself, so the file is read-only even to root (unlike chmod).
    path = tmp_path / "h.sqlite3"
    visitor = new_visitor_id()
    _with_rows(path, owner=owner_of(visitor))
    with _client(f"sqlite:///file:{path}?mode=ro&uri=true") as client:
        client.cookies.set(VISITOR_COOKIE, visitor)
        health = client.get("/api/health").json()
        listing = client.get("/api/history")
        assert _predict(client, digit_png)["saved"] is False
        item_id = listing.json()["items"][0]["id"]
        assert client.get(f"/api/history/{item_id}").status_code == 200
        feedback = client.post(f"/api/history/{item_id}/feedback", json={"label": "1"})
        assert client.get("/api/history/export").status_code == 200
    assert (health["history"], health["history_status"], health["history_reachable"]) == (True, "failing", True)
    assert "read-only" in health["history_detail"] and str(tmp_path) not in health["history_detail"]
    assert listing.status_code == 200 and listing.json()["total"] == 3
    assert feedback.status_code == 503 and "read-only" in feedback.json()["detail"]


def test_a_write_that_fails_shows_until_one_succeeds(tmp_path, digit_png, monkeypatch):
    from digitrec.errors import HistoryUnavailableError

    def disk_full(action: str):
        raise HistoryUnavailableError(f"could not {action}: the history database says 'database or disk is full'")

    with _client(f"sqlite:///{tmp_path}/h.sqlite3") as client:
        store = client.app.state.context.store
        monkeypatch.setattr(store, "_connection", disk_full)
        assert _predict(client, digit_png)["saved"] is False
        health = client.get("/api/health").json()
        assert (health["history_status"], health["history_reachable"]) == ("failing", True)  # reads still work
        assert "not saved" in health["history_detail"] and "disk is full" in health["history_detail"]
        monkeypatch.undo()
        assert _predict(client, digit_png)["saved"] is True
        assert client.get("/api/health").json()["history_status"] == "on"


def test_a_history_folder_that_cannot_be_made_is_failing_with_no_path(tmp_path, digit_png):
    (tmp_path / "a-file").write_text("not a folder")
    with _client(f"sqlite:///{tmp_path}/a-file/h.sqlite3") as client:
        health = client.get("/api/health").json()
        listing = client.get("/api/history")
        assert _predict(client, digit_png)["saved"] is False
    assert health["history_status"] == "failing" and health["history_reachable"] is False
    assert "folder" in health["history_detail"]
    assert listing.status_code == 503
    assert str(tmp_path) not in str(health) + listing.text
