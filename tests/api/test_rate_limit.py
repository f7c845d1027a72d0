"""Requests per client address: 429 with Retry-After, recovery after the window, proxies trusted only when told."""

from __future__ import annotations

import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from digitrec.api import Settings, create_app
from digitrec.errors import ConfigError, HistoryUnavailableError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(params=["database", "memory"])
def limited(request, tmp_path):
    """Settings with a limit of 3 requests a second: counted in the SQLite history, or in memory (no history)."""

    def make(**overrides) -> Settings:
        history = {"database_url": f"sqlite:///{tmp_path / 'h.sqlite3'}"} if request.param == "database" else {
            "history": False}  # fmt: skip
        return Settings(rate_limit="3/second", **history, **overrides)

    make.storage = request.param
    return make


def _client(settings: Settings, address: str = "203.0.113.7") -> TestClient:
    return TestClient(create_app(settings), base_url="http://localhost", client=(address, 40000))


def _statuses(client: TestClient, count: int, path: str = "/api/model", **headers: str) -> list[int]:
    return [client.get(path, headers=headers).status_code for _ in range(count)]


def _start_of_a_window() -> None:
    """Wait for the next whole second, so that a 1-second window cannot end in the middle of a test step."""
    time.sleep(1.0 - time.time() % 1.0 + 0.01)


def test_over_the_limit_is_429_with_retry_after_then_it_recovers(limited):
    with _client(limited()) as client:
        assert client.app.state.context.limits.shared is (limited.storage == "database")
        _start_of_a_window()
        assert _statuses(client, 3) == [200, 200, 200]
        refused = client.get("/api/model")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["detail"].startswith("too many requests from your address (at most 3 per second)")
        time.sleep(int(refused.headers["retry-after"]))
        assert _statuses(client, 3) == [200, 200, 200]


def test_the_page_its_files_and_health_are_not_counted(limited):
    with _client(limited()) as client:
        _start_of_a_window()
        for path in ("/", "/static/js/main.js", "/api/health", "/docs", "/openapi.json"):
            assert set(_statuses(client, 5, path)) == {200}, path
        assert _statuses(client, 4, "/api/history") == [200, 200, 200, 429] if limited.storage == "database" else [
            404, 404, 404, 429]  # fmt: skip


def test_every_client_address_has_its_own_limit(limited):
    settings = limited()
    app = create_app(settings)
    with TestClient(app, base_url="http://localhost", client=("198.51.100.1", 1)) as first:
        second = TestClient(app, base_url="http://localhost", client=("198.51.100.2", 1))
        _start_of_a_window()
        assert _statuses(first, 4) == [200, 200, 200, 429]
        assert _statuses(second, 4) == [200, 200, 200, 429]


def test_the_seed_compatible_predict_is_counted_and_keeps_cors_on_a_refusal(limited, digit_png):
    origin = "http://localhost:5173"
    png, label = digit_png(0)
    with _client(limited()) as client:
        _start_of_a_window()
        answers = [client.post("/predict", files={"file": ("d.png", png, "image/png")}, headers={"Origin": origin})
                   for _ in range(4)]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].json()["predicted_digit"] == int(label)
    assert answers[3].headers["access-control-allow-origin"] == origin  # the page can read the 429


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(limited):
    # Not trusted (the default): X-Forwarded-For is ignored, so varying it does not escape the limit.
    with _client(limited(), "10.0.0.5") as client:
        _start_of_a_window()
        statuses = [client.get("/api/model", headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
                    for i in range(4)]  # fmt: skip
    assert statuses == [200, 200, 200, 429]
    # Trusted proxy: each forwarded client has its own limit; a client cannot hide behind a forged entry.
    with _client(limited(forwarded_allow_ips=("10.0.0.5",)), "10.0.0.5") as client:
        _start_of_a_window()
        assert _statuses(client, 4, **{"X-Forwarded-For": "192.0.2.1"}) == [200, 200, 200, 429]
        assert _statuses(client, 3, **{"X-Forwarded-For": "192.0.2.2"}) == [200, 200, 200]
        forged = {"X-Forwarded-For": "192.0.2.99, 192.0.2.1"}  # the proxy appended the real address last
        assert _statuses(client, 1, **forged) == [429]
    # A peer that is not the trusted proxy is counted as itself, whatever it forwards.
    with _client(limited(forwarded_allow_ips=("10.0.0.5",)), "10.0.0.6") as client:
        _start_of_a_window()
        statuses = [client.get("/api/model", headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
                    for i in range(4)]  # fmt: skip
    assert statuses == [200, 200, 200, 429]


def test_counts_are_in_the_database_and_a_failing_database_falls_back_to_memory(tmp_path, monkeypatch):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", rate_limit="3/second")
    with _client(settings) as client:
        store = client.app.state.context.store
        _start_of_a_window()
        assert _statuses(client, 2) == [200, 200]
        assert store.counters.get("LIMITER/203.0.113.7/3/1/second", time.time())[0] == 2  # limits' key

        def down(*args, **kwargs):
            raise HistoryUnavailableError("could not count a request: the history database says 'disk I/O error'")

        monkeypatch.setattr(store.counters, "hit", down)
        assert _statuses(client, 4) == [200, 200, 200, 429]  # this process's own count, from zero
        monkeypatch.undo()  # the database is back, but is left alone for a while: its failures cost time
        assert _statuses(client, 1) == [429] and store.counters.get("LIMITER/203.0.113.7/3/1/second", time.time())[0] == 2


def test_rate_limit_settings():
    assert Settings(rate_limit="120").rate_limits()[0].amount == 120
    assert str(Settings(rate_limit="120").rate_limits()[0].GRANULARITY.name) == "minute"
    assert [i.amount for i in Settings(rate_limit="10/second; 300/hour").rate_limits()] == [10, 300]
    for off in ("", "0", "off"):
        assert Settings(rate_limit=off).rate_limits() == []
    assert Settings.from_env({"DIGITREC_RATE_LIMIT": "60"}).rate_limits()[0].amount == 60
    with pytest.raises(ConfigError, match="rate limit"):
        Settings(rate_limit="many")
    with TestClient(create_app(Settings(history=False)), base_url="http://localhost") as client:
        assert client.app.state.context.limits is None
        assert set(_statuses(client, 20)) == {200}
