"""`digitrec pack RUN_DIR`: slim a run's best checkpoint into a shippable model + card."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pack",
        help="turn a run's best.pt into a slim inference file and a model card",
        description="Writes OUT/best.pt (inference weights only) and OUT/card.json (test accuracy, recipe, versions).",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--out", type=Path, required=True, help="folder for best.pt and card.json")
    p.add_argument(
        "--train-command",
        help="the command that trained the run, recorded on the card (default: made from the run's config)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from digitrec.pack import pack_run  # imports torch

    result = pack_run(args.run_dir, args.out, args.train_command)
    print(f"wrote {result.weights} and {result.card} (test accuracy {100 * result.test_acc:.2f}%)")
    return 0
