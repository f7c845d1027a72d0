"""Model backends for inference: ONNX Runtime (the default, no PyTorch) or a PyTorch checkpoint.

Both take pixels in [0, 1], shape (N, 1, 28, 28) float32, white ink on black,
and return calibrated logits (N, classes): already divided by the temperature
fitted after training (calibration.py), so their softmax is the confidence shown. Loading failures are CheckpointErrors that name
the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from digitrec.errors import CheckpointError

ONNX_SUFFIXES = (".onnx",)


class Backend(Protocol):
    info: ModelInfo

    def logits(self, pixels: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelInfo:
    name: str  # zoo name, e.g. "best"
    classes: tuple[str, ...]
    path: Path
    version: str  # first 12 hex digits of the file's SHA-256: changes whenever the weights do
    runtime: str  # "onnxruntime" or "torch"


def file_version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class OnnxBackend:
    """An exported digitrec model run by ONNX Runtime on the CPU."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime  # imported here: only inference needs it

        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"{path}: no such ONNX model file")
        options = onnxruntime.SessionOptions()
        # Always a thread count: left at 0, ONNX Runtime pins one thread to each core,
        # and on a shared machine a pinned thread waits for its busy core (single-image
        # runs took 0.65 against 0.45 ms on the 2-core development machine).
        options.intra_op_num_threads = threads or _usable_cpus()
        options.inter_op_num_threads = 1
        try:
            self._session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types for bad files
            raise CheckpointError(f"{path}: not a loadable ONNX model ({_first_line(exc)})") from exc
        self._input = self._check_signature(path)
        meta = self._session.get_modelmeta().custom_metadata_map
        classes = tuple(json.loads(meta.get("digitrec_classes", "null")) or [str(i) for i in range(10)])
        self.info = ModelInfo(
            name=meta.get("digitrec_model", path.stem), classes=classes, path=path,
            version=file_version(path), runtime="onnxruntime",
        )  # fmt: skip

    def _check_signature(self, path: Path) -> str:
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1 or list(inputs[0].shape[1:]) != [1, 28, 28]:
            shapes = [i.shape for i in inputs]
            raise CheckpointError(
                f"{path}: not a digit model: expects input (batch, 1, 28, 28), this one takes {shapes}"
            )
        return inputs[0].name

    def logits(self, pixels: np.ndarray) -> np.ndarray:
        (out,) = self._session.run(None, {self._input: np.ascontiguousarray(pixels, dtype=np.float32)})[:1]
        return out


class TorchBackend:
    """A digitrec PyTorch checkpoint (.pt); imports torch only when used."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import torch

        from digitrec.checkpoint import load_model

        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._loaded = load_model(Path(path))
        self.info = ModelInfo(
            name=self._loaded.name, classes=self._loaded.classes, path=Path(path),
            version=file_version(Path(path)), runtime="torch",
        )  # fmt: skip

    def logits(self, pixels: np.ndarray) -> np.ndarray:
        """Calibrated logits: divided by the checkpoint's temperature, as the exported graph does."""
        torch = self._torch
        x = (torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.float32)) - self._loaded.mean) / self._loaded.std
        with torch.inference_mode():
            return self._loaded.model(x).numpy() / np.float32(self._loaded.temperature)


def open_backend(path: Path, threads: int | None = None) -> Backend:
    """ONNX files run on ONNX Runtime; anything else is treated as a PyTorch checkpoint."""
    if Path(path).suffix.lower() in ONNX_SUFFIXES:
        return OnnxBackend(path, threads)
    return TorchBackend(path, threads)


def _usable_cpus() -> int:
    """CPUs this process may run on (all of them where the OS cannot say)."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
