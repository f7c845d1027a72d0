"""`digitrec evaluate [CHECKPOINT ...]`: test-set report for a model or an ensemble."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from digitrec.config import DEVICES, EvalConfig


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="evaluate a checkpoint (default: the shipped model) on the test set",
        description="Several checkpoints form an ensemble: their softmax outputs are averaged.",
    )
    p.add_argument("checkpoints", nargs="*", type=Path, metavar="CHECKPOINT")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=Path("evaluation"),
                   help="folder for report, confusion matrix, reliability diagram, gallery")  # fmt: skip
    p.add_argument("--tta", action="store_true", help="average over 1-pixel shifts (test-time augmentation)")
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from digitrec.evaluate import evaluate  # imports torch

    cfg = EvalConfig(
        checkpoints=tuple(args.checkpoints), dataset=args.dataset, data_dir=args.data_dir,
        out_dir=args.out, tta=args.tta, batch_size=args.batch_size, device=args.device, threads=args.threads,
    )  # fmt: skip
    report = evaluate(cfg)
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    low, high = report.interval
    print(
        f"test accuracy: {100 * report.accuracy:.2f}%  ({report.errors} errors in {report.count}; "
        f"95% interval {100 * low:.2f}-{100 * high:.2f}%), loss {report.loss:.4f}"
    )
    print(f"expected calibration error: {100 * report.ece:.2f}% (15 bins; reliability diagram: reliability.png)")
    print(f"{'class':>6} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}")
    for row in report.per_class:
        print(
            f"{row['class']:>6} {row['precision']:>9.4f} {row['recall']:>7.4f} {row['f1']:>6.4f} {row['support']:>7}"
        )
    print(f"report, confusion matrix, reliability diagram and error gallery in {args.out}/")
    return 0
