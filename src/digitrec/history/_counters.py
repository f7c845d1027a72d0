"""Request counters in fixed time windows, kept in the history database so every process shares them.

The service's rate limit (digitrec.api.ratelimit) counts each client's
requests here when history is on: one atomic INSERT ... ON CONFLICT DO
UPDATE per request, on SQLite and PostgreSQL alike, so server processes on
one machine (SQLite) or on several (PostgreSQL) count against one limit.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Connection, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from digitrec.history._schema import RateCounter

_TABLE = RateCounter.__table__
_c = _TABLE.c


def _hit_statement(dialect: str):  # noqa: ANN202 (a dialect's Insert construct)
    """key, amount, now, expires -> (count, expires_at) after the hit; a window that has ended starts anew."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new = insert(_TABLE).values(key=bindparam("key"), count=bindparam("amount"), expires_at=bindparam("expires"))
    ended = _c.expires_at <= bindparam("now")
    return new.on_conflict_do_update(
        index_elements=[_c.key],
        set_={  # both read the row as it was: SQL evaluates every SET against the old values
            "count": case((ended, new.excluded["count"]), else_=_c["count"] + new.excluded["count"]),
            "expires_at": case((ended, new.excluded.expires_at), else_=_c.expires_at),
        },
    ).returning(_c["count"], _c.expires_at)


class RateCounters:
    """Counters by key, each living for a window of seconds from its first hit (see the module)."""

    def __init__(self, dialect: str, connection: Callable[[str], AbstractContextManager[Connection]]) -> None:
        """`connection(action)`: a connection in a committed transaction whose errors name `action`."""
        self._hit = _hit_statement(dialect)
        self._connection = connection

    def hit(self, key: str, window_s: float, amount: int, now: float) -> tuple[int, float]:
        """Add `amount` to `key`'s count; return the count and when its window ends (Unix seconds)."""
        with self._connection("count a request") as connection:
            count, expires = connection.execute(
                self._hit, {"key": key, "amount": amount, "now": now, "expires": now + window_s}
            ).one()
        return int(count), float(expires)

    def get(self, key: str, now: float) -> tuple[int, float]:
        """`key`'s count and the end of its window; (0, now) when it has none running."""
        with self._connection("read a request count") as connection:
            row = connection.execute(select(_c["count"], _c.expires_at).where(_c.key == key)).one_or_none()
        if row is None or row.expires_at <= now:
            return 0, now
        return int(row[0]), float(row.expires_at)

    def clear(self, key: str | None = None) -> int:
        """Forget `key`'s count, or every count with None; return how many were dropped."""
        query = delete(RateCounter) if key is None else delete(RateCounter).where(_c.key == key)
        with self._connection("clear request counts") as connection:
            return connection.execute(query).rowcount

    def drop_ended(self, now: float) -> int:
        """Delete the counters whose window ended before `now` (clients not seen since)."""
        with self._connection("drop old request counts") as connection:
            return connection.execute(delete(RateCounter).where(_c.expires_at <= now)).rowcount
