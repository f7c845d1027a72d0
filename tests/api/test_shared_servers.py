"""Two `digitrec serve` processes on one database: one history, one owner per item, one rate limit.

As in docs/operations.md, "Several instances on one PostgreSQL database"
(and workers sharing one SQLite file): a visitor whose requests land on
either instance sees the same items, nobody else's, and their requests
count against one limit.
"""

from __future__ import annotations

import os

import httpx
import pytest
from servers import free_port, start_server, stop_server

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

TOKEN = "shared-servers-admin-token"
LIMIT = 20  # requests a minute per client address, on both servers together


@pytest.fixture(params=["postgresql", "sqlite"])
def two_servers(request, tmp_path):
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgresql" else (
        f"sqlite:///{tmp_path / 'history.sqlite3'}")  # fmt: skip
    env = {**os.environ, "DIGITREC_ADMIN_TOKEN": TOKEN, "DIGITREC_THREADS": "1", "OMP_NUM_THREADS": "1"}
    servers = []
    try:
        for name in ("a", "b"):
            port = free_port()
            servers.append((start_server(port, url, "--rate-limit", str(LIMIT), log=tmp_path / f"{name}.log",
                                         env=env), f"http://127.0.0.1:{port}"))  # fmt: skip
        yield [base for _process, base in servers]
    finally:
        for process, _base in servers:
            stop_server(process)


def test_ownership_and_limits_hold_across_two_servers_on_one_database(two_servers, digit_png):
    a, b = two_servers
    png, label = digit_png(0)
    with httpx.Client(timeout=30) as alice, httpx.Client(timeout=30) as bob, httpx.Client(timeout=30) as script:
        alice.get(f"{a}/")  # her visitor id comes from server a ...
        bob.get(f"{b}/")
        # ... and is hers on server b too: cookies are per host name, and both are 127.0.0.1.
        hers = [alice.post(f"{base}/api/predict", files={"file": ("d.png", png)}).json()["history_id"]
                for base in (a, b)]  # fmt: skip
        his = bob.post(f"{a}/api/predict", files={"file": ("d.png", png)}).json()["history_id"]
        anonymous = script.post(f"{b}/api/predict", files={"file": ("d.png", png)}).json()["history_id"]
        for base in (a, b):
            assert [i["id"] for i in alice.get(f"{base}/api/history").json()["items"]] == hers[::-1]
            assert [i["id"] for i in bob.get(f"{base}/api/history").json()["items"]] == [his]
            assert script.get(f"{base}/api/history").json()["total"] == 0
            assert bob.get(f"{base}/api/history/{hers[0]}").status_code == 404
        assert alice.post(f"{b}/api/history/{hers[0]}/feedback", json={"label": label}).status_code == 200
        assert alice.get(f"{a}/api/history/{hers[0]}").json()["correct_label"] == label
        admin = script.get(f"{a}/api/admin/history", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert sorted(i["id"] for i in admin["items"]) == sorted([*hers, his, anonymous])
        used = 15  # the counted requests above (/api/*), all from 127.0.0.1 within this minute

        # The rest of the minute's requests, alternating between the servers: exactly LIMIT in all pass.
        statuses = [script.get(f"{(a, b)[i % 2]}/api/model").status_code for i in range(LIMIT - used + 4)]
        assert statuses == [200] * (LIMIT - used) + [429] * 4
        for base in (a, b):
            refused = script.get(f"{base}/api/model")
            assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 60
            assert script.get(f"{base}/api/health").status_code == 200  # not counted
