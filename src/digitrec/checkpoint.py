"""Saving and loading checkpoints safely.

Saves are atomic (write a temp file in the same folder, fsync, rename), so a
crash mid-save leaves the previous checkpoint intact. Loads use
`torch.load(weights_only=True)`: a checkpoint is data, never code.
"""

from __future__ import annotations

import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from digitrec.errors import CheckpointError, UnknownModelError
from digitrec.models import create_model

FORMAT_VERSION = 1
REQUIRED_KEYS = ("format_version", "model_name", "model_state", "normalization")


@dataclass(frozen=True)
class LoadedModel:
    """A network ready for inference plus what it needs to be fed correctly."""

    model: nn.Module
    name: str
    mean: float
    std: float
    classes: tuple[str, ...]
    path: Path
    meta: dict[str, Any]
    temperature: float = 1.0  # divide the logits by this for calibrated probabilities (calibration.py)


def library_versions() -> dict[str, str]:
    from digitrec import __version__

    return {
        "digitrec": __version__,
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "python": platform.python_version(),
    }


def save_atomic(payload: dict[str, Any], path: Path) -> None:
    """Write `payload` to `path` so that readers see either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp makes 0600; use the usual mode
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint dict, turning every failure into a CheckpointError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for truncated or foreign files
        raise CheckpointError(
            f"{path}: cannot be read as a digitrec checkpoint ({type(exc).__name__}: "
            f"{_first_line(exc)}); the file is corrupted, truncated or not a checkpoint"
        ) from exc
    if not isinstance(payload, dict):
        raise CheckpointError(f"{path}: not a digitrec checkpoint (holds {type(payload).__name__})")
    missing = [key for key in REQUIRED_KEYS if key not in payload]
    if missing:
        raise CheckpointError(f"{path}: not a digitrec checkpoint (missing {', '.join(missing)})")
    return payload


def load_model(path: Path, expected_model: str | None = None) -> LoadedModel:
    """Build the checkpoint's network and load its inference weights (EMA when present)."""
    path = Path(path)
    payload = read_checkpoint(path)
    name = payload["model_name"]
    if expected_model is not None and name != expected_model:
        raise CheckpointError(f"{path}: holds model {name!r}, expected {expected_model!r}")
    try:
        model = create_model(name)
    except UnknownModelError as exc:
        raise CheckpointError(f"{path}: {exc}") from exc
    state = payload.get("ema_state") or payload["model_state"]
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(
            f"{path}: weights do not fit model {name!r} ({_first_line(exc)})"
        ) from exc
    model.eval()
    norm = payload["normalization"]
    return LoadedModel(
        model=model,
        name=name,
        mean=float(norm["mean"]),
        std=float(norm["std"]),
        classes=tuple(payload.get("classes", [str(i) for i in range(10)])),
        path=path,
        meta={k: v for k, v in payload.items() if not k.endswith("_state")},
        temperature=float(payload.get("temperature", 1.0)),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else "no detail"
