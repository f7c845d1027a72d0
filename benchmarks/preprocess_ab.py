"""MNIST-style preprocessing of this tree against an earlier revision, side by side.

Timings move by tens of percent between runs on a shared machine, so a change to
`digitrec.preprocess` is judged here: the module as it was at REV (from git) and
as it is now run alternately in one process on the same images, and the ratio
of their medians is reported, with a check that both give the same 28x28 images.

    python benchmarks/preprocess_ab.py --base 94e9d4a
    python benchmarks/preprocess_ab.py --base HEAD~1 --images 50 --rounds 5
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _common import machine, median, save_json
from latency import canvas_png
from synth import canvas_set

import digitrec.preprocess as current
from digitrec.imaging import decode_image

ROOT = Path(__file__).resolve().parent.parent


def module_at(revision: str, folder: Path, name: str = "preprocess"):
    """digitrec/<name>.py as it was at `revision`, imported as <name>_base."""
    source = subprocess.run(["git", "show", f"{revision}:src/digitrec/{name}.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    path = folder / f"{name}_base.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"{name}_base", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"{name}_base"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def side_by_side(label: str, time_base: Callable[[], float], time_current: Callable[[], float], rounds: int,
                 same_images: bool) -> dict:
    """Alternate the two timings (ms per image) for `rounds` rounds: medians, ratio, and a printed line."""
    times: dict[str, list[float]] = {"base": [], "current": []}
    for _ in range(rounds):
        times["base"].append(time_base())
        times["current"].append(time_current())
    row = {"base_ms": median(times["base"]), "current_ms": median(times["current"]), "same_images": same_images}
    row["ratio"] = row["current_ms"] / row["base_ms"]
    print(f"{label} {row['base_ms']:.2f} ms, now {row['current_ms']:.2f} ms per image, ratio {row['ratio']:.2f}; "
          f"identical 28x28 output: {same_images}", flush=True)  # fmt: skip
    return row


def per_call_ms(module, images: list[np.ndarray], repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        for image in images:
            module.to_mnist(image)
    return 1000 * (time.perf_counter() - start) / (repeats * len(images))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1", help="git revision to compare with")
    parser.add_argument("--images", type=int, default=40, help="canvas images from benchmarks/synth.py")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=5, help="passes over the images per round")
    args = parser.parse_args()

    images = {"280x280 canvas (latency.py)": [decode_image(canvas_png())],
              f"{args.images} synthetic canvases": [decode_image(s.data) for s in canvas_set(n=args.images)]}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        base = module_at(args.base, Path(tmp))
        results = {}
        for name, batch in images.items():
            same = all(np.array_equal(base.to_mnist(i).image, current.to_mnist(i).image) for i in batch)
            results[name] = side_by_side(
                f"{name}: {args.base}", lambda batch=batch: per_call_ms(base, batch, args.repeats),
                lambda batch=batch: per_call_ms(current, batch, args.repeats), args.rounds, same,
            )  # fmt: skip
    save_json("preprocess_ab.json", {"machine": machine(), "base": args.base, "rounds": args.rounds,
                                     "repeats": args.repeats, "images": args.images, "results": results})  # fmt: skip


if __name__ == "__main__":
    main()
