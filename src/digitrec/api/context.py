"""What the routes share: settings, the recogniser and the history store, built once per app."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request

from digitrec.api.settings import Settings
from digitrec.backends import ModelInfo
from digitrec.errors import DigitrecError, HistoryDisabledError, HistoryUnavailableError, ModelUnavailableError
from digitrec.history import HistoryStore
from digitrec.imaging import DecodeLimits
from digitrec.inference import Recognizer, RecognizerConfig

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class AppContext:
    settings: Settings
    loaded: Recognizer | None
    model_error: str | None
    store: HistoryStore | None
    history_error: str | None
    _limiter: anyio.CapacityLimiter | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        """Load the model and open the history; a failure of either is kept, not raised."""
        loaded, model_error = None, None
        try:
            loaded = Recognizer(RecognizerConfig(
                models=settings.models, uncertain_below=settings.uncertain_below, threads=settings.threads,
                limits=DecodeLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_pixels),
            ))  # fmt: skip
        except DigitrecError as exc:
            model_error = str(exc)
            log.error("no model loaded: %s", exc)
        store, history_error = None, None
        if settings.history:
            try:
                store = HistoryStore(settings.database_url)
            except DigitrecError as exc:
                history_error = str(exc)
                log.error("history unavailable, predictions will not be saved: %s", exc)
        return cls(settings, loaded, model_error, store, history_error)

    @property
    def recognizer(self) -> Recognizer:
        if self.loaded is None:
            raise ModelUnavailableError(f"no model is loaded: {self.model_error}")
        return self.loaded

    def ensure_model(self) -> None:
        """Raise ModelUnavailableError (HTTP 503) when no model is loaded."""
        if self.loaded is None:
            raise ModelUnavailableError(f"no model is loaded: {self.model_error}")

    @property
    def model_info(self) -> ModelInfo:
        return self.recognizer.info

    @property
    def history(self) -> HistoryStore:
        """The store for the history endpoints; typed errors when it is off or broken."""
        if not self.settings.history:
            raise HistoryDisabledError("history is turned off on this server")
        if self.store is None:
            raise HistoryUnavailableError(f"the history database is unavailable: {self.history_error}")
        return self.store

    async def recognise(self, work: Callable[..., T], *args: Any) -> T:
        """Run blocking recognition work in a worker thread, `settings.concurrency` at a time.

        Others wait their turn in order. Preprocessing holds the GIL, so threads
        beyond the cores only take turns at it (benchmarks/http_load.py
        --also-concurrency measures other settings).
        """
        if self._limiter is None:  # created on first use, inside the running event loop
            self._limiter = anyio.CapacityLimiter(self.settings.concurrency)
        return await anyio.to_thread.run_sync(functools.partial(work, *args), limiter=self._limiter)

    def release(self) -> None:
        """At server shutdown: hand pooled database connections back (the app may start again)."""
        if self.store is not None:
            self.store.release_connections()


async def get_context(request: Request) -> AppContext:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request.
    return request.app.state.context


ContextDep = Annotated[AppContext, Depends(get_context)]
