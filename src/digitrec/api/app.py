"""The FastAPI application: `create_app(settings)` builds it; nothing loads at import."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from digitrec import __version__
from digitrec.api import admin_routes, compat, history_routes, routes
from digitrec.api.context import AppContext
from digitrec.api.docs import install_docs
from digitrec.api.errors import install_error_handlers
from digitrec.api.guards import BodyGuard
from digitrec.api.ratelimit import ClientLimits, RateLimit
from digitrec.api.security import CrossSiteGuard, SecurityHeaders
from digitrec.api.settings import Settings
from digitrec.api.visitors import give_visitor_id

log = logging.getLogger(__name__)


def web_dir() -> Path:
    return Path(str(resources.files("digitrec").joinpath("web")))


def create_app(settings: Settings | None = None, context: AppContext | None = None) -> FastAPI:
    """Build the service; `context` lets tests bring their own recogniser and store."""
    settings = settings or Settings.from_env()
    ctx = context or AppContext.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.start()
        yield
        ctx.release()

    app = FastAPI(
        title="digitrec", version=__version__, lifespan=lifespan,
        description="Handwritten-digit recognition: draw or upload a digit, get the answer and its probabilities.",
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,  # /docs: see install_docs
    )  # fmt: skip
    app.state.context = ctx
    install_error_handlers(app)
    _add_middleware(app, settings, ctx.limits)
    app.include_router(routes.router)
    app.include_router(history_routes.router)
    app.include_router(admin_routes.router)
    app.include_router(compat.router)
    install_docs(app)
    _mount_page(app)
    return app


def _add_middleware(app: FastAPI, settings: Settings, limits: ClientLimits | None) -> None:
    """The layers around the routes, innermost first (each add_middleware wraps the ones before)."""
    app.add_middleware(BodyGuard, max_bytes=request_body_limit(settings), timeout_s=settings.body_timeout_s)
    app.add_middleware(CrossSiteGuard, trusted_origins=settings.cors_origins)
    if limits is not None:  # inside CORS, so that a page of another origin can read a 429
        app.add_middleware(RateLimit, limits=limits)
    app.add_middleware(
        CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=True,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"], allow_headers=["*"],
    )  # fmt: skip
    hosts = ["*"] if "*" in settings.allowed_hosts else list(settings.served_hosts)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts, www_redirect=False)
    if settings.forwarded_allow_ips:
        # uvicorn's own handling of X-Forwarded-For and -Proto, here in the app so that every
        # way of serving it (digitrec serve, workers, tests) trusts the same proxies.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))
    app.add_middleware(SecurityHeaders)


def request_body_limit(settings: Settings) -> int:
    """The most bytes one request body may have: one image as a base64 data URL, plus the form around it."""
    return settings.max_upload_bytes * 4 // 3 + 64 * 1024


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker runs: settings from DIGITREC_* variables."""
    return serving_app(Settings.from_env())


def serving_app(settings: Settings) -> FastAPI:
    """The app of a process that is about to serve it (`digitrec serve`, each of its workers)."""
    app = create_app(settings)
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Put what startup built out of the garbage collector's sight.

    The modules, the model and the app (about 100,000 objects) live as long as
    the process, yet each full collection of the garbage collector walks them
    all: in a 10-second load test, up to 76 ms each and about 0.37 s in all,
    with every request waiting, which was most of the p99 latency. Frozen, they
    are never scanned again; what requests create is collected as before. Not
    for tests, which build many apps: frozen objects are never freed.
    """
    gc.collect()  # garbage from startup is freed, not frozen
    gc.freeze()


def _mount_page(app: FastAPI) -> None:
    pages = web_dir()
    if not (pages / "index.html").is_file():
        log.warning("drawing page not found in %s; serving the API only", pages)

        @app.get("/", include_in_schema=False)
        def no_page() -> HTMLResponse:
            return HTMLResponse("<p>digitrec API: see <a href='/docs'>/docs</a></p>")

        return
    app.mount("/static", StaticFiles(directory=pages), name="static")

    @app.get("/", include_in_schema=False)
    def page(request: Request) -> FileResponse:
        # The visitor id comes with the page; no-store keeps any cache from handing one to another visitor.
        response = FileResponse(pages / "index.html", headers={"Cache-Control": "no-store"})
        give_visitor_id(request, response)
        return response
