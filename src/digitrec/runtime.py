"""Where computation runs: device choice, thread count, seeding, multi-process setup."""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from digitrec.errors import ConfigError, DistributedError

log = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA, then Apple MPS, then CPU; an explicit choice must exist."""
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if name == "cuda" and not cuda:
        raise ConfigError("device 'cuda' requested but no CUDA GPU is available; use --device auto")
    if name == "mps" and not mps:
        raise ConfigError("device 'mps' requested but Apple MPS is not available; use --device auto")
    return torch.device(name)


def set_threads(threads: int | None) -> None:
    if threads is not None:
        if threads <= 0:
            raise ConfigError(f"threads must be positive, got {threads}")
        torch.set_num_threads(threads)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1), else run alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo()
    backend = "nccl" if device.type == "cuda" else "gloo"
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if backend == "nccl":
        torch.cuda.set_device(local_rank)  # one GPU per process on this node, before NCCL starts
    try:
        dist.init_process_group(backend=backend)
    except Exception as exc:  # rendezvous failures come in many types
        raise DistributedError(f"could not join the {backend} process group: {exc}") from exc
    info = DistInfo(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=local_rank,
    )
    log.info("rank %d of %d (%s backend)", info.rank, info.world_size, backend)
    return info


def rank_device(device: torch.device, info: DistInfo) -> torch.device:
    """The device this process trains on: under torchrun each rank takes GPU `local_rank` of its node."""
    if device.type == "cuda" and info.enabled:
        return torch.device("cuda", info.local_rank)
    return device


def rng_states(info: DistInfo) -> list[torch.Tensor]:
    """Every rank's torch random state, in rank order; a collective, so every rank must call it.

    Each rank draws its own augmentation, so resuming exactly needs each rank's state back.
    """
    state = torch.get_rng_state()
    if not info.enabled:
        return [state]
    states: list[torch.Tensor | None] = [None] * info.world_size
    dist.all_gather_object(states, state)
    return [s for s in states if s is not None]


def shutdown_distributed(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()
