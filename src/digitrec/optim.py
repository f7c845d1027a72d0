"""Optimizers and learning-rate schedules built from a TrainConfig."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim import lr_scheduler

from digitrec.config import TrainConfig


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = model.parameters()
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params,
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.nesterov and cfg.momentum > 0,
            weight_decay=cfg.weight_decay,
        )
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int
) -> tuple[lr_scheduler.LRScheduler | None, bool]:
    """Return the scheduler and whether it steps every batch (True) or every epoch (False)."""
    if cfg.schedule == "multistep":
        return lr_scheduler.MultiStepLR(optimizer, milestones=list(cfg.milestones), gamma=cfg.gamma), False
    if cfg.schedule == "cosine":
        total = cfg.epochs * steps_per_epoch
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total), True
    if cfg.schedule == "onecycle":
        return (
            lr_scheduler.OneCycleLR(
                optimizer, max_lr=cfg.lr, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch
            ),
            True,
        )
    return None, False
