"""Errors of the history store (defined with the others in digitrec.errors)."""

from digitrec.errors import HistoryError, HistoryInputError, HistoryNotFoundError, HistoryUnavailableError

__all__ = ["HistoryError", "HistoryInputError", "HistoryNotFoundError", "HistoryUnavailableError"]
