"""A full disk under the history database: predictions keep coming, marked "not saved"; nothing saved is lost.

The server runs with RLIMIT_FSIZE set a little above the database's size, so its
files cannot grow past it: the kernel refuses the write (EFBIG) exactly where a
full disk would refuse it (ENOSPC). SQLite's write fails mid-transaction either way
(it says "disk I/O error" for the one, "database or disk is full" for the other).
"""

import resource
import sqlite3

import httpx
import pytest
from servers import free_port, start_server, stop_server

from digitrec.history import HistoryStore

ROOM_BYTES = 64 * 1024  # what the files may grow by: room for a handful of predictions


@pytest.mark.slow
def test_a_full_disk_keeps_answering_and_loses_nothing_saved(tmp_path, digit_png):
    path = tmp_path / "history.sqlite3"
    url = f"sqlite:///{path}"
    HistoryStore(url).close()  # create it at its empty size
    limit = path.stat().st_size + ROOM_BYTES

    port = free_port()
    server = start_server(port, url)
    resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (limit, limit))
    answers = []
    try:
        with httpx.Client(timeout=10) as http:
            for _ in range(200):
                response = http.post(f"http://127.0.0.1:{port}/api/predict", files={"file": ("d.png", digit_png)})
                assert response.status_code == 200  # the answer never depends on the history
                answers.append(response.json())
                if sum(not a["saved"] for a in answers) >= 10:
                    break
            # Reading the history still works while writing to it fails.
            assert http.get(f"http://127.0.0.1:{port}/api/history").status_code == 200
    finally:
        stop_server(server)

    assert all(a["label"] == "7" for a in answers)
    saved = [a["history_id"] for a in answers if a["saved"]]
    unsaved = [a for a in answers if not a["saved"]]
    assert saved, "nothing fit: the room left is too small for this test"
    assert len(unsaved) >= 10, "the disk never filled up"
    assert all(a["history_id"] is None for a in unsaved)

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = HistoryStore(url)
    items, total = store.list(limit=200)
    store.close()
    assert sorted(item.id for item in items) == sorted(saved)  # every saved one, nothing half-written
    assert total == len(saved)
