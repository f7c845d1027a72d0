"""Time to 99%: `--preset fast` against the reference LeNet-5 recipe, side by side.

Runs the two presets alternately (fast, seed, fast, seed, ...) so both see the
same machine load, and reports medians. Time is training wall time (the
optimisation loop including the periodic validation checks; data loading
excluded), as recorded by the trainer.

    python benchmarks/time_to_99.py --repeats 5
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from _common import machine, median, save_json

from digitrec.config import TrainConfig
from digitrec.presets import preset_values
from digitrec.train import train


def run_preset(name: str, seed: int, out_dir: Path) -> dict:
    cfg = TrainConfig(**preset_values(name), seed=seed, out_dir=out_dir, progress=False)
    result = train(cfg)
    return {
        "preset": name,
        "seed": seed,
        "train_seconds": result.train_seconds,
        "time_to_target": result.time_to_target,
        "val_acc": result.best_val_acc,
        "test_acc": result.test_acc,
        "epochs_run": result.epochs_run,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    runs: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.repeats):
            for name in ("fast", "seed-lenet5"):
                row = run_preset(name, seed, Path(tmp) / f"{name}-{seed}")
                runs.append(row)
                print(row, flush=True)
    fast = [r for r in runs if r["preset"] == "fast"]
    seed_runs = [r for r in runs if r["preset"] == "seed-lenet5"]
    fast_time = median([r["time_to_target"] or r["train_seconds"] for r in fast])
    seed_time = median([r["train_seconds"] for r in seed_runs])
    summary = {
        "machine": machine(),
        "repeats": args.repeats,
        "fast_reached_99_val": sum(r["time_to_target"] is not None for r in fast),
        "fast_median_seconds_to_99": fast_time,
        "fast_median_test_acc": median([r["test_acc"] for r in fast]),
        "fast_min_test_acc": min(r["test_acc"] for r in fast),
        "seed_median_seconds": seed_time,
        "seed_median_test_acc": median([r["test_acc"] for r in seed_runs]),
        "ratio_fast_over_seed": fast_time / seed_time,
        "runs": runs,
    }
    save_json("time_to_99.json", summary)
    print(
        f"fast: {fast_time:.1f} s to 99% validation (median of {args.repeats}), test "
        f"{100 * summary['fast_median_test_acc']:.2f}%; seed-lenet5: {seed_time:.1f} s, test "
        f"{100 * summary['seed_median_test_acc']:.2f}%; ratio {summary['ratio_fast_over_seed']:.2f}"
    )


if __name__ == "__main__":
    main()
