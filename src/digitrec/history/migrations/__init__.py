"""Alembic migrations of the history database, run by `HistoryStore` when it opens one.

Each file in `versions/` is one revision; `0001` is the schema that databases
had before migrations existed (a database with a `predictions` table and no
`alembic_version` is marked as being at it, then upgraded). To change the
schema, change `_schema.py` and add the next revision by hand: a new file
whose `down_revision` is the latest one. tests/test_history.py checks that the
migrated schema matches `_schema.py`, on SQLite and PostgreSQL.
"""
