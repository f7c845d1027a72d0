"""Frozen configuration dataclasses, one per command.

The CLI only parses flags into these; nothing deeper reads argv or globals.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digitrec.errors import ConfigError

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("none", "multistep", "onecycle", "cosine")
DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class TrainConfig:
    model: str = "lenet"
    dataset: str = "mnist"
    data_dir: Path | None = None
    epochs: int = 5
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "none"
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    label_smoothing: float = 0.0
    augment: bool = False
    augment_strength: float = 1.0
    elastic: bool = False
    degrade: bool = False  # real-input degradations after the affine ones (degrade.py): blur, low resolution...
    nondigits: int = 0  # this many generated non-digit images, taught as "no digit" (nondigits.py)
    nondigit_weight: float = 0.5  # weight of their loss against the digits'
    ema_decay: float | None = None
    val_size: int = 5000
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    target_acc: float | None = None
    eval_every: int | None = None  # validate every N steps as well as after each epoch
    eval_from: int = 0  # ... from this step on (early checks cannot stop a run, yet cost time)
    out_dir: Path | None = None
    resume: bool = False
    init_from: Path | None = None  # start from these weights (fine-tuning), keeping their normalisation
    progress: bool = True
    tensorboard: bool = False  # also log to TensorBoard (tensorboard.py; needs the `train` extra)
    tensorboard_dir: Path | None = None  # ...into this folder; default <run dir>/tensorboard
    # Fast paths so tests run a real step in seconds.
    max_batches: int | None = None  # per epoch
    train_subset: int | None = None  # use only the first N training images after the split
    preset: str | None = None

    def __post_init__(self) -> None:
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("schedule", self.schedule, SCHEDULES)
        _check_choice("device", self.device, DEVICES)
        _check_positive("epochs", self.epochs)
        _check_positive("batch_size", self.batch_size)
        if self.lr <= 0:
            raise ConfigError(f"learning rate must be positive, got {self.lr}")
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise ConfigError(f"EMA decay must be between 0 and 1, got {self.ema_decay}")
        if self.target_acc is not None and not 0.0 < self.target_acc <= 1.0:
            raise ConfigError(
                f"target accuracy is a fraction in (0, 1], got {self.target_acc} (write 0.99 for 99%)"
            )
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.schedule == "multistep" and not self.milestones:
            raise ConfigError("schedule 'multistep' needs --milestones, e.g. --milestones 10 15")
        if self.eval_from < 0:
            raise ConfigError(f"--eval-from is a step number and cannot be negative, got {self.eval_from}")
        if self.nondigits < 0:
            raise ConfigError(f"the number of non-digit images cannot be negative, got {self.nondigits}")
        if self.nondigit_weight < 0:
            raise ConfigError(f"the non-digit loss weight cannot be negative, got {self.nondigit_weight}")
        if self.val_size < 0:
            raise ConfigError(f"validation size cannot be negative, got {self.val_size}")
        if self.tensorboard_dir is not None and not self.tensorboard:
            raise ConfigError("tensorboard_dir is set, but TensorBoard logging is off: set tensorboard=True")

    def to_dict(self) -> dict[str, Any]:
        """Plain types only, so it can sit inside a weights_only checkpoint and JSON."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known:
                continue  # a key from another version: ignore rather than fail
            if name in ("data_dir", "out_dir", "init_from", "tensorboard_dir") and value is not None:
                value = Path(value)
            elif name == "milestones":
                value = tuple(value)
            kwargs[name] = value
        return cls(**kwargs)


@dataclass(frozen=True)
class EvalConfig:
    checkpoints: tuple[Path, ...] = ()  # empty: the shipped model; several: an ensemble
    dataset: str = "mnist"
    data_dir: Path | None = None
    out_dir: Path = Path("evaluation")
    tta: bool = False
    batch_size: int = 1000
    gallery_size: int = 64
    device: str = "auto"
    threads: int | None = None

    def __post_init__(self) -> None:
        _check_choice("device", self.device, DEVICES)
        _check_positive("batch_size", self.batch_size)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")


def _check_positive(name: str, value: int) -> None:
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
