"""What a training run leaves on disk: config, metrics, curves and checkpoints.

    runs/<model>-<time>/
      config.json  metrics.jsonl  metrics.csv  curves.png  last.pt  best.pt
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from digitrec.checkpoint import FORMAT_VERSION, library_versions, save_atomic
from digitrec.config import TrainConfig
from digitrec.plots import plot_curves
from digitrec.training_data import TrainingData

METRIC_COLUMNS = ("epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")


def checkpoint_payload(
    cfg: TrainConfig,
    data: TrainingData,
    model: nn.Module,
    ema: AveragedModel | None,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    progress: dict[str, Any],
    rng_states: list[torch.Tensor],
) -> dict[str, Any]:
    """Everything needed to use the weights, and to resume exactly where training stopped."""
    return {
        "format_version": FORMAT_VERSION,
        "model_name": cfg.model,
        "config": cfg.to_dict(),
        "model_state": model.state_dict(),
        "ema_state": ema.module.state_dict() if ema is not None else None,
        "ema_count": int(ema.n_averaged) if ema is not None else 0,
        "optimizer_state": optimizer.state_dict(),
        "scheduler_state": scheduler.state_dict() if scheduler is not None else None,
        "progress": progress,
        "normalization": {"mean": data.mean, "std": data.std},
        "classes": list(data.classes),
        "dataset": data.dataset,
        "data_digests": data.digests,
        "versions": library_versions(),
        "rng_state": rng_states[0],  # rank 0's, or the only one
        "rng_states": rng_states,  # every rank's, in rank order
    }


class RunWriter:
    """Writes a run directory; a no-op on every rank but the first of a distributed run."""

    def __init__(self, run_dir: Path, enabled: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.enabled = enabled

    def start_fresh(self, cfg: TrainConfig) -> None:
        if not self.enabled:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
        for name in ("metrics.jsonl", "metrics.csv"):
            (self.run_dir / name).unlink(missing_ok=True)

    def end_epoch(
        self, row: dict[str, Any], history: list[dict[str, Any]], payload: dict[str, Any], improved: bool
    ) -> None:
        if not self.enabled:
            return
        # Checkpoints first: metrics must never claim an epoch whose weights were lost.
        save_atomic(payload, self.run_dir / "last.pt")
        if improved:
            save_atomic(payload, self.run_dir / "best.pt")
        self._rewrite_metrics(history)
        plot_curves(history, self.run_dir / "curves.png")

    def _rewrite_metrics(self, history: list[dict[str, Any]]) -> None:
        # Rewritten from the checkpointed history (not appended), so after a crash
        # and --resume the files hold each epoch exactly once.
        jsonl = "".join(json.dumps(row) + "\n" for row in history)
        (self.run_dir / "metrics.jsonl").write_text(jsonl)
        with (self.run_dir / "metrics.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(history)
