"""Make every picture used by README.md, README.zh-CN.md and docs/ (`make docs-figures`).

    .venv/bin/python docs/figures.py                          # everything, into docs/figures/
    .venv/bin/python docs/figures.py --only preprocessing line --out /tmp/figures

Figures (small PNGs, committed as documentation):

    page.png, page-zh.png, page-phone.png   the drawing page with a digit drawn and answered: a real
                                            `digitrec serve` driven by Debian's Chromium (page_shots.py)
    preprocessing.png                       inputs, the naive resize to 28x28, ours, with the model's answers
    preprocessing-steps.png                 what `digitrec.preprocess` does, step by step
    line-reading.png                        a line of digits: the boxes found and the string read
    augmentation.png                        the training augmentation on a few MNIST training digits
    confusion.png, errors.png, reliability.png  the shipped model on the 10,000 MNIST test images
    curves.png                              training curves of runs/real (only when that run is on disk)
    example-digit.png, example-line.png     inputs for the API examples in README.md

Single digits and lines are drawn from MNIST *test* digits by benchmarks/synth.py, with its
fixed seeds, and the naive pipeline is benchmarks/naive_pipeline.py, so these pictures show
the same kind of images BENCHMARKS.md measures. Seeds are fixed everywhere: a rerun gives the
same pictures, except for the timings shown on the page screenshots.
"""

from __future__ import annotations

import argparse
import io
import logging
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from digitrec.errors import DigitrecError
from digitrec.inference import Recognizer

log = logging.getLogger("figures")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "figures"
GOOD, BAD = "#1a7f37", "#cf222e"  # answer colours: right, wrong
DPI = 100


