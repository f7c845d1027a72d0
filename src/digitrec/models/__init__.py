"""The model zoo: every network is created by name through `create_model`.

Each model file defines one small `nn.Module` and registers a factory for it.
The CLI, the trainer, the exporter and the tests all go through this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from digitrec.errors import UnknownModelError


@dataclass(frozen=True)
class ModelInfo:
    name: str
    summary: str
    factory: Callable[[], nn.Module]


_REGISTRY: dict[str, ModelInfo] = {}


def register(name: str, summary: str) -> Callable[[Callable[[], nn.Module]], Callable[[], nn.Module]]:
    """Decorator: add a model factory to the zoo under `name`."""

    def add(factory: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = ModelInfo(name=name, summary=summary, factory=factory)
        return factory

    return add


def create_model(name: str) -> nn.Module:
    """Build a freshly initialised network from the zoo by name."""
    if name not in _REGISTRY:
        raise UnknownModelError(name, available=available_models())
    return _REGISTRY[name].factory()


def available_models() -> list[str]:
    return sorted(_REGISTRY)


def model_info(name: str) -> ModelInfo:
    if name not in _REGISTRY:
        raise UnknownModelError(name, available=available_models())
    return _REGISTRY[name]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# Importing the model modules registers them; the order here is the order of the zoo listing.
from digitrec.models import (  # noqa: E402,F401
    best,
    convnet3,
    digitnet,
    fast,
    lenet,
    lenet5,
    mlp,
)
