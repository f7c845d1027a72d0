"""Bringing a history database to the current schema with Alembic (see `migrations/`)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from digitrec.history._errors import HistoryUnavailableError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The schema of databases made before migrations existed: a `predictions` table and no `alembic_version`.
BASELINE = "0001"
# A `predictions` table without `alembic_version` that has this column (restored from a dump of the table
# alone) is at this revision; rate_limits, which 0003 adds, is no part of such a dump.
OWNER_COLUMN_REVISION = "0002"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection  # migrations/env.py runs on it
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision, which the tables of `_schema.py` are at."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise HistoryUnavailableError(
            "the history's schema migrations are missing from this installation; reinstall digitrec"
        )
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None when Alembic has never run on it."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> str | None:
    """Upgrade the database to the head revision inside `connection`'s transaction.

    Returns the revision it was at (None: it had no tables of ours). A
    `predictions` table without Alembic's record (a database made before
    migrations, or the table restored alone) is marked with the revision its
    columns show first. Does nothing (and loads no migration) when the
    database is already at the head.
    """
    was = current_revision(connection)
    if was == head_revision():
        return was
    config = _config(connection)
    inspector = inspect(connection)
    if was is None and inspector.has_table("predictions"):
        columns = {column["name"] for column in inspector.get_columns("predictions")}
        was = OWNER_COLUMN_REVISION if "owner" in columns else BASELINE
        command.stamp(config, was)
    command.upgrade(config, "head")
    logger.info("history database upgraded from %s to %s", was or "nothing", head_revision())
    return was
