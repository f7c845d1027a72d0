"""What protects the service from other web pages: response headers and a cross-site check.

- `SecurityHeaders`: a Content-Security-Policy on every response (the page's
  allows only its own scripts and styles, nothing inline, no framing),
  `X-Content-Type-Options: nosniff`, and redirects that never name a host,
  so no Host header is echoed back.
- `CrossSiteGuard`: requests that change something (POST, PUT, PATCH,
  DELETE) from a browser page of another origin are refused with 403. The
  page's own origin and the configured CORS origins pass, and so do clients
  that send no Origin (curl, scripts).

The host allow-list is Starlette's `TrustedHostMiddleware` (see app.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The drawing page and /docs: their own scripts and styles, no inline code; images are also the
# answers' data: URLs and the uploaded photo's blob: preview.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Everything else (JSON, scripts, images) is never a document: nothing may run in it, nothing frame it.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response, and host-free redirects."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                page = headers.get("content-type", "").startswith("text/html")
                headers["Content-Security-Policy"] = PAGE_POLICY if page else OTHER_POLICY
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers that predate it
                headers["Referrer-Policy"] = "same-origin"
                if 300 <= message["status"] < 400 and "location" in headers:
                    headers["Location"] = _path_only(headers["location"])
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _path_only(location: str) -> str:
    """'http://evil.example/api/health?x=1' -> '/api/health?x=1': every redirect here stays on this server."""
    parts = urlsplit(location)
    path = parts.path or "/"
    if path.startswith("//"):  # would read as a host name again
        path = "/" + path.lstrip("/")
    return path + (f"?{parts.query}" if parts.query else "")


class CrossSiteGuard:
    """ASGI middleware: 403 for a state-changing request that a page of a foreign origin sent (see the module)."""

    def __init__(self, app: ASGIApp, trusted_origins: Iterable[str]) -> None:
        self.app = app
        self.trusted = frozenset(_normal_origin(origin) for origin in trusted_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING and not self._allowed(Headers(scope=scope)):
            refusal = JSONResponse(
                {"detail": "cross-site request refused: this server accepts changes only from its own page "
                           "and the configured CORS origins (DIGITREC_CORS_ORIGINS)"},
                status_code=403,
            )  # fmt: skip
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            # Browsers send Origin with every cross-origin POST; without it, only a cross-site
            # fetch metadata header says a browser page of another site sent this.
            return headers.get("sec-fetch-site") != "cross-site"
        return _normal_origin(origin) in self.trusted or _same_origin(origin, headers.get("host", ""))


def _normal_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _same_origin(origin: str, host: str) -> bool:
    """Whether `origin` names the host the request was sent to (its Host header), default ports ignored.

    The scheme is left out: behind a TLS proxy the page is https while the
    request reaches this server over http.
    """
    parts = urlsplit(_normal_origin(origin))
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc:
        return False  # "null" (a sandboxed frame, a file) and other schemes
    default = f":{_DEFAULT_PORTS[parts.scheme]}"
    return parts.netloc.removesuffix(default) == host.lower().removesuffix(default)
