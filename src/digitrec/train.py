"""Training: one config in, a run directory with checkpoints, metrics and curves out.

    cfg = TrainConfig(model="lenet", epochs=2)
    result = train(cfg, on_epoch=print)   # result.test_acc, .history, .best_checkpoint

`on_epoch` gets each epoch's metrics row (a line of metrics.jsonl) as it ends;
with cfg.tensorboard, the run also writes TensorBoard event files (tensorboard.py).

Runs alone or as one rank of a torchrun job (DDP; only rank 0 writes).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from digitrec.augment import AugmentConfig, augment_batch
from digitrec.batching import epoch_order, normalise, predict_logits, to_float
from digitrec.calibration import fit_temperature
from digitrec.checkpoint import load_model, read_checkpoint, save_atomic
from digitrec.config import TrainConfig
from digitrec.degrade import DegradeConfig, degrade_batch
from digitrec.errors import CheckpointError, ConfigError
from digitrec.models import create_model
from digitrec.optim import build_optimizer, build_scheduler
from digitrec.run_files import RunWriter, checkpoint_payload
from digitrec.runtime import (
    DistInfo, init_distributed, rank_device, resolve_device, rng_states, seed_everything, set_threads,
)  # fmt: skip
from digitrec.runtime import barrier, shutdown_distributed
from digitrec.tensorboard import TrainingBoard, log_dir, require_tensorboard
from digitrec.training_data import TrainingData, load_training_data

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    best_epoch: int
    best_val_acc: float
    test_acc: float
    test_loss: float
    epochs_run: int
    train_seconds: float
    time_to_target: float | None  # training seconds until val accuracy reached --target-acc
    history: list[dict[str, Any]]  # one row per epoch, as in metrics.jsonl
    best_checkpoint: Path  # run_dir / "best.pt": the epoch of best validation accuracy, calibrated


@dataclass
class _State:
    """What changes while training; all of it goes into last.pt."""

    epoch: int = 0  # epochs completed
    step: int = 0
    best_val_acc: float = -1.0
    best_epoch: int = 0
    train_seconds: float = 0.0
    time_to_target: float | None = None
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def default_run_dir(model: str) -> Path:
    return Path("runs") / f"{model}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


EpochCallback = Callable[[dict[str, Any]], None]


def train(cfg: TrainConfig, on_epoch: EpochCallback | None = None) -> TrainResult:
    """Train `cfg.model` as configured; return the metrics and the selected checkpoint's test figures.

    `on_epoch(row)` is called after each epoch (on rank 0 of a distributed run) with
    that epoch's metrics: epoch, step, train_loss, train_acc, val_loss, val_acc, lr, seconds.
    """
    if cfg.tensorboard:
        require_tensorboard()  # before any data is loaded
    set_threads(cfg.threads)
    device = resolve_device(cfg.device)
    dist_info = init_distributed(device)
    try:
        return _train(cfg, rank_device(device, dist_info), dist_info, on_epoch)
    finally:
        shutdown_distributed(dist_info)


def _train(
    cfg: TrainConfig, device: torch.device, dist_info: DistInfo, on_epoch: EpochCallback | None
) -> TrainResult:
    seed_everything(cfg.seed + dist_info.rank)
    run_dir = cfg.out_dir or default_run_dir(cfg.model)
    if dist_info.enabled and cfg.out_dir is None:
        raise ConfigError("distributed runs need --out DIR so that every rank agrees on it")
    data = load_training_data(cfg)
    model = create_model(cfg.model)
    if cfg.init_from is not None and not cfg.resume:
        start = load_model(cfg.init_from, expected_model=cfg.model)
        model.load_state_dict(start.model.state_dict())
        # Fine-tuning keeps the inputs the weights were trained on.
        data = dataclasses.replace(data, mean=start.mean, std=start.std)
    model = model.to(device)
    if device.type == "cpu":
        model = model.to(memory_format=torch.channels_last)  # faster convolutions on CPU
    per_rank_batch = max(1, cfg.batch_size // dist_info.world_size)
    per_rank_images = len(data.train_y) // dist_info.world_size
    # A last batch of one image is dropped: batch norm cannot train on a single sample.
    steps_per_epoch = per_rank_images // per_rank_batch + (per_rank_images % per_rank_batch > 1)
    if steps_per_epoch == 0:
        raise ConfigError(f"too few training images ({len(data.train_y)}) for a batch; add images")
    if cfg.max_batches is not None:
        steps_per_epoch = min(steps_per_epoch, cfg.max_batches)
    optimizer = build_optimizer(model, cfg)
    scheduler, per_step = build_scheduler(optimizer, cfg, steps_per_epoch)
    ema = _make_ema(model, cfg)
    state = _State()
    writer = RunWriter(run_dir, enabled=dist_info.is_main)
    if cfg.resume:
        state = _restore(run_dir / "last.pt", cfg, model, optimizer, scheduler, ema, dist_info)
    else:
        writer.start_fresh(cfg)
    net: nn.Module = DistributedDataParallel(model) if dist_info.enabled else model
    aug_cfg = AugmentConfig(strength=cfg.augment_strength, elastic=cfg.elastic) if cfg.augment else None

    board = None  # every rank has the package (train() checked it); only rank 0 writes
    if cfg.tensorboard and dist_info.is_main:
        board = TrainingBoard(log_dir(cfg, run_dir), cfg, resumed_after=state.epoch)
    stop = state.time_to_target is not None
    while state.epoch < cfg.epochs and not stop:
        started = time.perf_counter()
        train_loss, train_acc, stop = _run_epoch(
            cfg, net, model, ema, optimizer, scheduler if per_step else None, data, aug_cfg,
            device, dist_info, state, steps_per_epoch, per_rank_batch, started, board,
        )  # fmt: skip
        if scheduler is not None and not per_step:
            scheduler.step()
        state.train_seconds += time.perf_counter() - started
        state.epoch += 1
        eval_model = ema.module if ema is not None else model
        val_loss, val_acc = _validate(eval_model, data, device)
        row = {
            "epoch": state.epoch, "step": state.step, "train_loss": train_loss,
            "train_acc": train_acc, "val_loss": val_loss, "val_acc": val_acc,
            "lr": optimizer.param_groups[0]["lr"], "seconds": round(state.train_seconds, 3),
        }  # fmt: skip
        state.history.append(row)
        improved = val_acc > state.best_val_acc
        if improved:
            state.best_val_acc, state.best_epoch = val_acc, state.epoch
        reached = cfg.target_acc is not None and val_acc >= cfg.target_acc
        if _rank_zero_says(reached, dist_info) and state.time_to_target is None:
            state.time_to_target = state.train_seconds
            stop = True
        payload = checkpoint_payload(cfg, data, model, ema, optimizer, scheduler, dataclasses.asdict(state),
                                     rng_states(dist_info))  # fmt: skip
        if board is not None:
            # Before the checkpoint: a run that dies in between redoes this epoch on --resume,
            # and the resumed writer drops what was logged past the checkpoint.
            board.epoch(row)
        writer.end_epoch(row, state.history, payload, improved)
        log.info("epoch %d: val acc %.4f, val loss %.4f", state.epoch, val_acc, val_loss)
        if on_epoch is not None and dist_info.is_main:
            on_epoch(dict(row))
    barrier(dist_info)
    _calibrate(run_dir, data, device, dist_info)
    barrier(dist_info)
    result = _final_report(run_dir, data, device, state, board)
    if board is not None:
        board.close()
    return result


def _run_epoch(
    cfg: TrainConfig, net: nn.Module, model: nn.Module, ema: AveragedModel | None,
    optimizer: torch.optim.Optimizer, step_scheduler: Any, data: TrainingData,
    aug_cfg: AugmentConfig | None, device: torch.device, dist_info: DistInfo, state: _State,
    steps: int, batch_size: int, started: float, board: TrainingBoard | None = None,
) -> tuple[float, float, bool]:  # fmt: skip
    """One pass over this rank's share of the training set; returns loss, accuracy, stop."""
    net.train()
    order = epoch_order(len(data.train_y), cfg.seed, state.epoch, dist_info.rank, dist_info.world_size)
    total_loss, correct, seen = 0.0, 0, 0
    bar = tqdm(
        range(steps), desc=f"epoch {state.epoch + 1}/{cfg.epochs}", unit="batch",
        disable=not (cfg.progress and dist_info.is_main), leave=False, mininterval=0.5,
    )  # fmt: skip
    for i in bar:
        index = order[i * batch_size : (i + 1) * batch_size]
        x = to_float(data.train_x[index])
        y = data.train_y[index].to(device)
        n_outliers = 0
        if data.nondigits is not None:
            # A quarter batch of non-digits rides along in the same forward pass.
            n_outliers = max(1, len(index) // 4)
            x = torch.cat([x, to_float(data.nondigits[torch.randint(len(data.nondigits), (n_outliers,))])])
        if aug_cfg is not None:
            x = augment_batch(x, aug_cfg)
        if cfg.degrade:
            x = degrade_batch(x, DegradeConfig())
        if board is not None and state.step == 0:
            board.training_images(x)  # once per run: what the model is trained on
        x = normalise(x, data.mean, data.std).to(device, memory_format=torch.channels_last)
        all_logits = net(x)
        logits = all_logits[: len(y)]
        loss = F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
        if n_outliers:
            # Outlier exposure: on a non-digit the target is the same probability for every class.
            loss = loss - cfg.nondigit_weight * F.log_softmax(all_logits[len(y) :], dim=1).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step_scheduler is not None:
            step_scheduler.step()
        if ema is not None:
            ema.update_parameters(model)
        state.step += 1
        total_loss += loss.item() * len(y)
        correct += int((logits.argmax(1) == y).sum())
        seen += len(y)
        elapsed = state.train_seconds + time.perf_counter() - started
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}",
                        img_s=f"{seen * dist_info.world_size / (time.perf_counter() - started):.0f}",
                        refresh=False)  # fmt: skip
        if _check_due(cfg, state.step):
            if _reached_target(ema.module if ema is not None else model, data, device, cfg, dist_info):
                state.time_to_target = elapsed
                bar.close()
                return total_loss / seen, correct / seen, True
            net.train()
    return total_loss / max(seen, 1), correct / max(seen, 1), False


