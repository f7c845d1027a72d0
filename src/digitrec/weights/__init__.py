"""The shipped default model: `best` weights and their model card, inside the package."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from digitrec.errors import CheckpointError

CHECKPOINT_NAME = "best.pt"
ONNX_NAME = "best.onnx"
CARD_NAME = "card.json"


def _package_file(name: str) -> Path:
    return Path(str(resources.files(__package__).joinpath(name)))


def shipped_checkpoint() -> Path:
    """The shipped PyTorch weights (for training, evaluation and export)."""
    return _existing(CHECKPOINT_NAME, "train one with 'digitrec train --preset best' and pass its best.pt")


def shipped_onnx() -> Path:
    """The shipped ONNX model (for inference without PyTorch)."""
    return _existing(ONNX_NAME, "export one with 'digitrec export CHECKPOINT --out best.onnx'")


def _existing(name: str, remedy: str) -> Path:
    path = _package_file(name)
    if not path.is_file():
        raise CheckpointError(f"the shipped model file {path} is missing; reinstall digitrec or {remedy}")
    return path


def model_card() -> dict[str, Any]:
    path = _package_file(CARD_NAME)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"the shipped model card {path} cannot be read: {exc}") from exc
