"""Packing a training run into the slim, shippable model and its model card.

A training checkpoint carries optimizer and scheduler state for resuming; the
shipped file keeps only what inference needs (the EMA weights when there are
some), and the card records how to make it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from digitrec.checkpoint import FORMAT_VERSION, read_checkpoint, save_atomic
from digitrec.config import EvalConfig
from digitrec.evaluate import evaluate
from digitrec.models import count_parameters, create_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackResult:
    weights: Path
    card: Path
    test_acc: float


def slim_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Inference weights and provenance only: no optimizer, scheduler or RNG state."""
    return {
        "format_version": FORMAT_VERSION,
        "model_name": payload["model_name"],
        "model_state": payload.get("ema_state") or payload["model_state"],
        "normalization": payload["normalization"],
        "classes": payload.get("classes", [str(i) for i in range(10)]),
        "dataset": payload.get("dataset", "mnist"),
        "data_digests": payload.get("data_digests", {}),
        "versions": payload.get("versions", {}),
        "config": payload.get("config", {}),
    }


def pack_run(run_dir: Path, out_dir: Path, train_command: str, name: str = "best") -> PackResult:
    """Write `<name>.pt` and `card.json` into `out_dir` from `run_dir/best.pt`."""
    payload = read_checkpoint(run_dir / "best.pt")
    slim = slim_payload(payload)
    weights = out_dir / f"{name}.pt"
    save_atomic(slim, weights)
    report = evaluate(EvalConfig(checkpoints=(weights,), out_dir=run_dir / "evaluation", progress=False))
    progress = payload.get("progress", {})
    config = payload.get("config", {})
    card = {
        "model": payload["model_name"],
        "parameters": count_parameters(create_model(payload["model_name"])),
        "dataset": slim["dataset"],
        "test_accuracy": round(report.accuracy, 4),
        "test_errors": int(report.count - report.confusion.trace()),
        "test_loss": round(report.loss, 4),
        "validation_accuracy": round(float(progress.get("best_val_acc", 0.0)), 4),
        "best_epoch": progress.get("best_epoch"),
        "epochs": config.get("epochs"),
        "seed": config.get("seed"),
        "recipe": {k: config.get(k) for k in _RECIPE_KEYS},
        "train_seconds": round(float(progress.get("train_seconds", 0.0)), 1),
        "training_command": train_command,
        "pack_command": f"digitrec pack {run_dir} --out {out_dir}",
        "normalization": slim["normalization"],
        "data_digests": slim["data_digests"],
        "versions": slim["versions"],
        "weights_file": weights.name,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "weights_bytes": weights.stat().st_size,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    card_path = out_dir / "card.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    log.info("packed %s (test accuracy %.4f)", weights, report.accuracy)
    return PackResult(weights=weights, card=card_path, test_acc=report.accuracy)


_RECIPE_KEYS = (
    "optimizer", "lr", "weight_decay", "schedule", "batch_size", "augment",
    "augment_strength", "elastic", "label_smoothing", "ema_decay", "val_size",
)  # fmt: skip
