"""Typed errors: every failure this package raises on purpose.

Messages say what happened and what to do next. The CLI maps these to exit
codes and the web layer maps them to HTTP statuses; the library itself never
knows about either.
"""

from __future__ import annotations

from collections.abc import Sequence


class DigitrecError(Exception):
    """Base for every error this package raises on purpose."""


# --- data -----------------------------------------------------------------


class DataError(DigitrecError):
    """A dataset could not be found, fetched, verified or parsed."""


class IdxFormatError(DataError):
    """An IDX file is malformed or truncated."""


class ChecksumMismatchError(DataError):
    """A downloaded or cached file does not match its pinned SHA-256."""

    def __init__(self, path: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{path}: SHA-256 is {actual}, expected {expected}; the file is damaged or "
            "not the original. Delete it and fetch again (digitrec data fetch)."
        )
        self.path = path
        self.expected = expected
        self.actual = actual


class DatasetUnavailableError(DataError):
    """Every source of a dataset failed; the message lists what was tried."""

    def __init__(self, dataset: str, attempts: Sequence[str], manual_hint: str) -> None:
        tried = "\n".join(f"  - {attempt}" for attempt in attempts)
        super().__init__(f"could not obtain {dataset}. Tried:\n{tried}\n{manual_hint}")
        self.dataset = dataset
        self.attempts = list(attempts)


class UnknownDatasetError(DataError):
    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__(f"unknown dataset {name!r}; choose one of: {', '.join(available)}")
        self.name = name


# --- models and checkpoints -----------------------------------------------


class UnknownModelError(DigitrecError):
    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__(f"unknown model {name!r}; choose one of: {', '.join(available)}")
        self.name = name
        self.available = list(available)


class CheckpointError(DigitrecError):
    """A checkpoint is missing, unreadable, corrupted or for another model."""


# --- configuration ----------------------------------------------------------


class ConfigError(DigitrecError):
    """A setting is out of range or settings contradict each other."""


class DistributedError(DigitrecError):
    """Multi-process training could not start or was misconfigured."""


# --- images and recognition -------------------------------------------------


class ImageError(DigitrecError):
    """An input image cannot be used."""


class ImageDecodeError(ImageError):
    """The bytes are not a readable image (corrupt, truncated, or not an image at all)."""


class UnsupportedImageTypeError(ImageError):
    """A readable file of a kind we do not accept (e.g. SVG, PDF, an animation's later frames)."""


class ImageTooLargeError(ImageError):
    """Too many bytes or too many pixels (decompression-bomb guard)."""

    def __init__(self, message: str, limit: int, actual: int, unit: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.actual = actual
        self.unit = unit  # "bytes" or "pixels"


class EmptyDrawingError(ImageError):
    """No ink found: the image is blank, so there is no digit to recognise."""


class TooManyDigitsError(ImageError):
    """A line holds more digits than one request may read."""


# --- prediction history -----------------------------------------------------


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


class MissingImageError(ImageError):
    """The request carries no image where one was expected."""


class HistoryDisabledError(HistoryError):
    """The history is turned off on this server."""


class ModelUnavailableError(DigitrecError):
    """No model is loaded, so nothing can be recognised right now."""
