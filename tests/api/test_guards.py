"""Request bodies within bounds (digitrec.api.guards): size on the byte stream, time, a client gone.

These drive the app as the server does, through its ASGI `receive`, so they can
count exactly how much of a body the app asked for.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator

import anyio
import pytest

from digitrec.api import Settings, create_app
from digitrec.api.app import request_body_limit

BOUNDARY = b"digitrec-test-boundary"


def _scope(path: str, headers: dict[bytes, bytes]) -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"localhost"), *headers.items()], "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip


class Client:
    """One request through the app's ASGI interface; `read` counts the body bytes the app received."""

    def __init__(self, app) -> None:
        self.app = app
        self.read = 0
        self.sent: list[dict] = []

    def post(self, path: str, headers: dict[bytes, bytes], messages: Iterator[dict]) -> None:
        async def receive() -> dict:
            message = next(messages)
            self.read += len(message.get("body", b""))
            return message

        async def send(message: dict) -> None:
            self.sent.append(message)

        anyio.run(self.app, _scope(path, headers), receive, send)

    @property
    def status(self) -> int | None:
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        return starts[0]["status"] if starts else None

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(next(m for m in self.sent if m["type"] == "http.response.start")["headers"])


def _endless_upload(chunk_bytes: int = 16 * 1024) -> Iterator[dict]:
    """A multipart upload whose file part never ends, sent chunked (no Content-Length)."""
    head = (b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n")  # fmt: skip
    yield {"type": "http.request", "body": head, "more_body": True}
    for _ in itertools.count():
        yield {"type": "http.request", "body": b"\x89" * chunk_bytes, "more_body": True}


MULTIPART = {b"content-type": b"multipart/form-data; boundary=" + BOUNDARY, b"transfer-encoding": b"chunked"}


@pytest.fixture
def small_app(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/h.sqlite3", max_upload_bytes=30_000, body_timeout_s=0.5)
    return create_app(settings), request_body_limit(settings)


@pytest.mark.parametrize("path", ["/api/predict", "/api/predict/batch", "/api/read", "/predict"])
def test_a_chunked_oversize_upload_is_refused_with_less_than_twice_the_limit_read(small_app, path):
    app, limit = small_app
    client = Client(app)
    client.post(path, MULTIPART, _endless_upload())
    assert client.status == 413
    assert limit < client.read < 2 * limit
    assert client.headers[b"connection"] == b"close"  # the server reads none of the rest


def test_a_chunked_oversize_json_body_is_refused(small_app):
    app, limit = small_app

    def body() -> Iterator[dict]:
        yield {"type": "http.request", "body": b'{"image": "data:image/png;base64,', "more_body": True}
        while True:
            yield {"type": "http.request", "body": b"A" * 8192, "more_body": True}

    client = Client(app)
    client.post("/api/predict", {b"content-type": b"application/json"}, body())
    assert client.status == 413 and client.read < 2 * limit


def test_a_body_that_does_not_arrive_in_time_is_refused_with_408(small_app):
    app, _limit = small_app

    def body() -> Iterator[dict]:
        yield {"type": "http.request", "body": b"--" + BOUNDARY + b"\r\n", "more_body": True}
        yield {"type": "sleep"}  # stands for the rest of the body, which never comes

    client = Client(app)
    messages = body()

    async def receive() -> dict:
        message = next(messages)
        if message["type"] == "sleep":
            await anyio.sleep(60)
        return message

    async def send(message: dict) -> None:
        client.sent.append(message)

    anyio.run(app, _scope("/api/predict", MULTIPART), receive, send)
    assert client.status == 408
    assert b"did not arrive" in b"".join(m.get("body", b"") for m in client.sent)


def test_a_client_that_disconnects_mid_body_is_one_info_line(small_app, caplog):
    app, _limit = small_app

    def body() -> Iterator[dict]:
        yield {"type": "http.request", "body": b"--" + BOUNDARY + b"\r\n", "more_body": True}
        yield {"type": "http.disconnect"}

    client = Client(app)
    with caplog.at_level(logging.DEBUG):
        client.post("/api/predict", MULTIPART, body())
    assert client.sent == []  # nobody to answer
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].levelno == logging.INFO and "went away" in lines[0].getMessage()
    assert lines[0].exc_info is None


def test_a_content_length_over_the_limit_is_refused_before_reading(small_app):
    app, limit = small_app
    client = Client(app)
    client.post("/api/predict", {**MULTIPART, b"content-length": str(limit + 1).encode()}, _endless_upload())
    assert client.status == 413 and client.read == 0
