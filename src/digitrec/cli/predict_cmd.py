"""`digitrec predict IMAGE... | DIR | -`: recognise digits in image files.

An unreadable file is reported on stderr and skipped; the others still run,
and the exit code is 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from digitrec.errors import DigitrecError
from digitrec.inference import NOT_A_DIGIT, NOT_DIGIT_BELOW, UNCERTAIN_BELOW

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict",
        help="recognise the digit (or, with --multi, the digits) in images",
        description="Inputs: image files, folders of images, or - for one image on standard input.",
    )
    p.add_argument("inputs", nargs="+", metavar="IMAGE|DIR|-")
    p.add_argument("--model", dest="models", type=Path, action="append", default=[],
                   help="ONNX or .pt model (repeat for an ensemble; default: the shipped model)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="one JSON object per image")
    p.add_argument("--top-k", type=int, default=3, help="how many best classes to list")
    p.add_argument("--multi", action="store_true", help="read a line of several digits")
    p.add_argument("--tta", action="store_true", help="average over 1-pixel shifts")
    p.add_argument("--threshold", type=float, default=UNCERTAIN_BELOW,
                   help="flag answers below this confidence as uncertain (default %(default)s)")
    p.add_argument("--not-digit-below", type=float, default=NOT_DIGIT_BELOW,
                   help="answer 'not a digit' when the two likeliest digits hold less than this in all "
                        "(default %(default)s)")  # fmt: skip
    p.add_argument("--save-preview", type=Path, metavar="DIR", help="save the 28x28 images the model saw")
    p.add_argument("--plot", type=Path, metavar="DIR", help="save input, model input and probability bars as PNG")
    p.set_defaults(run=run)


def collect_inputs(inputs: list[str]) -> tuple[list[tuple[str, Path | None]], list[str]]:
    """Expand folders; returns (name, path) pairs ('-' has no path) and the names that do not exist."""
    found: list[tuple[str, Path | None]] = []
    missing: list[str] = []
    for item in inputs:
        if item == "-":
            found.append(("-", None))
            continue
        path = Path(item)
        if path.is_dir():
            found += [(str(f), f) for f in sorted(path.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
        elif path.exists():
            found.append((item, path))
        else:
            missing.append(item)
    return found, missing


def run(args: argparse.Namespace) -> int:
    from digitrec.inference import Recognizer, RecognizerConfig

    recognizer = Recognizer(RecognizerConfig(
        models=tuple(args.models), tta=args.tta, uncertain_below=args.threshold,
        not_digit_below=args.not_digit_below, top_k=args.top_k,
    ))  # fmt: skip
    items, missing = collect_inputs(args.inputs)
    failures = len(missing)
    for name in missing:
        print(f"digitrec: {name}: no such file or folder", file=sys.stderr)
    for name, path in items:
        try:
            data = sys.stdin.buffer.read() if path is None else path.read_bytes()
            record = _recognise(recognizer, name, data, args)
        except (OSError, DigitrecError) as exc:
            print(f"digitrec: {name}: {exc}", file=sys.stderr)
            failures += 1
            continue
        print(json.dumps(record) if args.json else _human(record))
    if not items and not missing:
        print("digitrec: no images found", file=sys.stderr)
        return 1
    return 1 if failures else 0


def _recognise(recognizer: Any, name: str, data: bytes, args: argparse.Namespace) -> dict[str, Any]:
    from digitrec.imaging import decode_image
    from digitrec.reasons import line_reason

    gray = decode_image(data, recognizer.config.limits)
    stem = Path(name).stem if name != "-" else "stdin"
    if args.multi:
        line = recognizer.read_array(gray)
        _save_extras(args, stem, gray, [(d.prediction, f"-{i}") for i, d in enumerate(line.digits)], recognizer)
        return {
            "file": name, "text": line.text, "confidence": line.confidence, "uncertain": line.uncertain,
            "outcome": line.outcome, "reason": line_reason(line),
            "digits": [
                {"digit": d.prediction.label, "confidence": d.prediction.confidence, "box": list(d.box),
                 "probabilities": list(d.prediction.probabilities), "outcome": d.prediction.outcome,
                 "reason": d.prediction.reason}
                for d in line.digits
            ],
        }  # fmt: skip
    pred = recognizer.predict_array(gray)
    _save_extras(args, stem, gray, [(pred, "")], recognizer)
    return {
        "file": name, "digit": pred.label, "confidence": pred.confidence, "uncertain": pred.uncertain,
        "outcome": pred.outcome, "reason": pred.reason,
        "probabilities": list(pred.probabilities), "top_k": [[label, p] for label, p in pred.top_k],
    }  # fmt: skip


def _save_extras(args: argparse.Namespace, stem: str, gray: Any, preds: list, recognizer: Any) -> None:
    if args.save_preview:
        from PIL import Image

        args.save_preview.mkdir(parents=True, exist_ok=True)
        for pred, suffix in preds:
            Image.fromarray(pred.image).save(args.save_preview / f"{stem}{suffix}.png")
    if args.plot:
        from digitrec.plots import plot_prediction

        for pred, suffix in preds:
            flag = " — uncertain" if pred.uncertain else ""
            flag = " — not a digit" if pred.outcome == NOT_A_DIGIT else flag
            title = f"{stem}{suffix}: {pred.label} ({100 * pred.confidence:.1f}%){flag}"
            plot_prediction(gray, pred.image, pred.probabilities, recognizer.classes,
                            args.plot / f"{stem}{suffix}.png", title)  # fmt: skip


def _human(record: dict[str, Any]) -> str:
    """One line: the answer and its confidence, "not a digit", or the answer and why it is uncertain."""
    if record["outcome"] == NOT_A_DIGIT:
        best = max(d["confidence"] for d in record["digits"]) if "text" in record else record["confidence"]
        return f"{record['file']}: not a digit  (no digit above {100 * best:.0f}%)"
    flag = f"  (uncertain: {record['reason']})" if record["uncertain"] else ""
    if "text" in record:
        return f"{record['file']}: {record['text']}  (weakest digit {100 * record['confidence']:.1f}%){flag}"
    alternatives = ", ".join(f"{label} {100 * p:.1f}%" for label, p in record["top_k"][1:])
    return f"{record['file']}: {record['digit']}  ({100 * record['confidence']:.1f}%; then {alternatives}){flag}"
