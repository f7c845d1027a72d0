"""`digitrec train`: train a zoo model from a preset and/or explicit flags."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from digitrec.config import DEVICES, OPTIMIZERS, SCHEDULES, TrainConfig
from digitrec.errors import ConfigError
from digitrec.presets import PRESETS, preset_values

# Settings a resumed run may change; everything else (epochs and the learning-rate
# plan included) comes from the checkpoint, so the run continues as it was planned.
RESUMABLE_OVERRIDES = ("device", "threads", "progress", "data_dir", "tensorboard", "tensorboard_dir")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model",
        description="Train a zoo model. Flags you give override the preset's values.",
        argument_default=argparse.SUPPRESS,  # so we know which flags were given
    )
    p.add_argument("--preset", choices=sorted(PRESETS), help="a named recipe (fast, best, real, seed-lenet5)")
    p.add_argument("--model", help="a zoo model (see `digitrec models`)")
    p.add_argument("--dataset", help="mnist, fashion-mnist, or a path to an image folder / list file")
    p.add_argument("--data-dir", type=Path, help="folder holding the dataset's IDX files")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=float, help="learning rate (peak rate for onecycle)")
    p.add_argument("--momentum", type=float, help="SGD momentum")
    p.add_argument("--nesterov", action="store_true", help="Nesterov momentum for SGD")
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--milestones", type=int, nargs="+", help="epochs at which multistep multiplies the rate by gamma")
    p.add_argument("--gamma", type=float)
    p.add_argument("--label-smoothing", type=float)
    aug = p.add_mutually_exclusive_group()
    aug.add_argument("--augment", dest="augment", action="store_true", help="random affine augmentation")
    aug.add_argument("--no-augment", dest="augment", action="store_false")
    p.add_argument("--augment-strength", type=float, help="scale of the augmentation ranges (1.0 = default)")
    p.add_argument("--elastic", action="store_true", help="add elastic distortion to augmentation")
    deg = p.add_mutually_exclusive_group()
    deg.add_argument("--degrade", dest="degrade", action="store_true",
                     help="real-input degradations: blur, low resolution, stroke width, JPEG, grey ink, close crops")
    deg.add_argument("--no-degrade", dest="degrade", action="store_false")
    p.add_argument("--nondigits", type=int, metavar="N",
                   help="also train on N generated non-digits (letters, scribbles), taught as no digit")
    p.add_argument("--nondigit-weight", type=float, help="weight of the non-digit loss (default 0.5)")
    p.add_argument("--ema", dest="ema_decay", type=float, help="keep an EMA of the weights with this decay")
    p.add_argument("--val-size", type=int, help="validation images held out of training (default 5000)")
    p.add_argument("--seed", type=int)
    p.add_argument("--device", choices=DEVICES)
    p.add_argument("--threads", type=int, help="CPU threads for PyTorch")
    p.add_argument("--target-acc", type=float, help="stop once validation accuracy reaches this (e.g. 0.99)")
    p.add_argument("--eval-every", type=int, help="also validate every N steps (with --target-acc)")
    p.add_argument("--eval-from", type=int, help="start the --eval-every checks at this step (default 0)")
    p.add_argument("--out", dest="out_dir", type=Path, help="run directory (default runs/<model>-<time>)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--init", dest="init_from", type=Path,
                   help="start from this checkpoint's weights (fine-tuning, e.g. on exported corrections)")  # fmt: skip
    p.add_argument("--max-batches", type=int, help="batches per epoch (quick trials)")
    p.add_argument("--train-subset", type=int, help="train on the first N training images only")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide progress bars")
    p.add_argument("--tensorboard", nargs="?", const="", metavar="DIR",
                   help="also log to TensorBoard, into DIR (default OUT/tensorboard); needs digitrec[train]")
    p.add_argument("--json", dest="print_json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    given = {k: v for k, v in vars(args).items() if k not in ("run", "command", "verbose", "quiet", "print_json")}
    if "milestones" in given:
        given["milestones"] = tuple(given["milestones"])
    if "tensorboard" in given:
        # --tensorboard alone logs into the run directory; --tensorboard DIR elsewhere.
        folder = given["tensorboard"]
        given["tensorboard"] = True
        if folder:
            given["tensorboard_dir"] = Path(folder)
    if given.get("resume"):
        return _resume_config(given)
    values: dict[str, Any] = {}
    if "preset" in given:
        values.update(preset_values(given["preset"]))
    values.update(given)
    return TrainConfig(**values)


def _resume_config(given: dict[str, Any]) -> TrainConfig:
    if "out_dir" not in given:
        raise ConfigError("--resume needs --out DIR, the run directory holding last.pt")
    from digitrec.checkpoint import read_checkpoint

    saved = read_checkpoint(Path(given["out_dir"]) / "last.pt")["config"]
    # Repeating the original command with --resume is fine; changing the recipe is not.
    fixed = (k for k in given if k not in RESUMABLE_OVERRIDES + ("out_dir", "resume", "preset"))
    ignored = sorted(k for k in fixed if _plain(given[k]) != _plain(saved.get(k)))
    if ignored:
        raise ConfigError(
            f"a resumed run keeps its saved settings; cannot change: {', '.join(ignored)} "
            f"(allowed with --resume: {', '.join(RESUMABLE_OVERRIDES)})"
        )
    values = dict(saved) | {k: given[k] for k in RESUMABLE_OVERRIDES if k in given}
    values.update(out_dir=given["out_dir"], resume=True)
    return TrainConfig.from_dict(values)


def _plain(value: Any) -> Any:
    """Compare settings as they are saved: paths as text, sequences as lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def run(args: argparse.Namespace) -> int:
    from digitrec.models import model_info
    from digitrec.tensorboard import log_dir
    from digitrec.train import train  # imports torch: only when training

    cfg = config_from_args(args)
    model_info(cfg.model)  # an unknown name fails now, before any data is loaded
    result = train(cfg)
    summary = {
        "run_dir": str(result.run_dir),
        "best_checkpoint": str(result.best_checkpoint),
        "best_epoch": result.best_epoch,
        "best_val_acc": result.best_val_acc,
        "test_acc": result.test_acc,
        "test_loss": result.test_loss,
        "epochs_run": result.epochs_run,
        "train_seconds": round(result.train_seconds, 2),
        "time_to_target": result.time_to_target,
    }
    if getattr(args, "print_json", False):
        print(json.dumps(summary))
    else:
        print(
            f"best checkpoint: {result.best_checkpoint} (epoch {result.best_epoch}, "
            f"validation {100 * result.best_val_acc:.2f}%)\n"
            f"test accuracy: {100 * result.test_acc:.2f}%  (loss {result.test_loss:.4f}, "
            f"{result.train_seconds:.1f} s of training)"
        )
        if result.time_to_target is not None:
            print(f"reached target validation accuracy after {result.time_to_target:.1f} s")
        if cfg.tensorboard:
            print(f"TensorBoard: tensorboard --logdir {log_dir(cfg, result.run_dir)}")
    return 0
