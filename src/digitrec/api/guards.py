"""Reading request bodies within bounds: size, time, and a client that goes away.

`BodyGuard` wraps the ASGI `receive` of every request:

- a body larger than the limit is refused with 413 as soon as its
  Content-Length says so, or, chunked or not, multipart included, as soon
  as the bytes read pass the limit: reading stops there;
- a body still incomplete after `timeout_s` is refused with 408 (uvicorn
  has no timeout for a slow body; a proxy in front can have one);
- a client that disconnects before its body is complete is logged as one
  INFO line, not as the traceback of an error.

A refusal closes the connection (`Connection: close`), so the server reads
none of the rest.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import anyio
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class _Refused(Exception):
    """Raised into the app from `receive`: its body will not be read further (see BodyGuard)."""


@dataclass
class _Body:
    """What one request's body has done so far."""

    deadline: float
    read: int = 0
    complete: bool = False
    refusal: JSONResponse | None = None
    started: bool = False  # whether a response has been sent to the client


class BodyGuard:
    """ASGI middleware: a request body of at most `max_bytes`, arriving within `timeout_s` (see the module)."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large()(scope, receive, send)
            return
        body = _Body(deadline=time.monotonic() + self.timeout_s)

        async def guarded_receive() -> Message:
            if body.refusal is not None:
                raise _Refused
            if body.complete:  # the body is in: what follows is waiting for a disconnect, as long as it takes
                return await receive()
            message = await self._receive_within(receive, body)
            if message["type"] == "http.request":
                body.read += len(message.get("body", b""))
                if body.read > self.max_bytes:
                    body.refusal = self._too_large()
                    raise _Refused
                body.complete = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            if body.refusal is not None:
                return  # the app's answer to a body it could not read; the refusal goes instead
            body.started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except ClientDisconnect:
            log.info("client went away during the request body: %s %s after %d bytes",
                     scope["method"], scope["path"], body.read)  # fmt: skip
            return
        except _Refused:
            pass
        if body.refusal is not None and not body.started:
            await body.refusal(scope, receive, send)

    async def _receive_within(self, receive: Receive, body: _Body) -> Message:
        try:
            with anyio.fail_after(max(0.0, body.deadline - time.monotonic())):
                return await receive()
        except TimeoutError:
            body.refusal = _refusal(
                408, f"the request body did not arrive within {self.timeout_s:g} seconds; send it in one go"
            )
            raise _Refused from None

    def _too_large(self) -> JSONResponse:
        return _refusal(413, f"the request is larger than the {self.max_bytes}-byte limit")


def _refusal(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers={"Connection": "close"})
