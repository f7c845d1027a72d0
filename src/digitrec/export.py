"""ONNX export: a checkpoint becomes a self-describing ONNX file for ONNX Runtime.

The exported graph takes pixels in [0, 1] with shape (batch, 1, 28, 28) and
returns calibrated logits (batch, 10); the training normalisation and the
softmax temperature are folded into the graph, so a caller only divides by
255. The model's name, classes, temperature and provenance travel in the ONNX
metadata, so inference needs no PyTorch at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from digitrec import __version__
from digitrec.checkpoint import LoadedModel, load_model
from digitrec.errors import CheckpointError

log = logging.getLogger(__name__)

INPUT_NAME = "pixels"  # (batch, 1, 28, 28) float32 in [0, 1], white ink on black
OUTPUT_NAME = "logits"  # (batch, 10) float32
OPSET = 18


class NormalisedModel(nn.Module):
    """Pixels in [0, 1] -> calibrated logits: the training normalisation and the fitted
    temperature (calibration.py) are inside the graph, so every runtime gives the same confidence."""

    def __init__(self, model: nn.Module, mean: float, std: float, temperature: float = 1.0) -> None:
        super().__init__()
        self.model = model
        self.mean = mean
        self.std = std
        self.temperature = temperature

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model((pixels - self.mean) / self.std) / self.temperature


def export_onnx(checkpoint: Path, out: Path, check: bool = True) -> Path:
    """Write `out` (ONNX, dynamic batch size) from a digitrec checkpoint; verify it when `check`."""
    loaded = load_model(checkpoint)
    wrapper = NormalisedModel(loaded.model, loaded.mean, loaded.std, loaded.temperature).eval()
    example = torch.rand(2, 1, 28, 28)
    out.parent.mkdir(parents=True, exist_ok=True)
    batch = torch.export.Dim("batch", min=1, max=65536)
    # The exporter prints progress and warns about internals we do not use (warnings, and log
    # lines such as "torchvision is not installed").
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), _quiet_logger("torch.onnx"):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper, (example,), str(out), dynamo=True, external_data=False, opset_version=OPSET,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], dynamic_shapes={"pixels": {0: batch}},
        )  # fmt: skip
    _add_metadata(out, checkpoint, loaded)
    if check:
        max_diff = compare_with_torch(wrapper, out, torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
        if max_diff > 1e-4:
            raise CheckpointError(f"{out}: ONNX output differs from PyTorch by {max_diff:.2e}; export failed")
    log.info("exported %s -> %s", checkpoint, out)
    return out


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """Only errors from logger `name` while the block runs."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def compare_with_torch(wrapper: nn.Module, onnx_path: Path, pixels: torch.Tensor) -> float:
    """Largest absolute logit difference between PyTorch and ONNX Runtime on `pixels`."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (onnx_logits,) = session.run([OUTPUT_NAME], {INPUT_NAME: pixels.numpy().astype(np.float32)})
    with torch.no_grad():
        torch_logits = wrapper(pixels).numpy()
    return float(np.abs(onnx_logits - torch_logits).max())


def _add_metadata(path: Path, checkpoint: Path, loaded: LoadedModel) -> None:
    model = onnx.load(str(path))
    metadata = {
        "digitrec_model": loaded.name,
        "digitrec_classes": json.dumps(list(loaded.classes)),
        "digitrec_normalization": json.dumps({"mean": loaded.mean, "std": loaded.std, "folded_into_graph": True}),
        "digitrec_temperature": json.dumps({"temperature": loaded.temperature, "folded_into_graph": True}),
        "digitrec_source_sha256": hashlib.sha256(Path(checkpoint).read_bytes()).hexdigest(),
        "digitrec_version": __version__,
    }
    del model.metadata_props[:]
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