def _check_due(cfg: TrainConfig, step: int) -> bool:
    """Whether a mid-epoch validation is due after `step` (time-to-accuracy runs only)."""
    if not cfg.eval_every or cfg.target_acc is None or step < cfg.eval_from:
        return False
    return step % cfg.eval_every == 0


def _reached_target(
    model: nn.Module, data: TrainingData, device: torch.device, cfg: TrainConfig, dist_info: DistInfo
) -> bool:
    """Mid-epoch check for time-to-accuracy runs; rank 0 decides for everyone."""
    reached = False
    if dist_info.is_main:
        _, acc = _validate(model, data, device)
        reached = acc >= (cfg.target_acc or 2.0)
    return _rank_zero_says(reached, dist_info)


def _rank_zero_says(flag: bool, dist_info: DistInfo) -> bool:
    """Rank 0's value of `flag` on every rank: batch-norm statistics differ slightly between
    ranks, so a decision to stop must be taken once, or the ranks would fall out of step."""
    if not dist_info.enabled:
        return flag
    shared = torch.tensor([float(flag)])
    dist.broadcast(shared, src=0)
    return bool(shared[0])


def _validate(model: nn.Module, data: TrainingData, device: torch.device) -> tuple[float, float]:
    logits = predict_logits(model, data.val_x, data.mean, data.std, device=device)
    loss = F.cross_entropy(logits, data.val_y).item()
    acc = (logits.argmax(1) == data.val_y).float().mean().item()
    return loss, acc


