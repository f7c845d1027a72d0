"""Deleting what has expired, on a thread of its own: old history items and ended rate-limit windows.

Once at start-up, then every PURGE_EVERY_S. Items are deleted a batch at a
time (HistoryStore.purge_older_than), so predictions are recorded between
batches and never wait for the whole purge. Every process of a shared
database runs its own; they only find less to delete.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from digitrec.errors import HistoryError
from digitrec.history import HistoryStore

log = logging.getLogger(__name__)

PURGE_EVERY_S = 3600.0


class Housekeeper:
    """Runs `run_once` at start and every `every_s` until `stop` (see the module)."""

    def __init__(self, store: HistoryStore, history_days: int | None, every_s: float = PURGE_EVERY_S) -> None:
        self.store = store
        self.history_days = history_days
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="digitrec-housekeeping", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop after the batch in progress (a purge checks between batches)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def run_once(self) -> tuple[int, int]:
        """Delete expired items and counters now; return how many of each."""
        items = 0
        if self.history_days is not None:
            cutoff = datetime.now(UTC) - timedelta(days=self.history_days)
            items = self.store.purge_older_than(cutoff, stop=self._stop)
            if items:
                log.info("deleted %d history item(s) older than %d day(s)", items, self.history_days)
        counters = self.store.counters.drop_ended(time.time())
        return items, counters

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except HistoryError as exc:  # a database that is down now may be back at the next round
                log.warning("could not delete expired history: %s", exc)
            self._stop.wait(self.every_s)
