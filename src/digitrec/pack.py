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
from digitrec.config import EvalConfig, TrainConfig
from digitrec.evaluate import evaluate
from digitrec.export import export_onnx
from digitrec.models import count_parameters, create_model
from digitrec.presets import preset_values

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackResult:
    weights: Path
    onnx: Path
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
        "temperature": float(payload.get("temperature", 1.0)),
        "calibration": payload.get("calibration", {}),
    }


def training_command(config: dict[str, Any], run_dir: Path) -> str:
    """The `digitrec train` command that makes this run again: its preset, seed and every recipe
    setting that differs from the preset's (or from the defaults, without a preset)."""
    preset = config.get("preset")
    base = {**TrainConfig().to_dict(), **(preset_values(preset) if preset else {})}
    words = ["digitrec", "train"] + (["--preset", preset] if preset else [])
    for key in ("model", *_RECIPE_KEYS, "epochs", "train_subset", "max_batches"):
        value = config.get(key)
        if value is None or value == base.get(key):
            continue
        flag = "--" + {"ema_decay": "ema"}.get(key, key).replace("_", "-")
        if isinstance(value, bool):
            words.append(flag if value else flag.replace("--", "--no-", 1))
        else:
            words += [flag, str(value)]
    return " ".join(words + ["--seed", str(config.get("seed", 0)), "--out", str(run_dir)])


def pack_run(run_dir: Path, out_dir: Path, train_command: str | None = None, name: str = "best") -> PackResult:
    """Write `<name>.pt` and `card.json` into `out_dir` from `run_dir/best.pt`."""
    payload = read_checkpoint(run_dir / "best.pt")
    slim = slim_payload(payload)
    weights = out_dir / f"{name}.pt"
    save_atomic(slim, weights)
    onnx_path = export_onnx(weights, out_dir / f"{name}.onnx")
    report = evaluate(EvalConfig(checkpoints=(weights,), out_dir=run_dir / "evaluation"))
    config = payload.get("config", {})
    # The whole run's time is in last.pt; best.pt holds it as of the selected epoch.
    last = run_dir / "last.pt"
    progress = read_checkpoint(last).get("progress", {}) if last.is_file() else payload.get("progress", {})
    best_progress = payload.get("progress", {})
    card = {
        "model": payload["model_name"],
        "parameters": count_parameters(create_model(payload["model_name"])),
        "dataset": slim["dataset"],
        "test_accuracy": round(report.accuracy, 4),
        "test_errors": int(report.count - report.confusion.trace()),
        "test_loss": round(report.loss, 4),
        "test_ece": round(report.ece, 4),
        "temperature": slim["temperature"],
        "validation_accuracy": round(float(best_progress.get("best_val_acc", 0.0)), 4),
        "best_epoch": best_progress.get("best_epoch"),
        "epochs": config.get("epochs"),
        "seed": config.get("seed"),
        "recipe": {k: config.get(k) for k in _RECIPE_KEYS},
        "train_seconds": round(float(progress.get("train_seconds", 0.0)), 1),
        "training_command": train_command or training_command(config, run_dir),
        "pack_command": f"digitrec pack {run_dir} --out {out_dir}",
        "normalization": slim["normalization"],
        "data_digests": slim["data_digests"],
        "versions": slim["versions"],
        "weights_file": weights.name,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "weights_bytes": weights.stat().st_size,
        "onnx_file": onnx_path.name,
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    card_path = out_dir / "card.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    (out_dir / "MODEL_CARD.md").write_text(card_markdown(card))
    log.info("packed %s (test accuracy %.4f)", weights, report.accuracy)
    return PackResult(weights=weights, onnx=onnx_path, card=card_path, test_acc=report.accuracy)


def card_markdown(card: dict[str, Any]) -> str:
    """The card as a README section (written beside card.json by `digitrec pack`)."""
    shown = {k: v for k, v in card["recipe"].items() if v not in (None, False, 0, 0.0)}
    if not shown.get("augment"):
        shown.pop("augment_strength", None)
    recipe = ", ".join(f"{k} {v}" for k, v in shown.items())
    versions = ", ".join(f"{k} {v}" for k, v in card["versions"].items())
    return "\n".join([
        f"# Model card: `{card['model']}`",
        "",
        "Generated by `digitrec pack` from the training run; do not edit by hand.",
        "",
        "| | |",
        "|---|---|",
        f"| test accuracy (MNIST, 10,000 images, single model, no TTA) | **{100 * card['test_accuracy']:.2f}%** "
        f"({card['test_errors']} errors) |",
        f"| validation accuracy (5,000 held-out training images) | {100 * card['validation_accuracy']:.2f}% "
        f"(epoch {card['best_epoch']} of {card['epochs']}) |",
        f"| confidence | softmax temperature {card.get('temperature', 1.0):g} fitted on the validation images; "
        f"expected calibration error on the test set {100 * card.get('test_ece', 0.0):.2f}% |",
        f"| parameters | {card['parameters']:,} |",
        f"| recipe | {recipe} |",
        f"| seed | {card['seed']} |",
        f"| training time | {card['train_seconds'] / 60:.1f} min |",
        f"| library versions | {versions} |",
        f"| files | `{card['weights_file']}` ({card['weights_bytes'] / 1e6:.2f} MB), `{card['onnx_file']}` |",
        "",
        "Reproduce:",
        "",
        "```bash",
        card["training_command"],
        card["pack_command"],
        "```",
        "",
    ])  # fmt: skip


_RECIPE_KEYS = (
    "optimizer", "lr", "weight_decay", "schedule", "batch_size", "augment",
    "augment_strength", "elastic", "degrade", "nondigits", "nondigit_weight", "label_smoothing",
    "ema_decay", "val_size",
)  # fmt: skip
