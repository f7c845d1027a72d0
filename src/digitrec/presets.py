"""Named training recipes, so a user need not know the knobs.

A preset fills in TrainConfig fields; flags given on the command line win.
"""

from __future__ import annotations

from typing import Any

from digitrec.errors import ConfigError

PRESETS: dict[str, dict[str, Any]] = {
    # The reference systems' LeNet-5 recipe: plain SGD at a large learning rate.
    "seed-lenet5": {
        "model": "lenet5",
        "optimizer": "sgd",
        "lr": 0.9,
        "momentum": 0.0,
        "batch_size": 256,
        "epochs": 5,
        "augment": False,
    },
    # Quickest route to 99%: small BN net, one-cycle Adam over two epochs, label smoothing, weight
    # EMA. Validation runs at each epoch's end and, from step 600 of 860 (where 99% comes within
    # reach), every 50 steps; earlier checks could not stop the run and each costs time.
    "fast": {
        "model": "fast",
        "optimizer": "adam",
        "lr": 0.01,
        "schedule": "onecycle",
        "batch_size": 128,
        "epochs": 2,
        "augment": False,
        "label_smoothing": 0.1,
        "ema_decay": 0.99,
        "target_acc": 0.99,
        "eval_every": 50,
        "eval_from": 600,
    },
    # Our shipped model: augmentation, label smoothing, weight EMA, one-cycle AdamW.
    "best": {
        "model": "best",
        "optimizer": "adamw",
        "lr": 0.003,
        "weight_decay": 0.0005,
        "schedule": "onecycle",
        "batch_size": 128,
        "epochs": 30,
        "augment": True,
        "augment_strength": 1.0,
        "label_smoothing": 0.1,
        "ema_decay": 0.999,
    },
}
# The shipped model: the `best` recipe plus what real inputs bring that preprocessing cannot
# undo (blur, low resolution, stroke width, JPEG, grey ink, close crops: degrade.py), and
# 12,000 generated non-digits taught as "no digit" (nondigits.py, outlier exposure).
PRESETS["real"] = {**PRESETS["best"], "degrade": True, "nondigits": 12000, "nondigit_weight": 0.5}


def preset_values(name: str) -> dict[str, Any]:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}")
    return dict(PRESETS[name])
