"""Micro-batching: requests that arrive together share one call on a thread of its own.

    model = MicroBatcher(recognizer.predict_candidates, max_batch=8, name="model")
    prediction = await model.submit(prepared)      # from any coroutine on the event loop

A waiting request costs one queue entry; the thread takes everything queued
(up to `max_batch`), makes one call for all of it, and wakes the event loop
once for the whole batch. Under load this replaces a thread hop per request
by one per batch, and work that releases the GIL (ONNX Runtime, SQLite) runs
on another core while the event loop goes on with the next requests.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")

_STOP = object()  # queued by close(): the thread finishes what came before it, then ends
_Job = tuple[object, asyncio.Future]


class MicroBatcher(Generic[In, Out]):
    """Runs `process(items) -> results` (same length, same order) for batches of submitted items.

    An exception raised by `process` is raised to every request of that batch;
    the thread goes on with the next. The thread starts on first use and ends
    at `close()` (a later `submit` starts it again).
    """

    def __init__(self, process: Callable[[list[In]], Sequence[Out]], max_batch: int, name: str) -> None:
        if max_batch <= 0:
            raise ValueError(f"max_batch must be positive, got {max_batch}")
        self._process = process
        self._max_batch = max_batch
        self._name = name
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, item: In) -> Out:
        """The result for `item`, computed in a batch with whatever else is waiting."""
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._ensure_thread()
        self._queue.put((item, future))
        return await future

    def close(self) -> None:
        """Finish the queued batches and stop the thread (at server shutdown)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=f"digitrec-{self._name}", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                batch.append(job)
            self._run_batch(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _run_batch(self, batch: list[_Job]) -> None:
        items = [item for item, _future in batch]
        failed = False
        try:
            results: list[object] = list(self._process(items))  # type: ignore[arg-type]
            if len(results) != len(items):
                raise RuntimeError(f"{self._name}: {len(results)} results for {len(items)} items")
        except Exception as exc:  # handed to each waiting request, which maps it at the edge
            log.debug("%s: a batch of %d failed", self._name, len(items), exc_info=True)
            results, failed = [exc] * len(items), True
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, object]]] = {}
        for (_item, future), result in zip(batch, results, strict=True):
            by_loop.setdefault(future.get_loop(), []).append((future, result))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, settled, failed)
            except RuntimeError:  # that loop has closed: nobody waits for these any more
                pass


def _settle(settled: list[tuple[asyncio.Future, object]], failed: bool) -> None:
    """On the event loop: hand each waiting request its result (or the batch's exception)."""
    for future, result in settled:
        if future.done():  # the request was cancelled (client gone)
            continue
        if failed:
            future.set_exception(result)  # type: ignore[arg-type]
        else:
            future.set_result(result)
