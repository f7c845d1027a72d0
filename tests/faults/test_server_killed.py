"""The server killed with SIGKILL during a burst of predictions loses nothing it reported as saved."""

import os
import signal
import sqlite3
import threading
import time

import httpx
import pytest
from servers import free_port, start_server, stop_server

from digitrec.history import HistoryStore


@pytest.mark.slow
def test_sigkill_during_a_burst_keeps_every_saved_prediction(tmp_path, digit_png):
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    port = free_port()
    server = start_server(port, url)
    saved_ids: list[int] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                try:
                    body = http.post(f"http://127.0.0.1:{port}/api/predict", files={"file": ("d.png", digit_png)}).json()
                except (httpx.HTTPError, ValueError):
                    return  # the server is gone
                if body.get("saved"):
                    saved_ids.append(body["history_id"])

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(saved_ids) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(saved_ids) >= 40

    # The database opens, passes SQLite's own check, and holds every answer that said "saved".
    with sqlite3.connect(tmp_path / "history.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = HistoryStore(url)
    items, total = store.list(limit=200)
    stored = {item.id for item in items}
    assert set(saved_ids) <= stored
    assert all(item.answer == "7" and item.thumbnail_png for item in items)  # nothing half-written
    store.close()

    # The burst's clients sent no visitor cookie: their items are the admin's to list.
    token = "admin-token-of-this-test"
    restarted = start_server(port, url, env={**os.environ, "DIGITREC_ADMIN_TOKEN": token})
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/api/admin/history", params={"limit": 1},
                         headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
        assert page["total"] == total
    finally:
        stop_server(restarted)


@pytest.mark.slow
def test_a_read_only_history_still_answers_and_says_not_saved(tmp_path, digit_png):
    path = tmp_path / "history.sqlite3"
    HistoryStore(f"sqlite:///{path}").close()  # create it
    # SQLite's own read-only mode: refused writes even for root.
    port = free_port()
    server = start_server(port, f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        for _ in range(5):
            response = httpx.post(f"http://127.0.0.1:{port}/api/predict", files={"file": ("d.png", digit_png)})
            assert response.status_code == 200
            assert response.json()["label"] == "7"
            assert response.json()["saved"] is False and response.json()["history_id"] is None
    finally:
        stop_server(server)
