"""Recognition of real inputs beyond the drawing page: tight crops, low-res scans, ruled paper, non-digits.

Issue 18. The sets come from benchmarks/synth_real.py (digits only from MNIST
*test* images, fixed seeds); each sample goes in as encoded bytes, as a user
would send it. *Ours*: `Recognizer.predict_bytes` (one digit) or `read_bytes`
(a line); an ImageError such as "no digit found" counts as wrong and, apart, as
refused. *Naive*: the reference systems' pipeline (benchmarks/naive_pipeline.py)
feeding the same model, as in benchmarks/recognition.py.

Beside accuracy: the expected calibration error of the one-digit sets (15
equal-width bins of top-1 confidence; refused images left out), the share of
non-digits answered as a confident digit, the share of clear canvas digits
(synth.canvas_set) flagged, and the coverage curve: for a threshold on the
not-a-digit score (the two likeliest digits' probabilities together), the
share of digits answered and their accuracy, and the share of non-digits
turned away.

    python benchmarks/real_inputs.py                   # the shipped model, full sets
    python benchmarks/real_inputs.py --n-scale 0.1     # a quick look
    python benchmarks/real_inputs.py --models runs/x/model.onnx --out real_inputs_x.json
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import OUT_DIR, machine, save_json
from recognition import naive_line, naive_single
from synth import Sample, canvas_set, contact_sheet
from synth_real import lowres_set, nondigit_set, ruled_lines_set, ruled_set, tight_set

import digitrec
from digitrec.errors import ImageError
from digitrec.calibration import reliability
from digitrec.evaluate import accuracy_interval
from digitrec.inference import NOT_DIGIT_BELOW, Recognizer, RecognizerConfig

log = logging.getLogger("real_inputs")

SINGLE_SETS = {"tight": (tight_set, 1000), "lowres": (lowres_set, 1000), "ruled": (ruled_set, 600)}
LINE_SETS = {"ruled_lines": (ruled_lines_set, 300)}
NONDIGITS, CANVAS = 300, 2000  # sizes of the non-digit set and of the clear-digit reference
THRESHOLDS = [round(t, 3) for t in [*np.arange(0, 0.99, 0.01), 0.99, 0.995, 0.999]]
ECE_BINS = 15


@dataclass(frozen=True)
class Answer:
    text: str  # the digit or the line's digits; "?" when refused
    confidence: float  # top-1 probability (a line: its weakest digit's); 0 when refused
    refused: bool  # an ImageError, such as "no digit found"
    flagged: bool  # not given as a sure digit: refused, uncertain, or outcome other than "digit"
    outcome: str | None = None  # Prediction.outcome where the recogniser has one
    top_two: float = 0.0  # the two likeliest digits' probabilities together: the not-a-digit score


def ask_single(recognizer: Recognizer, data: bytes) -> Answer:
    try:
        p = recognizer.predict_bytes(data)
    except ImageError:
        return Answer("?", 0.0, True, True)
    outcome = getattr(p, "outcome", None)  # newer recognisers: "digit", "uncertain" or "not_a_digit"
    top_two = float(sum(sorted(p.probabilities)[-2:]))
    return Answer(p.label, p.confidence, False, p.uncertain if outcome is None else outcome != "digit", outcome,
                  top_two)  # fmt: skip


def ask_line(recognizer: Recognizer, data: bytes) -> Answer:
    try:
        r = recognizer.read_bytes(data)
    except ImageError:
        return Answer("?", 0.0, True, True)
    outcome = getattr(r, "outcome", None)
    return Answer(r.text, r.confidence, False, r.uncertain if outcome is None else outcome != "digit", outcome)


def score(samples: list[Sample], right: list[bool], refused: list[bool] | None = None,
          group: Callable[[Sample], str] = lambda s: s.kind) -> dict:
    """Accuracy with its 95% Wilson interval, refused share, and both per group (kind of image)."""
    refused = refused or [False] * len(samples)
    by_group = {}
    for name in sorted({group(s) for s in samples}):
        mine = [i for i, s in enumerate(samples) if group(s) == name]
        by_group[name] = {"count": len(mine), "accuracy": float(np.mean([right[i] for i in mine])),
                          "refused": float(np.mean([refused[i] for i in mine]))}  # fmt: skip
    low, high = accuracy_interval(sum(right), len(right))
    return {"count": len(right), "accuracy": sum(right) / len(right), "interval": [low, high],
            "refused": sum(refused) / len(refused), "by_kind": by_group}  # fmt: skip


def answered_ece(answers: list[Answer], right: list[bool]) -> float:
    """Calibration error of the answers given (refused images have no confidence to judge)."""
    kept = [(a.confidence, ok) for a, ok in zip(answers, right, strict=True) if not a.refused]
    if not kept:
        return float("nan")
    return reliability(np.array([c for c, _ in kept]), np.array([ok for _, ok in kept]), bins=ECE_BINS).ece


def coverage_curve(digits: list[tuple[Answer, bool]], nondigits: list[Answer]) -> list[dict]:
    """Per threshold on the not-a-digit score (the two likeliest digits' probabilities together, which
    `Recognizer` compares with NOT_DIGIT_BELOW): digits answered, their accuracy, non-digits turned away.

    A refused image, or an answer that is not a digit class, is never answered.
    """
    usable = np.array([not a.refused and a.text.isdigit() for a, _ in digits])
    confidence = np.array([a.top_two for a, _ in digits])
    right = np.array([ok for _, ok in digits])
    other_usable = np.array([not a.refused and a.text.isdigit() for a in nondigits])
    other_confidence = np.array([a.top_two for a in nondigits])
    curve = []
    for t in THRESHOLDS:
        answered = usable & (confidence >= t)
        curve.append({"threshold": t, "coverage": float(answered.mean()),
                      "accuracy": float(right[answered].mean()) if answered.any() else None,
                      "nondigit_flagged": float(1 - (other_usable & (other_confidence >= t)).mean())})  # fmt: skip
    return curve


def plot_coverage(curve: list[dict], path: Path, marks: tuple[float, ...] = (0.3, NOT_DIGIT_BELOW, 0.9)) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in curve if r["accuracy"] is not None]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=110)
    left.plot([r["coverage"] for r in rows], [r["accuracy"] for r in rows], marker=".")
    for r in (r for r in rows if r["threshold"] in marks):
        left.annotate(f"{r['threshold']:g}", (r["coverage"], r["accuracy"]),
                      textcoords="offset points", xytext=(4, -10))
    left.set_xlabel("digits answered (coverage)")
    left.set_ylabel("accuracy on answered digits")
    left.set_title("Digits: coverage against accuracy")
    ts = [r["threshold"] for r in curve]
    right.plot(ts, [r["coverage"] for r in curve], label="digits answered")
    right.plot([r["threshold"] for r in rows], [r["accuracy"] for r in rows], label="accuracy on answered")
    right.plot(ts, [r["nondigit_flagged"] for r in curve], label="non-digits turned away")
    right.axvline(NOT_DIGIT_BELOW, color="grey", linestyle=":", label=f"shipped ({NOT_DIGIT_BELOW:g})")
    right.set_xlabel("threshold on the two likeliest digits' probability")
    right.set_ylim(0, 1.02)
    right.legend(loc="lower left")
    right.set_title("By threshold")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def measure_digits(
    samples: list[Sample], answers: list[Answer], naive: Callable[[bytes], str], lines: bool
) -> dict:
    right = [a.text == s.label for s, a in zip(samples, answers, strict=True)]
    refused = [a.refused for a in answers]
    result = {"ours": score(samples, right, refused),
              "naive": score(samples, [naive(s.data) == s.label for s in samples])}  # fmt: skip
    if not lines:  # a line's confidence is its weakest digit's: no claim to calibrate
        result["ece"] = answered_ece(answers, right)
    if all("ink_cover" in s.meta for s in samples):  # tight crops: how much of the frame is ink matters most
        cover = score(samples, right, refused,
                      lambda s: "ink over half the frame" if s.meta["ink_cover"] > 0.5 else "ink half or less")
        result["ours_by_ink_cover"] = cover["by_kind"]
    return result


def measure_nondigits(samples: list[Sample], answers: list[Answer]) -> dict:
    def share(items: list[Answer]) -> dict:
        return {"count": len(items), "flagged": float(np.mean([a.flagged for a in items])) if items else None}

    sure = [a for a in answers if not a.flagged]
    kinds = sorted({s.kind for s in samples})
    return {**share(answers), "confident_digit": len(sure) / len(answers),
            "refused": float(np.mean([a.refused for a in answers])),
            "by_kind": {k: share([a for s, a in zip(samples, answers) if s.kind == k]) for k in kinds},
            "reserved": share([a for s, a in zip(samples, answers) if s.meta["reserved"]]),
            "outcomes": dict(Counter(a.outcome for a in answers if a.outcome)),
            "read_as": dict(Counter(a.text for a in sure).most_common())}  # fmt: skip


def measure_clear(samples: list[Sample], answers: list[Answer]) -> dict:
    """Clear canvas digits: accuracy, and how many the recogniser would not give as a sure digit."""
    outcomes = [a.outcome for a in answers]
    has_outcome = any(o is not None for o in outcomes)
    right = [a.text == s.label for s, a in zip(samples, answers, strict=True)]
    return {"count": len(answers), "accuracy": float(np.mean(right)),
            "refused": float(np.mean([a.refused for a in answers])),
            "flagged": float(np.mean([a.flagged for a in answers])),
            "uncertain": float(np.mean([o == "uncertain" if has_outcome else a.flagged and not a.refused
                                        for o, a in zip(outcomes, answers)])),
            "not_a_digit": float(np.mean([o == "not_a_digit" for o in outcomes])) if has_outcome else None,
            "ece": answered_ece(answers, right)}  # fmt: skip


def _revision() -> dict:
    """The commit of the digitrec measured (wherever it was imported from) and whether its files differed."""
    package = Path(digitrec.__file__).parent

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=package).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD") or None,
            "modified": bool(git("status", "--porcelain", "."))}  # fmt: skip


def _errors_sheet(
    made: dict[str, list[Sample]], answers: dict[str, list[Answer]], per_set: int = 6
) -> list[Sample]:
    """The first misread digits and confidently read non-digits of each set, labelled with the answer."""
    wrong = []
    for name, samples in made.items():
        # A non-digit goes wrong when given as a sure digit, a digit when misread.
        misses = [(s, a) for s, a in zip(samples, answers[name])
                  if (not a.flagged if name == "nondigit" else a.text != s.label)]  # fmt: skip
        wrong += [Sample(s.data, f"{s.label[:8]} as {a.text}", s.kind, s.meta) for s, a in misses[:per_set]]
    return wrong


def run(scale: float, models: list[Path]) -> dict:
    recognizer = Recognizer(RecognizerConfig(models=tuple(models))) if models else Recognizer()
    results: dict = {"machine": machine(), "model": recognizer.info.name, "model_version": recognizer.info.version,
                     "models": [str(p) for p in models] or "shipped", "revision": _revision(),
                     "sets": {}, "seconds": {}}  # fmt: skip
    made: dict[str, list[Sample]] = {}
    answers: dict[str, list[Answer]] = {}
    jobs = [(name, make, n, ask_single) for name, (make, n) in SINGLE_SETS.items()]
    jobs += [(name, make, n, ask_line) for name, (make, n) in LINE_SETS.items()]
    jobs += [("nondigit", nondigit_set, NONDIGITS, ask_single), ("canvas", canvas_set, CANVAS, ask_single)]
    for name, make, n, ask in jobs:
        start = time.perf_counter()
        made[name] = make(max(6, round(n * scale)))
        answers[name] = [ask(recognizer, s.data) for s in made[name]]
        if name in SINGLE_SETS or name in LINE_SETS:
            naive = (naive_line if name in LINE_SETS else naive_single)(recognizer)
            results["sets"][name] = measure_digits(made[name], answers[name], naive, lines=name in LINE_SETS)
        results["seconds"][name] = round(time.perf_counter() - start, 1)
        log.info("%s: %d images in %.0f s", name, len(made[name]), results["seconds"][name])
    results["nondigit"] = measure_nondigits(made["nondigit"], answers["nondigit"])
    results["canvas"] = measure_clear(made["canvas"], answers["canvas"])
    pooled = [(a, a.text == s.label) for name in (*SINGLE_SETS, "canvas")
              for s, a in zip(made[name], answers[name], strict=True)]  # fmt: skip
    results["ece_pooled"] = answered_ece([a for a, _ in pooled], [ok for _, ok in pooled])
    results["coverage"] = coverage_curve(pooled, answers["nondigit"])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    plot_coverage(results["coverage"], OUT_DIR / "real_inputs_coverage.png")
    for name, samples in made.items():
        contact_sheet(samples[:24]).save(OUT_DIR / f"real_inputs_{name}.png")
    contact_sheet(_errors_sheet(made, answers), cols=5, thumb=240).save(OUT_DIR / "real_inputs_errors.png")
    return results


def summary(results: dict) -> str:
    lines = [f"{'set':12} {'n':>5} {'ours':>7} {'refused':>8} {'naive':>7} {'ECE':>6}"]
    for name, row in results["sets"].items():
        ours, ece = row["ours"], row.get("ece")
        ece_text = f"{100 * ece:5.1f}%" if ece is not None else "   n/a"
        lines.append(f"{name:12} {ours['count']:5d} {100 * ours['accuracy']:6.1f}% {100 * ours['refused']:7.1f}% "
                     f"{100 * row['naive']['accuracy']:6.1f}% {ece_text}")  # fmt: skip
    nd, canvas = results["nondigit"], results["canvas"]
    lines.append(f"non-digits answered as a confident digit: {100 * nd['confident_digit']:.1f}% of {nd['count']}")
    lines.append(f"clear canvas digits: accuracy {100 * canvas['accuracy']:.2f}%, "
                 f"flagged {100 * canvas['flagged']:.1f}%")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-scale", type=float, default=1.0, help="multiply every set's size (0.1: a quick look)")
    parser.add_argument("--models", type=Path, nargs="+", default=[], metavar="PATH",
                        help="ONNX files or .pt checkpoints to measure instead of the shipped model "
                             "(several: an ensemble)")  # fmt: skip
    parser.add_argument("--out", default="real_inputs.json", help="result file name in benchmarks/out")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("digitrec").setLevel(logging.WARNING)  # not "mnist: using files from cache" per set
    results = run(args.n_scale, args.models)
    save_json(args.out, results)
    log.info("%s", summary(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