def benchmark_modules():
    """benchmarks/synth.py and naive_pipeline.py are scripts, importable from their folder."""
    folder = str(ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import naive_pipeline
    import synth

    return synth, naive_pipeline


def save_figure(fig: plt.Figure, path: Path) -> None:
    # No "Software" entry: the file then does not change with the matplotlib version.
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    shrink(path)


def shrink(path: Path) -> None:
    """Re-save as a 256-colour PNG when that is smaller: plots are mostly flat colours."""
    image = Image.open(path).convert("RGB")
    buffer = io.BytesIO()
    image.quantize(colors=256, dither=Image.Dither.NONE).save(buffer, format="PNG", optimize=True)
    if buffer.tell() < path.stat().st_size:
        path.write_bytes(buffer.getvalue())


def checkerboard_rgba(data: bytes) -> np.ndarray:
    """An encoded image as RGB, transparent parts shown over a grey checkerboard."""
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    rows, cols = np.indices(image.size[::-1]) // 12  # 12-pixel squares
    cells = ((rows + cols) % 2 * 40 + 175).astype(np.uint8)
    board = Image.fromarray(cells, "L").convert("RGBA")
    board.alpha_composite(image)
    return np.asarray(board.convert("RGB"))


def no_axes(ax: plt.Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


# --- examples for the API section ---------------------------------------------------------


def examples(out: Path, recognizer: Recognizer) -> list[Path]:
    """example-digit.png: a 280x280 drawing of a test digit; example-line.png: a line of digits."""
    synth, _ = benchmark_modules()
    from digitrec.data import load_dataset

    test = load_dataset("mnist").test
    rng = np.random.default_rng(0)
    ink, _ = synth.render_digit(test.images[0], 190, "normal", rng)  # test[0] is a 7
    layer = np.zeros((280, 280), np.float32)
    top, left = (280 - ink.shape[0]) // 2, (280 - ink.shape[1]) // 2
    layer[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    digit = out / "example-digit.png"
    Image.fromarray(np.round(255 * (1 - layer)).astype(np.uint8), "L").save(digit, optimize=True)
    line = out / "example-line.png"
    line.write_bytes(example_line().data)
    return [digit, line]


def example_line():
    """The first line of synth.line_set (seed 2): six digits, the 1 and the 3 touching."""
    synth, _ = benchmark_modules()
    return synth.line_set(n=1, seed=2)[0]


# --- preprocessing: naive against ours ------------------------------------------------------


def preprocessing_cases() -> list[tuple[str, object]]:
    """(caption, synth.Sample) for each kind of input, chosen by how it was made, not by result."""
    synth, _ = benchmark_modules()
    canvas = synth.canvas_set(n=60, seed=0)

    def first(test: Callable[[dict, str], bool]):
        return next(s for s in canvas if test(s.meta, s.kind))

    return [
        ("small, off-centre", first(lambda m, k: k == "canvas-png" and m["canvas"][0] >= 400
                                                       and m["height_frac"] < 0.35 and m["stroke"] == "normal")),
        ("thin stroke", first(lambda m, k: k == "canvas-png" and m["stroke"] == "thin" and m["height_frac"] > 0.7)),
        ("thick stroke", first(lambda m, k: k == "canvas-png" and m["stroke"] == "thick" and m["height_frac"] > 0.6)),
        ("transparent PNG", first(lambda m, k: k == "canvas-transparent-png" and m["stroke"] == "normal"
                                  and m["height_frac"] > 0.4)),
        ("phone photo (JPEG)", synth.photo_set(n=1, seed=1)[0]),
    ]  # fmt: skip


def naive_answer(recognizer: Recognizer, data: bytes) -> tuple[np.ndarray, str, float]:
    """The reference systems' pipeline into the same model, exactly as benchmarks/recognition.py feeds it."""
    _, naive = benchmark_modules()
    pixels = naive.naive_to_mnist(data, mean=0.0, std=1.0)  # [0, 1]; the ONNX graph normalises
    probs = recognizer.probabilities(np.clip(pixels * 255.0, 0, 255)[None])[0]
    best = int(probs.argmax())
    return pixels, recognizer.classes[best], float(probs[best])


def answer_title(ax: plt.Axes, label: str, confidence: float, expected: str) -> None:
    colour = GOOD if label == expected else BAD
    ax.set_xlabel(f"→ {label}  ({100 * confidence:.0f}%)", color=colour, fontsize=11, fontweight="bold")


def preprocessing(out: Path, recognizer: Recognizer) -> list[Path]:
    cases = preprocessing_cases()
    fig, axes = plt.subplots(3, len(cases), figsize=(2.1 * len(cases), 7.4))
    for column, (caption, sample) in enumerate(cases):
        width, height = Image.open(io.BytesIO(sample.data)).size
        axes[0, column].imshow(checkerboard_rgba(sample.data))
        axes[0, column].set_title(f"{caption}\n{width}×{height}, true {sample.label}", fontsize=9)
        pixels, label, confidence = naive_answer(recognizer, sample.data)
        axes[1, column].imshow(pixels, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        answer_title(axes[1, column], label, confidence, sample.label)
        try:
            ours = recognizer.predict_bytes(sample.data)
            axes[2, column].imshow(ours.image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            answer_title(axes[2, column], ours.label, ours.confidence, sample.label)
        except DigitrecError as exc:
            axes[2, column].text(0.5, 0.5, str(exc)[:40], ha="center", va="center", fontsize=7, wrap=True)
        for ax in axes[:, column]:
            no_axes(ax)
    axes[0, 0].set_ylabel("what was sent", fontsize=10)
    axes[1, 0].set_ylabel("naive: whole image\nresized to 28×28", fontsize=10)
    axes[2, 0].set_ylabel("digitrec.preprocess\n(MNIST-style 28×28)", fontsize=10)
    fig.suptitle("The same model, fed two ways (green: right, red: wrong)", fontsize=11)
    fig.tight_layout()
    path = out / "preprocessing.png"
    save_figure(fig, path)
    return [path]


def preprocessing_steps(out: Path, recognizer: Recognizer) -> list[Path]:
    """Input, the ink found (polarity, lighting), the stroke cores, and the 28x28 result."""
    from digitrec.imaging import decode_image
    from digitrec.preprocess import ink_mask, to_mnist

    cases = preprocessing_cases()
    chosen = [cases[4], cases[1]]  # the photo and the thin stroke show the most steps
    fig, axes = plt.subplots(len(chosen), 4, figsize=(10, 2.9 * len(chosen)))
    for row, (caption, sample) in enumerate(chosen):
        gray = decode_image(sample.data)
        ink, mask, polarity, photo = ink_mask(gray)
        result = to_mnist(gray)
        moved = f"centre of mass moved {round(result.shift[0]):+d}, {round(result.shift[1]):+d} px"
        panels = [
            (gray, f"decoded grayscale:\n{caption}"),
            (ink, f"ink: {polarity}\n{'lighting flattened' if photo else 'clean canvas'}"),
            (mask, "stroke cores, specks dropped\n(bounding box in red)"),
            (result.image, f"28×28: {stroke_note(result)}\n{moved}"),
        ]
        for ax, (image, title) in zip(axes[row], panels, strict=True):
            ax.imshow(image, cmap="gray", interpolation="nearest" if image.shape == (28, 28) else None)
            ax.set_title(title, fontsize=9)
            no_axes(ax)
        x0, y0, x1, y1 = result.bbox
        axes[row, 2].add_patch(
            plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec="red", lw=1.2)
        )
    fig.tight_layout()
    path = out / "preprocessing-steps.png"
    save_figure(fig, path)
    return [path]


def stroke_note(result) -> str:
    """How stroke normalisation treated the digit: its stroke at output scale, before and after."""
    from digitrec.preprocess import PreprocessOptions

    options = PreprocessOptions()
    width = result.stroke_px * result.scale  # the stroke in output pixels had it been left alone
    if width < options.thinnest_stroke:
        return f"stroke ≈{width:.1f} px, grown to ≈{options.target_stroke:g}"
    if width > options.thickest_stroke:
        return f"stroke ≈{width:.1f} px, thinned to {options.thickest_stroke:g}"
    return f"stroke ≈{width:.1f} px, kept"


# --- reading a line ---------------------------------------------------------------------------


def line_reading(out: Path, recognizer: Recognizer) -> list[Path]:
    sample = example_line()
    reading = recognizer.read_bytes(sample.data)
    count = len(reading.digits)
    fig = plt.figure(figsize=(9, 4.2))
    grid = fig.add_gridspec(2, count, height_ratios=[2.2, 1])
    top = fig.add_subplot(grid[0, :])
    top.imshow(checkerboard_rgba(sample.data))
    for digit in reading.digits:
        x0, y0, x1, y1 = digit.box
        top.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec="#0969da", lw=1.5))
        top.text(
            x0, y0 - 3, digit.prediction.label, color="#0969da", fontsize=10, fontweight="bold", va="bottom"
        )
    colour = GOOD if reading.text == sample.label else BAD
    top.set_title(f'read "{reading.text}" (written: "{sample.label}")', color=colour, fontsize=11)
    no_axes(top)
    for i, digit in enumerate(reading.digits):
        ax = fig.add_subplot(grid[1, i])
        ax.imshow(digit.prediction.image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_xlabel(f"{digit.prediction.label}  {100 * digit.prediction.confidence:.0f}%", fontsize=9)
        no_axes(ax)
    fig.tight_layout()
    path = out / "line-reading.png"
    save_figure(fig, path)
    return [path]


# --- training: augmentation and curves --------------------------------------------------------


def augmentation(out: Path, recognizer: Recognizer) -> list[Path]:
    import torch

    from digitrec.augment import AugmentConfig, augment_batch
    from digitrec.data import load_dataset

    train = load_dataset("mnist").train
    originals = torch.from_numpy(train.images[:8].copy()).float().div(255).unsqueeze(1)  # (8, 1, 28, 28)
    generator = torch.Generator().manual_seed(0)
    rows = [("original", originals)]
    rows += [(f"--augment ({i})", augment_batch(originals, AugmentConfig(), generator)) for i in (1, 2, 3)]
    rows.append(("--augment --elastic", augment_batch(originals, AugmentConfig(elastic=True), generator)))
    fig, axes = plt.subplots(len(rows), 8, figsize=(8, 0.95 * len(rows) + 0.4))
    for r, (name, batch) in enumerate(rows):
        for c in range(8):
            axes[r, c].imshow(batch[c, 0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            no_axes(axes[r, c])
        axes[r, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle("Training augmentation at strength 1.0: rotation ±10°, shift ±2.5 px, scale ±10%, shear ±8°",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    path = out / "augmentation.png"
    save_figure(fig, path)
    return [path]


def curves(out: Path, recognizer: Recognizer) -> list[Path]:
    """runs/real/metrics.jsonl (the shipped model's run) through digitrec.plots; skipped without it."""
    import json

    from digitrec.plots import plot_curves

    metrics = ROOT / "runs" / "real" / "metrics.jsonl"
    if not metrics.is_file():
        log.warning("skipped curves.png: %s not found (train with `make train` to make it)", metrics)
        return []
    history = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    path = out / "curves.png"
    plot_curves(history, path)
    shrink(path)
    return [path]


# --- evaluation of the shipped model -----------------------------------------------------------


def evaluation(out: Path, recognizer: Recognizer) -> list[Path]:
    """What `digitrec evaluate` writes for the shipped model: confusion matrix, error gallery, reliability."""
    from digitrec.config import EvalConfig
    from digitrec.evaluate import evaluate

    with tempfile.TemporaryDirectory() as tmp:
        report = evaluate(EvalConfig(out_dir=Path(tmp)))
        log.info("shipped model: %.2f%% test accuracy", 100 * report.accuracy)
        written = []
        for name in ("confusion.png", "errors.png", "reliability.png"):
            shutil.copyfile(Path(tmp) / name, out / name)
            shrink(out / name)
            written.append(out / name)
    return written


def page(out: Path, recognizer: Recognizer) -> list[Path]:
    import page_shots

    return page_shots.take(out)


FIGURES: dict[str, Callable[[Path, Recognizer], list[Path]]] = {
    "examples": examples,
    "preprocessing": preprocessing,
    "steps": preprocessing_steps,
    "line": line_reading,
    "augmentation": augmentation,
    "curves": curves,
    "evaluation": evaluation,
    "page": page,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make the pictures of README.md and docs/.")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"folder to write (default {DEFAULT_OUT})"
    )
    parser.add_argument("--only", nargs="+", choices=sorted(FIGURES), help="make only these groups")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("digitrec").setLevel(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    recognizer = Recognizer()  # the shipped model on ONNX Runtime
    for name in args.only or FIGURES:
        for path in FIGURES[name](args.out, recognizer):
            log.info("wrote %s (%.0f KB)", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path,
                     path.stat().st_size / 1024)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
