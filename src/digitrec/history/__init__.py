"""Prediction history: what was recognised, when, by which model, and the user's corrections.

SQLite file by default (see `default_database_url`), PostgreSQL by URL.

    store = HistoryStore()                       # or HistoryStore("postgresql+psycopg://...")
    item_id = store.add(NewPrediction(...))
    items, total = store.list(limit=20)
    store.correct(item_id, "7")
"""

from digitrec.history._engine import default_database_url
from digitrec.history._errors import (
    HistoryError,
    HistoryInputError,
    HistoryNotFoundError,
    HistoryUnavailableError,
)
from digitrec.history._records import SOURCES, HistoryItem, NewPrediction, check_new
from digitrec.history._store import HistoryStore

__all__ = [
    "SOURCES",
    "HistoryError",
    "HistoryInputError",
    "HistoryItem",
    "HistoryNotFoundError",
    "HistoryStore",
    "HistoryUnavailableError",
    "NewPrediction",
    "check_new",
    "default_database_url",
]
