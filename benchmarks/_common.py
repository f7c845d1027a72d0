"""Helpers shared by the benchmark scripts: machine description, medians, output folder."""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

OUT_DIR = Path(__file__).resolve().parent / "out"


def machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "platform": platform.platform(),
        "date": datetime.now(timezone.utc).date().isoformat(),  # the report's sections may come from different days
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def save_json(name: str, data: dict[str, Any]) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / name
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def load_json(name: str) -> dict[str, Any] | None:
    path = OUT_DIR / name
    return json.loads(path.read_text()) if path.is_file() else None
