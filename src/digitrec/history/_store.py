"""HistoryStore: recorded predictions with user feedback, in SQLite or PostgreSQL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import BinaryIO, Self

from sqlalchemy import ColumnElement, Connection, delete, false, func, insert, select, true, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, defer, sessionmaker

from digitrec.history._counters import RateCounters
from digitrec.history._engine import (
    database_errors,
    default_database_url,
    describe,
    ensure_sqlite_folder,
    is_read_only,
    make_engine,
    parse_url,
    read_only_urls,
    upgrade_schema,
)
from digitrec.history._errors import HistoryNotFoundError, HistoryUnavailableError
from digitrec.history._export import write_dataset_zip
from digitrec.history._records import (
    EVERYONE,
    HistoryItem,
    NewPrediction,
    Owner,
    check_id,
    check_label,
    check_new,
    check_owner,
    check_page,
)
from digitrec.history._schema import Prediction

logger = logging.getLogger(__name__)

_INSERT = insert(Prediction.__table__).returning(Prediction.__table__.c.id)  # Core: no ORM layer
# Several rows in one statement (SQLAlchemy's "insertmanyvalues"), ids in the order of the rows.
_INSERT_MANY = insert(Prediction.__table__).returning(Prediction.__table__.c.id, sort_by_parameter_order=True)

EXPORT_BATCH = 500  # rows fetched at a time, so a large export does not load every image at once
# Rows deleted per transaction by forget() and purge_older_than(): each batch is short, so
# predictions are written between batches instead of waiting for the whole deletion.
DELETE_BATCH = 500
DELETE_PAUSE_S = 0.005  # between batches: a thread waiting for SQLite's write lock gets it
READ_ONLY = ("the history database is read-only to this server: it can be read, but predictions, "
             "corrections and deletions are not saved; make the file and its folder writable and restart")  # fmt: skip


class HistoryStore:
    """Prediction history in one database, safe to share between threads.

    Each call uses its own session and commits one short transaction, so
    several threads, processes or servers can write at once. Every database
    failure leaves as a HistoryError; a broken database is HistoryUnavailableError.

    Calls that read or change items take `owner`: EVERYONE (the default) acts
    on every item, an owner id only on that owner's, None only on the items
    recorded without one. An item of someone else is HistoryNotFoundError,
    exactly as one that does not exist.
    """

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        """Open the database at `url` (default: `default_database_url()`).

        With `create`, the SQLite folder and missing tables are created now;
        without it nothing is touched until the first call.
        """
        self._url = parse_url(url if url is not None else default_database_url())
        self._engine = make_engine(self._url)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        # SQLite lets one writer in at a time and makes the others poll with growing
        # sleeps (busy_timeout): under load, some requests wait far longer than the
        # writes take. Threads of this process queue on a lock instead; other
        # processes on the same file still meet busy_timeout.
        self._write_lock = threading.Lock() if self._url.get_backend_name() == "sqlite" else nullcontext()
        self._closed = False
        # Rate-limit counters in the same database (digitrec.api.ratelimit shares them between processes).
        self.counters = RateCounters(self._url.get_backend_name(), self._writing)
        self.read_only = False  # an existing database this process may read but not write
        self._write_failure: str | None = None  # why the last write failed; None once one succeeds
        if create:
            try:
                self._open()
            except BaseException:
                self._engine.dispose()
                raise
        logger.info("prediction history at %s%s", describe(self._url), " (read-only)" if self.read_only else "")

    def _open(self) -> None:
        """Create what is missing, or open an existing database that cannot be written for reading."""
        try:
            ensure_sqlite_folder(self._url)
            with database_errors("create or upgrade the history tables", self._url):
                upgrade_schema(self._engine)
        except HistoryUnavailableError as error:
            if not is_read_only(error) or not self._open_read_only():
                raise
            return
        try:  # a write that changes nothing: does the database take writes at all?
            with database_errors("check that the history can be written", self._url), self._engine.begin() as db:
                db.execute(delete(Prediction).where(false()))
        except HistoryUnavailableError as error:
            if not is_read_only(error):
                raise
            self.read_only = True

    def _open_read_only(self) -> bool:
        """Switch to the first read-only way of opening the file that reads the table; False if none does."""
        for url in read_only_urls(self._url):
            engine = make_engine(url)
            try:
                with engine.connect() as connection:  # the newest column: an older schema is not readable
                    connection.execute(select(Prediction.id, Prediction.owner).limit(1)).all()
            except SQLAlchemyError:
                engine.dispose()
                continue
            self._engine.dispose()
            self._engine, self._sessions = engine, sessionmaker(engine, expire_on_commit=False)
            self.read_only = True
            return True
        return False

    @property
    def url(self) -> str:
        """The database URL, without its password."""
        return describe(self._url)

    def add(self, new: NewPrediction) -> int:
        """Store one prediction, stamped now (UTC); return its id."""
        return self.add_many([new])[0]

    def add_many(self, news: Sequence[NewPrediction]) -> list[int]:
        """Store several predictions in one transaction (all or none); return their ids in order.

        The service's history writer saves the predictions of requests that
        arrive together this way: one commit instead of one per request.
        """
        for new in news:
            check_new(new)
        if not news:
            return []
        self._check_writable("record a prediction")
        now = datetime.now(UTC)
        rows = [_values(new, now) for new in news]
        # A prepared Core INSERT ... RETURNING on a plain connection: an ORM session
        # (or building the statement anew) costs several times more per row.
        try:
            with self._write_lock, self._connection("record a prediction") as connection:
                if len(rows) == 1:
                    ids = [int(connection.execute(_INSERT, rows[0]).scalar_one())]
                else:
                    ids = [int(item_id) for item_id in connection.execute(_INSERT_MANY, rows).scalars()]
        except HistoryUnavailableError as error:
            self._write_failure = str(error)
            raise
        self._write_failure = None
        return ids

    def list(self, limit: int = 20, offset: int = 0, owner: Owner = EVERYONE) -> tuple[list[HistoryItem], int]:
        """One page of `owner`'s items, newest first, and the total number of them."""
        check_page(limit, offset)
        mine = _owned_by(owner)
        query = (
            select(Prediction)
            .where(mine)
            .options(defer(Prediction.preprocessed_png, raiseload=True))
            .order_by(Prediction.created_at.desc(), Prediction.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self._session("list the history") as session:
            total = session.scalar(select(func.count()).select_from(Prediction).where(mine)) or 0
            rows = session.scalars(query).all()
            return [HistoryItem.from_row(row, with_preprocessed=False) for row in rows], total

    def get(self, item_id: int, owner: Owner = EVERYONE) -> HistoryItem:
        """One of `owner`'s items with its preprocessed image; HistoryNotFoundError if there is none."""
        check_id(item_id)
        mine = _owned_by(owner)
        with self._session("read a history item") as session:
            return HistoryItem.from_row(self._row(session, item_id, mine), with_preprocessed=True)

    def correct(self, item_id: int, label: str, owner: Owner = EVERYONE) -> HistoryItem:
        """Record the user's correct label (one digit, or 1..32 digits for a line) on one of `owner`'s items."""
        check_id(item_id)
        mine = _owned_by(owner)
        self._check_writable("save a correction")
        with self._write_lock, self._session("save a correction") as session:
            kind = session.scalar(select(Prediction.kind).where(Prediction.id == item_id, mine))
            if kind is None:
                raise HistoryNotFoundError(item_id)
            label = check_label(kind, label)
            # One UPDATE rather than read-modify-write: SQLite then takes its write
            # lock first (and waits for it), and a concurrent delete shows as rowcount 0.
            changed = session.execute(
                update(Prediction)
                .where(Prediction.id == item_id, mine)
                .values(correct_label=label, corrected_at=datetime.now(UTC))
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount == 0:  # type: ignore[attr-defined]
                raise HistoryNotFoundError(item_id)
            item = HistoryItem.from_row(self._row(session, item_id, mine), with_preprocessed=False)
            session.commit()
            return item

    def delete(self, item_id: int, owner: Owner = EVERYONE) -> None:
        """Remove one of `owner`'s items for good; HistoryNotFoundError if there is none."""
        check_id(item_id)
        mine = _owned_by(owner)
        self._check_writable("delete a history item")
        with self._write_lock, self._session("delete a history item") as session:
            gone = session.execute(
                delete(Prediction)
                .where(Prediction.id == item_id, mine)
                .execution_options(synchronize_session=False)
            )
            if gone.rowcount == 0:  # type: ignore[attr-defined]
                raise HistoryNotFoundError(item_id)
            session.commit()

    def forget(self, owner: str) -> int:
        """Delete every item of `owner`, a batch at a time; return how many."""
        check_owner(owner)
        return self._delete_in_batches("forget a visitor's history", Prediction.owner == owner)

    def purge_older_than(self, cutoff: datetime, stop: threading.Event | None = None) -> int:
        """Delete the items made before `cutoff`, a batch at a time, until none is left or `stop` is set.

        Returns how many were deleted. Each batch is its own transaction, so
        predictions are recorded meanwhile (see DELETE_BATCH).
        """
        return self._delete_in_batches("delete old history items", Prediction.created_at < cutoff, stop)

    def export_corrected(self, out: BinaryIO, owner: Owner = EVERYONE) -> int:
        """Write `owner`'s corrected digits to `out` as a zip dataset; return how many.

        Layout: `<label>/<id>.png` (the 28x28 white-on-black image the model
        saw) and `labels.txt` with `path label` lines. Lines (kind "line") are
        skipped: their strip would need splitting, and their per-digit crops
        are not guaranteed to match the corrected digits one to one.
        """
        query = (
            select(Prediction.id, Prediction.correct_label, Prediction.preprocessed_png)
            .where(Prediction.kind == "digit", Prediction.correct_label.is_not(None), _owned_by(owner))
            .order_by(Prediction.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        with self._session("export corrected digits") as session:
            # str(): the WHERE clause already excludes rows without a label.
            rows = ((item_id, str(label), bytes(png)) for item_id, label, png in session.execute(query))
            return write_dataset_zip(out, rows)

    def ping(self) -> None:
        """Check that the database answers a read of the table; HistoryUnavailableError if not.

        The newest row is read, so a table whose pages are damaged fails here
        (its root and last page at least), not only a database that does not
        answer at all. Writes are not tried.
        """
        with self._session("read the history") as session:
            session.execute(select(Prediction.id).order_by(Prediction.id.desc()).limit(1)).all()

    def write_problem(self) -> str | None:
        """Why predictions are not being saved, in a sentence without paths; None when they are.

        Known without writing: a database opened read-only, or the last write
        having failed (until one succeeds again).
        """
        if self.read_only:
            return READ_ONLY
        if self._write_failure is not None:
            return f"the last prediction was not saved: {self._write_failure}"
        return None

    def release_connections(self) -> None:
        """Close the pooled connections (at server shutdown); the store opens new ones if used again."""
        self._engine.dispose()

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._closed = True
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _session(self, action: str) -> Iterator[Session]:
        """A session for one call; any SQLAlchemy error becomes a HistoryError naming `action`."""
        self._check_open()
        with database_errors(action, self._url), self._sessions() as session:
            yield session

    @contextmanager
    def _connection(self, action: str) -> Iterator[Connection]:
        """A connection in one transaction, committed on leaving; errors become HistoryErrors naming `action`."""
        self._check_open()
        with database_errors(action, self._url), self._engine.begin() as connection:
            yield connection

    @contextmanager
    def _writing(self, action: str) -> Iterator[Connection]:
        """A connection in one transaction for a write, after this process's other writers (see __init__)."""
        with self._write_lock, self._connection(action) as connection:
            yield connection

    def _delete_in_batches(self, action: str, where: ColumnElement[bool], stop: threading.Event | None = None) -> int:
        self._check_writable(action)
        # One statement per batch: on SQLite a write from the start, so it waits for the lock
        # (busy_timeout) instead of failing to upgrade a read transaction.
        batch = delete(Prediction).where(
            Prediction.id.in_(select(Prediction.id).where(where).order_by(Prediction.id).limit(DELETE_BATCH))
        )
        deleted = 0
        while stop is None or not stop.is_set():
            with self._writing(action) as connection:
                count = connection.execute(batch).rowcount
            deleted += count
            if count < DELETE_BATCH:
                break
            time.sleep(DELETE_PAUSE_S)
        return deleted

    def _check_writable(self, action: str) -> None:
        if self.read_only:
            raise HistoryUnavailableError(f"could not {action}: {READ_ONLY}")

    def _check_open(self) -> None:
        if self._closed:
            raise HistoryUnavailableError(f"the history store for {self.url} is closed; open a new one")

    @staticmethod
    def _row(session: Session, item_id: int, mine: ColumnElement[bool]) -> Prediction:
        row = session.scalars(select(Prediction).where(Prediction.id == item_id, mine)).one_or_none()
        if row is None:
            raise HistoryNotFoundError(item_id)
        return row


def _owned_by(owner: Owner) -> ColumnElement[bool]:
    """The WHERE clause of `owner`'s items (see HistoryStore)."""
    if owner is EVERYONE:
        return true()
    check_owner(owner)
    return Prediction.owner.is_(None) if owner is None else Prediction.owner == owner


def _values(new: NewPrediction, now: datetime) -> dict[str, object]:
    return {
        "created_at": now,
        "source": new.source,
        "kind": new.kind,
        "answer": new.answer,
        "confidence": float(new.confidence),
        "probabilities": new.probabilities,
        "model_name": new.model_name,
        "model_version": new.model_version,
        "preprocessed_png": new.preprocessed_png,
        "thumbnail_png": new.thumbnail_png,
        "owner": new.owner,
    }
