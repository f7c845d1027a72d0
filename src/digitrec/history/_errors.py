"""Errors of the history store.

They live here until they move to digitrec.errors; the public names are
re-exported from digitrec.history either way.
"""

from __future__ import annotations

from digitrec.errors import DigitrecError


class HistoryError(DigitrecError):
    """Base for every failure of the prediction history."""


class HistoryNotFoundError(HistoryError):
    """No history item has this id (never stored, or deleted)."""

    def __init__(self, item_id: int) -> None:
        super().__init__(f"no history item {item_id}")
        self.item_id = item_id


class HistoryInputError(HistoryError):
    """A label, a page request or a new prediction is not valid."""


class HistoryUnavailableError(HistoryError):
    """The history database cannot be opened, read or written right now.

    Read-only files, a full disk, a server that is down or a damaged file all
    end here; callers that only record history can log it and carry on.
    """
