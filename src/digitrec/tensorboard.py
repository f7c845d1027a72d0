"""TensorBoard logging of a training run (`digitrec train --tensorboard [DIR]`), on rank 0 only.

    tensorboard --logdir runs        # every run's curves side by side

Per epoch: loss and accuracy (train and validation) and the learning rate; once,
a grid of training images as the model sees them (augmented and degraded); at the
end, the test loss and accuracy and the test set's confusion matrix figure.
The `tensorboard` package is optional (the `train` extra): without it the run
stops before it starts, with the command that installs it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import torch
from PIL import Image

from digitrec.config import TrainConfig
from digitrec.errors import ConfigError
from digitrec.evaluate import confusion_matrix
from digitrec.plots import plot_confusion

INSTALL_HINT = "--tensorboard needs the tensorboard package; install it with: pip install 'digitrec[train]'"
GRID_IMAGES = 64  # training images in the grid: one batch's first 64, an 8x8 grid

# Tags, grouped by their prefix in TensorBoard's sidebar.
SCALARS = {
    "train_loss": "loss/train",
    "val_loss": "loss/validation",
    "train_acc": "accuracy/train",
    "val_acc": "accuracy/validation",
    "lr": "learning_rate",
}
IMAGES_TAG = "train/augmented_images"
CONFUSION_TAG = "test/confusion_matrix"


def require_tensorboard() -> None:
    """Raise ConfigError with the install command when TensorBoard cannot be imported."""
    try:
        import torch.utils.tensorboard  # noqa: F401  (imports the tensorboard package)
    except ImportError as exc:
        raise ConfigError(INSTALL_HINT) from exc


def log_dir(cfg: TrainConfig, run_dir: Path) -> Path:
    """Where a run's event files go: --tensorboard DIR, else <run dir>/tensorboard."""
    return cfg.tensorboard_dir if cfg.tensorboard_dir is not None else Path(run_dir) / "tensorboard"


class TrainingBoard:
    """One run's event file. `resumed_after` > 0 drops the events a crashed run wrote past its checkpoint."""

    def __init__(self, directory: Path, cfg: TrainConfig, resumed_after: int = 0) -> None:
        require_tensorboard()
        from torch.utils.tensorboard import SummaryWriter

        self.directory = Path(directory)
        purge_step = resumed_after + 1 if resumed_after else None
        self._writer = SummaryWriter(str(self.directory), purge_step=purge_step)
        if not resumed_after:
            self._writer.add_text("config", f"```\n{json.dumps(cfg.to_dict(), indent=2)}\n```", 0)

    def training_images(self, images: torch.Tensor) -> None:
        """(N, 1, 28, 28) float in [0, 1]: a batch after augmentation, before normalisation."""
        self._writer.add_images(IMAGES_TAG, images[:GRID_IMAGES].detach().cpu().clamp(0, 1), 0)

    def epoch(self, row: dict[str, Any]) -> None:
        """One metrics row of the trainer (metrics.jsonl), at step = its epoch."""
        for key, tag in SCALARS.items():
            self._writer.add_scalar(tag, row[key], row["epoch"])
        self._writer.flush()  # a curve per epoch as it happens, not when the writer's buffer fills

    def test_results(
        self, labels: torch.Tensor, logits: torch.Tensor, loss: float, classes: tuple[str, ...], step: int
    ) -> None:
        """Test loss and accuracy, and the confusion matrix as the figure `digitrec evaluate` draws."""
        pred = logits.argmax(1)
        accuracy = float((pred == labels).float().mean())
        self._writer.add_scalar("loss/test", loss, step)
        self._writer.add_scalar("accuracy/test", accuracy, step)
        matrix = confusion_matrix(labels.numpy(), pred.numpy(), len(classes))
        title = f"Confusion matrix: accuracy {100 * accuracy:.2f}% on {len(labels)} test images"
        # plots.py draws to files (the Agg backend); the PNG goes into the event file as an image.
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "confusion.png"
            plot_confusion(matrix, classes, path, title)
            pixels = np.asarray(Image.open(path).convert("RGB"))
        self._writer.add_image(CONFUSION_TAG, pixels, step, dataformats="HWC")

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> TrainingBoard:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
