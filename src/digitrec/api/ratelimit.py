"""Requests per client address: the `limits` package's fixed windows, shared through the database.

    limits = ClientLimits(settings.rate_limits(), store)   # store None: this process counts alone
    wait_s = await limits.wait_s("203.0.113.7")           # 0: go ahead; else 429 with Retry-After

`RateLimit` (ASGI middleware) applies it to /api/* (but /api/health, which
load balancers poll) and the seed-compatible /predict; the page, its files
and /docs are not counted. The client address is the connection's peer, or
the one a trusted proxy forwarded (Settings.forwarded_allow_ips).

With history on, the counts live in the history database (`HistoryStore.counters`):
every process on that database, workers of one server or instances on one
PostgreSQL server, counts against the same limit. Without a database, or
while it fails, each process counts on its own (the package's MemoryStorage).
"""

from __future__ import annotations

import logging
import math
import time

from fastapi.responses import JSONResponse
from limits import RateLimitItem
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from digitrec.api.microbatch import MicroBatcher
from digitrec.errors import HistoryError
from digitrec.history import HistoryStore

log = logging.getLogger(__name__)

NOT_COUNTED = frozenset({"/api/health"})
CHECK_BATCH = 32  # requests checked in one hop to the database thread
# After the database fails, counts stay in memory this long before it is tried again: a server that is
# down costs each try its connect timeout (5 s), which no request should wait for.
RETRY_DATABASE_AFTER_S = 30.0


class DatabaseStorage(Storage):
    """The `limits` storage interface over the history database's counters (HistoryStore.counters)."""

    STORAGE_SCHEME = None  # made from a store, not from a storage URI

    def __init__(self, store: HistoryStore) -> None:
        super().__init__()
        self._counters = store.counters

    @property
    def base_exceptions(self) -> type[Exception]:
        return HistoryError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._counters.hit(key, expiry, amount, time.time())[0]

    def get(self, key: str) -> int:
        return self._counters.get(key, time.time())[0]

    def get_expiry(self, key: str) -> float:
        return self._counters.get(key, time.time())[1]

    def check(self) -> bool:
        try:
            self._counters.get("", time.time())
        except HistoryError:
            return False
        return True

    def reset(self) -> int | None:
        return self._counters.clear()

    def clear(self, key: str) -> None:
        self._counters.clear(key)


class ClientLimits:
    """The configured limits per client address (see the module)."""

    def __init__(self, items: list[RateLimitItem], store: HistoryStore | None) -> None:
        self.items = items
        self._local = FixedWindowRateLimiter(MemoryStorage())
        self._shared = FixedWindowRateLimiter(DatabaseStorage(store)) if store is not None else None
        self._checks: MicroBatcher[str, int] | None = None
        self._database_again_at = -math.inf  # time.monotonic() from which the database is tried again

    @property
    def shared(self) -> bool:
        """Whether the counts are in the database, shared with other processes."""
        return self._shared is not None

    def describe(self) -> str:
        """'60 per minute', '10 per second and 300 per 2 hours'."""
        return " and ".join(_per(item) for item in self.items)

    async def wait_s(self, client: str) -> int:
        """Count one request of `client`; return 0 if it may go ahead, else the seconds until it may."""
        if self._shared is None:
            return self.check(client)  # a dict in memory: no need to leave the event loop
        if self._checks is None:
            self._checks = MicroBatcher(self._check_many, CHECK_BATCH, "rate-limit")
        return await self._checks.submit(client)

    def check(self, client: str) -> int:
        """wait_s in the calling thread (which may wait for the database)."""
        if self._shared is not None and time.monotonic() >= self._database_again_at:
            try:
                return self._check(self._shared, client)
            except HistoryError as exc:
                self._database_again_at = time.monotonic() + RETRY_DATABASE_AFTER_S
                log.warning("rate limits counted by this process alone for %g s: the database fails: %s",
                            RETRY_DATABASE_AFTER_S, exc)  # fmt: skip
        return self._check(self._local, client)

    def close(self) -> None:
        if self._checks is not None:
            self._checks.close()

    def _check_many(self, clients: list[str]) -> list[int]:
        return [self.check(client) for client in clients]

    def _check(self, limiter: FixedWindowRateLimiter, client: str) -> int:
        over = [item for item in self.items if not limiter.hit(item, client)]  # every limit counts the request
        if not over:
            return 0
        now = time.time()
        return max(1, *(math.ceil(limiter.get_window_stats(item, client).reset_time - now) for item in over))


def _per(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return f"{item.amount} per {unit}" if item.multiples == 1 else f"{item.amount} per {item.multiples} {unit}s"


def counted(path: str) -> bool:
    """Whether a request to `path` counts against the rate limit."""
    return (path.startswith("/api/") and path not in NOT_COUNTED) or path == "/predict"


class RateLimit:
    """ASGI middleware: 429 with Retry-After for a client over its limits (see the module)."""

    def __init__(self, app: ASGIApp, limits: ClientLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not counted(scope["path"]):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait_s = await self.limits.wait_s(client)
        if wait_s == 0:
            await self.app(scope, receive, send)
            return
        refusal = JSONResponse(
            {"detail": f"too many requests from your address (at most {self.limits.describe()}); "
                       f"try again in {wait_s} s"},
            status_code=429, headers={"Retry-After": str(wait_s)},
        )  # fmt: skip
        await refusal(scope, receive, send)
