"""`digitrec export [CHECKPOINT] --out FILE.onnx`: ONNX for ONNX Runtime, dynamic batch size."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="export a checkpoint (default: the shipped model) to ONNX",
        description="The ONNX graph takes pixels in [0, 1] (batch, 1, 28, 28) and returns logits; "
        "normalisation is inside the graph and the model's name and classes are in its metadata.",
    )
    p.add_argument("checkpoint", nargs="?", type=Path, metavar="CHECKPOINT", help="a .pt checkpoint")
    p.add_argument("--out", type=Path, default=Path("model.onnx"), help="the ONNX file to write")
    p.add_argument("--no-check", action="store_true", help="skip the ONNX Runtime vs PyTorch comparison")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from digitrec.export import export_onnx  # imports torch; keep `digitrec --help` light
    from digitrec.weights import shipped_checkpoint

    checkpoint = args.checkpoint or shipped_checkpoint()
    out = export_onnx(checkpoint, args.out, check=not args.no_check)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) from {checkpoint}")
    return 0