def _make_ema(model: nn.Module, cfg: TrainConfig) -> AveragedModel | None:
    if cfg.ema_decay is None:
        return None
    decay = cfg.ema_decay

    def ema_step(averaged: torch.Tensor, current: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        # Warm-up (as in TensorFlow's ExponentialMovingAverage): early on the average
        # would be mostly the random initialisation, so the decay starts small.
        effective = min(decay, (1.0 + float(count)) / (10.0 + float(count)))
        return averaged + (current - averaged) * (1.0 - effective)

    # use_buffers: batch-norm statistics are averaged too, so the EMA model is usable as is.
    return AveragedModel(model, avg_fn=ema_step, use_buffers=True)


def _restore(
    path: Path, cfg: TrainConfig, model: nn.Module, optimizer: torch.optim.Optimizer,
    scheduler: Any, ema: AveragedModel | None, dist_info: DistInfo,
) -> _State:  # fmt: skip
    payload = read_checkpoint(path)
    if payload["model_name"] != cfg.model:
        raise CheckpointError(f"{path}: holds model {payload['model_name']!r}, not {cfg.model!r}")
    model.load_state_dict(payload["model_state"])
    optimizer.load_state_dict(payload["optimizer_state"])
    if scheduler is not None and payload.get("scheduler_state"):
        scheduler.load_state_dict(payload["scheduler_state"])
    if ema is not None and payload.get("ema_state"):
        ema.module.load_state_dict(payload["ema_state"])
        ema.n_averaged.fill_(int(payload.get("ema_count", 1)))
    # Every rank's random state; checkpoints of earlier versions hold only rank 0's.
    states = payload.get("rng_states") or ([payload["rng_state"]] if "rng_state" in payload else [])
    if len(states) == dist_info.world_size:
        torch.set_rng_state(states[dist_info.rank])
    elif states:
        log.warning("%s was saved by %d process(es), this run has %d: augmentation will differ from an "
                    "uninterrupted run", path, len(states), dist_info.world_size)  # fmt: skip
        torch.set_rng_state(states[dist_info.rank % len(states)])
    fields = {f.name for f in dataclasses.fields(_State)}
    state = _State(**{k: v for k, v in payload["progress"].items() if k in fields})
    log.info("resumed %s after epoch %d", path, state.epoch)
    return state


def _calibrate(run_dir: Path, data: TrainingData, device: torch.device, dist_info: DistInfo) -> None:
    """Fit the selected checkpoint's softmax temperature on the validation split and store it in best.pt.

    Label smoothing and augmentation leave a model under-confident on clean digits
    (a clear 7 at 91%); one temperature fitted on held-out digits makes "99%" mean
    right 99 times in 100.
    """
    if not dist_info.is_main or len(data.val_y) == 0:
        return
    path = run_dir / "best.pt"
    best = load_model(path)
    logits = predict_logits(best.model.to(device), data.val_x, best.mean, best.std, device=device)
    fitted = fit_temperature(logits.cpu(), data.val_y)
    payload = read_checkpoint(path)
    payload["temperature"] = fitted.temperature
    payload["calibration"] = fitted.to_dict()
    save_atomic(payload, path)
    log.info("temperature %.3f: validation NLL %.4f -> %.4f", fitted.temperature, fitted.nll_before, fitted.nll_after)


def _final_report(
    run_dir: Path, data: TrainingData, device: torch.device, state: _State, board: TrainingBoard | None
) -> TrainResult:
    """Evaluate the selected checkpoint (best.pt) on the held-out test set."""
    best = load_model(run_dir / "best.pt")
    logits = predict_logits(best.model.to(device), data.test_x, best.mean, best.std, device=device)
    test_loss = F.cross_entropy(logits, data.test_y).item()
    test_acc = (logits.argmax(1) == data.test_y).float().mean().item()
    if board is not None:
        board.test_results(data.test_y.cpu(), logits.cpu(), test_loss, tuple(data.classes), state.epoch)
    return TrainResult(
        run_dir=run_dir, best_epoch=state.best_epoch, best_val_acc=state.best_val_acc,
        test_acc=test_acc, test_loss=test_loss, epochs_run=state.epoch,
        train_seconds=state.train_seconds, time_to_target=state.time_to_target,
        history=[dict(row) for row in state.history], best_checkpoint=run_dir / "best.pt",
    )  # fmt: skip


__all__ = ["TrainResult", "default_run_dir", "train"]
