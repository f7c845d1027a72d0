"""The tables of the history database as typed SQLAlchemy ORM models.

The migrations (`migrations/versions`) create and change them; a change here
needs a new revision there (tests/test_history.py checks that they agree).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Float, Index, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite keeps no zone at all and PostgreSQL returns values in the session's
    zone, so both are normalised to UTC on the way in and out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # A naive value can only have come from this package, which always means UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Metadata of the history database."""


class Prediction(Base):
    """One recognised drawing or upload, with the user's correction if any."""

    __tablename__ = "predictions"
    # AUTOINCREMENT: SQLite would otherwise reuse the id of a deleted newest row,
    # and a stale page could then correct someone else's prediction.
    __table_args__ = (
        # A visitor's page of history: their items, newest first.
        Index("ix_predictions_owner_created_at", "owner", "created_at"),
        {"sqlite_autoincrement": True},
    )

    # 64-bit ids (bigserial) on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit,
    # and must be spelled INTEGER to be the autoincrementing rowid.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    source: Mapped[str] = mapped_column(String(16))  # "draw", "upload" or "api"
    kind: Mapped[str] = mapped_column(String(16))  # "digit" or "line"
    answer: Mapped[str] = mapped_column(String)  # "7", or the digits read from a line
    confidence: Mapped[float] = mapped_column(Float)
    # 10 floats for a digit; a list of 10 floats per digit for a line.
    probabilities: Mapped[list[Any]] = mapped_column(JSON)
    model_name: Mapped[str] = mapped_column(String)
    model_version: Mapped[str] = mapped_column(String)
    preprocessed_png: Mapped[bytes] = mapped_column(LargeBinary)  # 28x28 (a strip for lines)
    thumbnail_png: Mapped[bytes] = mapped_column(LargeBinary)  # <= 96 px longer side
    correct_label: Mapped[str | None] = mapped_column(String, default=None)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Who may see the item: a visitor's id (digest of their cookie, see digitrec.api.visitors);
    # NULL for anonymous API clients and items made before owners existed, which only the admin sees.
    owner: Mapped[str | None] = mapped_column(String(64), default=None)


class RateCounter(Base):
    """Requests counted against a rate limit in its current window, shared by every server process."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # limit and client address
    count: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # end of the window, Unix seconds
