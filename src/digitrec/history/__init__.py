"""Prediction history: what was recognised, when, by which model, and the user's corrections.

SQLite file by default (see `default_database_url`), PostgreSQL by URL.

    store = HistoryStore()                       # or HistoryStore("postgresql+psycopg://...")
    item_id = store.add(NewPrediction(...))
    items, total = store.list(limit=20)
    store.correct(item_id, "7")

Items have an owner (`NewPrediction.owner`); calls take `owner=` to act on one
owner's items only (see HistoryStore). The schema is upgraded by Alembic
migrations when a store opens a database (see `migrations/`).
"""

from digitrec.history._engine import default_database_url
from digitrec.history._errors import (
    HistoryError,
    HistoryInputError,
    HistoryNotFoundError,
    HistoryUnavailableError,
)
from digitrec.history._export import write_dataset_zip
from digitrec.history._records import EVERYONE, SOURCES, HistoryItem, NewPrediction, Owner, check_new
from digitrec.history._store import HistoryStore

__all__ = [
    "EVERYONE",
    "SOURCES",
    "HistoryError",
    "HistoryInputError",
    "HistoryItem",
    "HistoryNotFoundError",
    "HistoryStore",
    "HistoryUnavailableError",
    "NewPrediction",
    "Owner",
    "check_new",
    "default_database_url",
    "write_dataset_zip",
]
