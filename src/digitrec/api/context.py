"""What the routes share: settings, the recogniser and the history store, built once per app."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request

from digitrec.api.admin import AdminToken
from digitrec.api.housekeeping import Housekeeper
from digitrec.api.microbatch import MicroBatcher
from digitrec.api.ratelimit import ClientLimits
from digitrec.api.settings import Settings
from digitrec.backends import ModelInfo
from digitrec.errors import (
    DigitrecError,
    HistoryDisabledError,
    HistoryInputError,
    HistoryUnavailableError,
    ImageTooLargeError,
    ModelUnavailableError,
)
from digitrec.history import HistoryStore
from digitrec.imaging import DecodeLimits, OpenedImage, encode_png, image_to_gray, open_image, thumbnail_png
from digitrec.inference import Prediction, Recognizer, RecognizerConfig
from digitrec.preprocess import Preprocessed, to_mnist_candidates
from digitrec.recording import Recorded, record_digits

log = logging.getLogger(__name__)
T = TypeVar("T")

# Most requests answered in one batch (one model call, one history transaction): under
# load a batch holds the requests that arrived while the previous one was answered.
# ONNX Runtime keeps buffers sized for the largest batch it has run; the model's cost
# per image hardly falls beyond a few, so more would only hold more memory.
ANSWER_BATCH = 8


@dataclass(frozen=True)
class PreparedInput:
    """An input image made ready for the model, and its thumbnail for the history (None without history)."""

    readings: tuple[Preprocessed, ...]  # one, or both polarities where the paper is in doubt
    thumbnail_png: bytes | None


@dataclass(frozen=True)
class Answer:
    """One request's answer: the model's prediction, the PNG of what it saw, and the history record."""

    prediction: Prediction
    preprocessed_png: bytes
    recorded: Recorded


@dataclass
class AppContext:
    settings: Settings
    loaded: Recognizer | None
    model_error: str | None
    store: HistoryStore | None
    history_error: str | None
    admin: AdminToken = field(default_factory=AdminToken)  # default: admin operations off
    limits: ClientLimits | None = None  # None: no rate limit
    _limiter: anyio.CapacityLimiter | None = field(default=None, init=False, repr=False)
    _answers: MicroBatcher[tuple[PreparedInput, str, str | None], Answer] | None = field(
        default=None, init=False, repr=False
    )
    _housekeeper: Housekeeper | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        """Load the model and open the history; a failure of either is kept, not raised.

        A bad admin token setting is raised (ConfigError): the operator asked
        for admin operations and would not get them.
        """
        admin = AdminToken.from_settings(settings)
        loaded, model_error = None, None
        try:
            loaded = Recognizer(RecognizerConfig(
                models=settings.models, uncertain_below=settings.uncertain_below,
                not_digit_below=settings.not_digit_below, threads=settings.threads,
                limits=DecodeLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_pixels),
            ))  # fmt: skip
        except DigitrecError as exc:
            model_error = str(exc)
            log.error("no model loaded: %s", exc)
        store, history_error = None, None
        if settings.history:
            try:
                store = HistoryStore(settings.database_url)
            except HistoryInputError as exc:  # names the configured URL, which clients are not shown
                history_error = "the configured database URL is not usable; the server's log says why"
                log.error("history unavailable, predictions will not be saved: %s", exc)
            except DigitrecError as exc:
                history_error = str(exc)
                log.error("history unavailable, predictions will not be saved: %s", exc)
        items = settings.rate_limits()
        limits = ClientLimits(items, store) if items else None
        return cls(settings, loaded, model_error, store, history_error, admin, limits)

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

    async def prepare(self, data: bytes) -> PreparedInput:
        """Decode and preprocess one image: here on the event loop when it is small, else in a worker thread.

        A canvas-sized image takes a millisecond or two of work that holds the
        GIL wherever it runs, so handing it to a thread would only add the cost
        of the hop; a photo takes longer, and other requests go on meanwhile.
        """
        recognizer = self.recognizer
        image = open_image(data, recognizer.config.limits)  # the header only: cheap whatever the size
        if image.width * image.height <= self.settings.inline_max_pixels:
            return self._prepare(image)
        try:
            return await self.recognise(self._prepare, image)
        finally:
            image.close()  # a request cancelled before its turn leaves it open

    def prepare_here(self, data: bytes) -> PreparedInput:
        """Decode and preprocess one image in the calling thread (a batch's, already off the event loop)."""
        return self._prepare(open_image(data, self.recognizer.config.limits))

    def check_batch_pixels(self, images: Iterable[bytes]) -> None:
        """ImageTooLargeError (413) when the images together have more than `settings.max_batch_pixels`.

        From their headers only; an image whose header cannot be read counts
        nothing here, and fails on its own when the batch decodes it.
        """
        limit, total = self.settings.max_batch_pixels, 0
        for data in images:
            try:
                image = open_image(data, self.recognizer.config.limits)
            except DigitrecError:
                continue
            total += image.width * image.height
            image.close()
        if total > limit:
            raise ImageTooLargeError(
                f"the images of this batch have {total} pixels in all; at most {limit} are accepted per request. "
                "Send fewer or smaller images, or large photos one per request.",
                limit=limit, actual=total, unit="pixels",
            )  # fmt: skip

    def _prepare(self, image: OpenedImage) -> PreparedInput:
        gray = image_to_gray(image)
        readings = tuple(to_mnist_candidates(gray, self.recognizer.config.preprocess))
        return PreparedInput(readings, thumbnail_png(gray) if self.store is not None else None)

    async def answer(self, ready: PreparedInput, source: str, owner: str | None = None) -> Answer:
        """Recognise and record one prepared image (as `owner`'s), on the answering thread, off the event loop.

        That thread takes every request waiting (up to ANSWER_BATCH) at once:
        one ONNX Runtime call, one history transaction, one wake-up of the event
        loop. ONNX Runtime and SQLite release the GIL, so the event loop goes on
        with the next requests meanwhile. One thread for both, not one each:
        every hand-off of the GIL between threads costs CPU of its own.
        """
        if self._answers is None:
            self._answers = MicroBatcher(self._answer_batch, ANSWER_BATCH, "answers")
        return await self._answers.submit((ready, source, owner))

    def _answer_batch(self, requests: list[tuple[PreparedInput, str, str | None]]) -> list[Answer]:
        predictions = self.recognizer.predict_candidates([ready.readings for ready, _source, _owner in requests])
        pngs = [encode_png(prediction.image) for prediction in predictions]
        answered = zip(requests, predictions, pngs, strict=True)
        # prepare() made the thumbnails when history is on
        digits = [(source, ready.thumbnail_png, prediction, png) for (ready, source, _), prediction, png in answered]
        recorded = record_digits(self.store, self.model_info, digits, owners=[owner for *_, owner in requests])
        return [Answer(*parts) for parts in zip(predictions, pngs, recorded, strict=True)]

    async def recognise(self, work: Callable[..., T], *args: Any) -> T:
        """Run blocking recognition work in a worker thread, `settings.concurrency` at a time.

        Others wait their turn in order. Preprocessing holds the GIL, so threads
        beyond the cores only take turns at it (benchmarks/http_load.py
        --also-concurrency measures other settings).
        """
        if self._limiter is None:  # created on first use, inside the running event loop
            self._limiter = anyio.CapacityLimiter(self.settings.concurrency)
        return await anyio.to_thread.run_sync(functools.partial(work, *args), limiter=self._limiter)

    def start(self) -> None:
        """At server start: the housekeeping thread, when there is something to expire (see housekeeping.py)."""
        store = self.store
        if store is None or store.read_only or (self.settings.history_days is None and self.limits is None):
            return
        if self._housekeeper is None:
            self._housekeeper = Housekeeper(store, self.settings.history_days)
        self._housekeeper.start()

    def release(self) -> None:
        """At server shutdown: finish queued batches, hand pooled connections back (the app may start again)."""
        if self._housekeeper is not None:
            self._housekeeper.stop()
        if self.limits is not None:
            self.limits.close()
        if self._answers is not None:
            self._answers.close()
        if self.store is not None:
            self.store.release_connections()


async def get_context(request: Request) -> AppContext:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request.
    return request.app.state.context


ContextDep = Annotated[AppContext, Depends(get_context)]
