"""Opening the history database: URLs, engines, schema and error mapping."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url

from digitrec.history import _migrate
from digitrec.history._errors import HistoryError, HistoryInputError, HistoryUnavailableError

logger = logging.getLogger(__name__)

HOME_ENV = "DIGITREC_HOME"
DATABASE_FILE = "history.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 5000  # how long a writer waits for another writer's lock
CONNECT_TIMEOUT_S = 5  # libpq waits forever by default; a prediction must not
POOL_TIMEOUT_S = 10  # waiting for a free pooled connection
# Any fixed 64-bit number; every instance takes this lock while creating or upgrading tables.
_SCHEMA_LOCK_KEY = 0x6469_6769_7472_6563  # "digitrec"


def user_data_dir() -> Path:
    """$DIGITREC_HOME, else $XDG_DATA_HOME/digitrec, else ~/.local/share/digitrec."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return (base / "digitrec").absolute()


def default_database_url() -> str:
    """sqlite:///<user data dir>/history.sqlite3; nothing is created until the store opens it."""
    return f"sqlite:///{user_data_dir() / DATABASE_FILE}"


def parse_url(url: str) -> URL:
    """A SQLAlchemy URL for SQLite or PostgreSQL; plain postgresql:// means psycopg 3."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise HistoryInputError(
            f"{url!r} is not a database URL; use sqlite:///path/to/history.sqlite3 "
            "or postgresql+psycopg://user@host/dbname"
        ) from error
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres") and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite" and not backend.startswith("postgres"):
        raise HistoryInputError(
            f"history databases are SQLite or PostgreSQL, not {backend!r}; "
            "use sqlite:///path or postgresql+psycopg://user@host/dbname"
        )
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        # Each pooled connection would get its own empty in-memory database.
        raise HistoryInputError(
            "an in-memory SQLite history is not supported; give a file, e.g. sqlite:///history.sqlite3"
        )
    return parsed


def describe(url: URL) -> str:
    """The URL without its password, for messages and logs."""
    return url.render_as_string(hide_password=True)


def ensure_sqlite_folder(url: URL) -> None:
    """Create the folder of a SQLite file (not for file: URIs, which SQLite parses itself)."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database.startswith("file:"):
        return
    folder = Path(url.database).expanduser().absolute().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # The message may reach HTTP clients: the folder is named in the server's log only.
        logger.error("cannot create the history folder %s: %s", folder, error)
        raise HistoryUnavailableError(
            f"cannot create the history database's folder ({error.strerror or type(error).__name__}: "
            "is part of the path a file, or read-only?); "
            f"choose a writable location (set {HOME_ENV} or pass a database URL)"
        ) from error


def read_only_urls(url: URL) -> list[URL]:
    """The ways to open an existing SQLite file for reading only, the safer first; none for other URLs.

    mode=ro reads a file that this process may not write. In WAL mode SQLite
    also needs its -shm file, which it cannot create in a read-only folder;
    immutable=1 then reads the file as it is, trusting that nobody writes it.
    """
    if url.get_backend_name() != "sqlite" or not url.database or url.database.startswith("file:"):
        return []
    path = Path(url.database).expanduser().absolute()
    return [url.set(database=f"file:{path}?mode=ro{extra}", query={"uri": "true"})
            for extra in ("", "&immutable=1")]  # fmt: skip


def is_read_only(error: BaseException) -> bool:
    """Whether a database error, or one that caused it, says the database cannot be written."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, sqlite3.Error) and getattr(seen, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY:
            return True
        if getattr(seen, "sqlstate", None) == "25006":  # PostgreSQL: read_only_sql_transaction
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def make_engine(url: URL) -> Engine:
    """An engine with the settings this store relies on (WAL for SQLite, pre-ping for PostgreSQL)."""
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url)
            event.listen(engine, "connect", _configure_sqlite)
            return engine
        return create_engine(
            url,
            pool_pre_ping=True,  # servers restart; a stale pooled connection must not fail a request
            pool_timeout=POOL_TIMEOUT_S,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        )
    except ImportError as error:
        raise HistoryUnavailableError(
            f"the database driver for {url.get_backend_name()} is not installed ({error}); "
            "for PostgreSQL install it with: pip install 'psycopg[binary]'"
        ) from error


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Set per-connection SQLite options; runs on every new pooled connection."""
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first, so that switching to WAL waits for other writers too.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL: readers never block the writer and a crash loses no committed row. A file this
        # process cannot write keeps its mode: it is opened for reading (HistoryStore).
        try:
            _switch_to_wal(cursor)
        except sqlite3.OperationalError as error:
            if not is_read_only(error):
                raise
        # NORMAL is durable against application crashes in WAL mode, and much faster than FULL.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """Put the database file in WAL mode, waiting (up to the busy timeout) for other processes.

    SQLite's busy handler does not cover every lock this switch takes: when two
    processes open a new database at once, one of them can get "database is
    locked" at once. The mode is stored in the file, so trying again is safe.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause_s = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            busy = getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() + pause_s > deadline:
                raise
        time.sleep(pause_s)
        pause_s = min(2 * pause_s, 0.05)


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the tables (Alembic migrations), safely when several instances start at once."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        else:
            # Take SQLite's write lock before checking what exists, so a second
            # process waits here instead of failing on "table already exists".
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        _migrate.upgrade(connection)


@contextmanager
def database_errors(action: str, url: URL) -> Iterator[None]:
    """Turn every SQLAlchemy error raised inside into a HistoryError with a sentence.

    The sentence does not name the database (its path or host): the service
    shows it to HTTP clients. The server's log says which database it opened.
    """
    try:
        yield
    except HistoryError:
        raise
    except (exc.IntegrityError, exc.DataError) as error:
        raise HistoryError(f"could not {action}: the history database refused it ({_reason(error)})") from error
    except exc.SQLAlchemyError as error:
        logger.debug("history database %s: error while trying to %s", describe(url), action, exc_info=True)
        raise HistoryUnavailableError(
            f"could not {action}: the history database says {_reason(error)!r}; {_hint(url, _reason(error))}"
        ) from error


def _hint(url: URL, reason: str) -> str:
    if url.get_backend_name() == "sqlite":
        if "malformed" in reason or "not a database" in reason:
            return "the file is damaged: restore it from a backup, or move it away to start a new history"
        return "check that the file and its folder are writable and the disk is not full"
    return "check that the server is up and reachable and that the database exists"


def _reason(error: exc.SQLAlchemyError) -> str:
    """The driver's own first line (e.g. 'attempt to write a readonly database')."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__
