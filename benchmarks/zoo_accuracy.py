"""Accuracy table of the model zoo: each model trained with its recipe, then tested.

The shipped `best` model is not retrained here (its recipe takes the better part
of an hour on a 2-core CPU): its row comes from its model card, which records
the same figures from its own training run. Pass --include-best to retrain it.

    python benchmarks/zoo_accuracy.py            # about 10 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from _common import machine, save_json

from digitrec.config import TrainConfig
from digitrec.models import available_models, count_parameters, create_model
from digitrec.presets import preset_values
from digitrec.train import train
from digitrec.weights import model_card

# One recipe per model: the classic ones as usually taught, fast/best from their presets.
RECIPES: dict[str, dict] = {
    "mlp": {"optimizer": "adam", "lr": 1e-3, "epochs": 10, "batch_size": 128},
    "lenet5": preset_values("seed-lenet5"),
    "lenet": {"optimizer": "adam", "lr": 1e-3, "epochs": 10, "batch_size": 128},
    "digitnet": {"optimizer": "adam", "lr": 1e-3, "epochs": 8, "batch_size": 128},
    "convnet3": {"optimizer": "adam", "lr": 1e-3, "epochs": 8, "batch_size": 128},
    "fast": preset_values("fast"),
    "best": preset_values("best"),
}


def describe(recipe: dict) -> str:
    parts = [f"{recipe['optimizer']} lr {recipe['lr']}", f"batch {recipe['batch_size']}"]
    if recipe.get("schedule", "none") != "none":
        parts.append(recipe["schedule"])
    if recipe.get("target_acc"):
        parts.append(f"stop at {100 * recipe['target_acc']:.0f}% val (max {recipe['epochs']} epochs)")
    else:
        parts.append(f"{recipe['epochs']} epochs")
    if recipe.get("augment"):
        parts.append("augment")
    if recipe.get("label_smoothing"):
        parts.append(f"label smoothing {recipe['label_smoothing']}")
    if recipe.get("ema_decay"):
        parts.append(f"EMA {recipe['ema_decay']}")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--include-best", action="store_true", help="retrain `best` too (slow)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in available_models():
            recipe = {"model": name, **RECIPES[name]}
            row = {"model": name, "parameters": count_parameters(create_model(name)), "recipe": describe(recipe)}
            if name == "best" and not args.include_best:
                card = model_card()
                row.update(test_acc=card["test_accuracy"], train_seconds=card["train_seconds"], source="model card")
            else:
                result = train(TrainConfig(**recipe, out_dir=Path(tmp) / name, progress=False))
                row.update(test_acc=result.test_acc, train_seconds=result.train_seconds, source="this run")
            rows.append(row)
            print(row, flush=True)
    save_json("zoo_accuracy.json", {"machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
