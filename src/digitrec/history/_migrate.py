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
    database made before migrations is marked as BASELINE first. Does nothing
    (and loads no migration) when it is already at the head.
    """
    was = current_revision(connection)
    if was == head_revision():
        return was
    config = _config(connection)
    if was is None and inspect(connection).has_table("predictions"):
        command.stamp(config, BASELINE)
        was = BASELINE
    command.upgrade(config, "head")
    logger.info("history database upgraded from %s to %s", was or "nothing", head_revision())
    return was
