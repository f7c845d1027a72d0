"""Speed of recognition: single-image latency and batch throughput.

1. Canvas PNGs, bytes to answer (decode + preprocess + ONNX Runtime): p50 / p99
   latency over many calls, after a warm-up. The images:
   - a 7 as the drawing page sends it: drawn with the page's default brush by
     Chromium's canvas and encoded by its toBlob, 280x280 RGBA with anti-aliased
     edges (needs Debian's chromium and Playwright, else left out);
   - the same at 1080x1080: what a phone's 3x screen sent before the page
     capped its PNGs at 280 px;
   - the same 7 drawn by Pillow: 280x280 8-bit grey, hard edges (earlier runs'
     image), and again with a thin pen whose strokes preprocessing must rebuild;
   - the 28x28 PNG of an MNIST test digit that http_load.py sends (already laid
     out as MNIST, so preprocessing passes it through).
   The calls are split into rounds, the images taking turns, and each figure is
   the median over the rounds: on a shared machine, a busy spell then moves one
   round, not the result.
2. Batch throughput in images/s of the shipped model on already-prepared 28x28
   inputs, ONNX Runtime and PyTorch eager side by side, alternating so both
   see the same machine load (median of several rounds).

    python benchmarks/latency.py
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from _common import machine, median, save_json
from http_load import digit_png
from PIL import Image, ImageDraw

from digitrec.backends import OnnxBackend, TorchBackend
from digitrec.imaging import decode_image
from digitrec.inference import Recognizer
from digitrec.preprocess import to_mnist
from digitrec.weights import shipped_checkpoint, shipped_onnx


SEVEN = [(80, 70), (200, 70), (130, 220)]  # a 7 on a 280x280 canvas: top bar, then the diagonal
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip


def canvas_png(brush: int = 18) -> bytes:
    """A '7' drawn by Pillow with a round brush on a 280x280 white canvas: 8-bit grey, hard edges.

    18 px is the page's default brush; its strokes are already MNIST-like once the
    digit is scaled. A thin pen (5 px) makes preprocessing rebuild the strokes.
    """
    image = Image.new("L", (280, 280), 255)
    draw = ImageDraw.Draw(image)
    draw.line(SEVEN, fill=0, width=brush, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def page_canvas_png(side: int = 280, brush: int = 18) -> bytes | None:
    """The same '7' as the drawing page sends it: drawn with Chromium's 2D canvas as the page draws
    (white paper, black ink, round caps and joins) and encoded by canvas.toBlob: RGBA with
    anti-aliased edges. `side` scales the whole drawing (a phone's 3x screen: 1080 px, which the
    page no longer sends). None when Chromium cannot be started (Debian's chromium, Python Playwright).
    """
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return None
    script = """async ([points, brush, side]) => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = side;
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(0, 0, side, side);
        Object.assign(ctx, {strokeStyle: "#000000", lineWidth: brush, lineCap: "round", lineJoin: "round"});
        ctx.beginPath();
        points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
        ctx.stroke();
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
        return Array.from(new Uint8Array(await blob.arrayBuffer()));
    }"""
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                scale = side / 280
                points = [(x * scale, y * scale) for x, y in SEVEN]
                return bytes(browser.new_page().evaluate(script, [points, brush * scale, side]))
            finally:
                browser.close()
    except Error as exc:
        print(f"page canvas left out: Chromium could not be started ({str(exc).splitlines()[0]})")
        return None


def single_image_latency(recognizer: Recognizer, images: dict[str, bytes], calls: int, rounds: int) -> dict:
    """Per image: p50 / p99 / mean of `calls` timed calls in each round, medians over the rounds."""
    per_round: dict[str, list[dict]] = {name: [] for name in images}
    for name, data in images.items():
        for _ in range(50):
            recognizer.predict_bytes(data)
    for _ in range(rounds):
        for name, data in images.items():  # taking turns: each round sees the same machine load
            per_round[name].append(timed_calls(recognizer, data, calls // rounds))
    results = {}
    for name, data in images.items():
        runs = per_round[name]
        results[name] = {
            "calls": calls // rounds * rounds, "rounds": rounds,
            **{key: median([run[key] for run in runs]) for key in ("p50_ms", "p99_ms", "mean_ms")},
            "p50_per_round_ms": [run["p50_ms"] for run in runs],
            "answer": recognizer.predict_bytes(data).label,
            "png": png_description(data),
            "stages_p50_ms": stage_latency(recognizer, data, calls // rounds),
        }  # fmt: skip
    return results


def png_description(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        return f"{image.width}x{image.height} {image.mode}, {len(data):,} bytes"


def timed_calls(recognizer: Recognizer, data: bytes, calls: int) -> dict:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        recognizer.predict_bytes(data)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)), "mean_ms": float(ms.mean())}


def stage_latency(recognizer: Recognizer, data: bytes, calls: int) -> dict[str, float]:
    """p50 of each stage of the same path, timed separately: where the time goes."""
    stages: dict[str, list[float]] = {"decode": [], "preprocess": [], "model": []}
    for _ in range(calls):
        t0 = time.perf_counter()
        gray = decode_image(data, recognizer.config.limits)
        t1 = time.perf_counter()
        prepared = to_mnist(gray, recognizer.config.preprocess)
        t2 = time.perf_counter()
        recognizer.probabilities(prepared.image[None])
        t3 = time.perf_counter()
        for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            stages[name].append(seconds)
    return {name: 1000 * float(np.median(values)) for name, values in stages.items()}


def throughput(backends: dict, batch: int, rounds: int) -> dict:
    pixels = np.random.default_rng(0).random((batch, 1, 28, 28), dtype=np.float32)
    rates: dict[str, list[float]] = {name: [] for name in backends}
    repeats = max(1, 4096 // batch)
    for _ in range(rounds):
        for name, backend in backends.items():  # alternate: same load for both
            backend.logits(pixels)
            start = time.perf_counter()
            for _ in range(repeats):
                backend.logits(pixels)
            rates[name].append(batch * repeats / (time.perf_counter() - start))
    return {name: median(values) for name, values in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="timed calls per image, over all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of single-image calls and of throughput")
    args = parser.parse_args()
    recognizer = Recognizer()
    pages = {"page_canvas": page_canvas_png(), "phone_canvas": page_canvas_png(side=1080)}
    images = {name: png for name, png in pages.items() if png is not None}
    images |= {"single_image": canvas_png(), "thin_pen": canvas_png(brush=5), "mnist_digit": digit_png()[0]}
    latency = single_image_latency(recognizer, images, args.calls, args.rounds)
    for name, result in latency.items():
        print(f"{name}:", result, flush=True)
    backends = {"onnxruntime": OnnxBackend(shipped_onnx()), "pytorch": TorchBackend(shipped_checkpoint())}
    batches = {}
    for batch in (1, 64, 256, 1024):
        batches[str(batch)] = throughput(backends, batch, args.rounds)
        print(f"batch {batch}:", {k: round(v) for k, v in batches[str(batch)].items()}, "images/s", flush=True)
    save_json("latency.json", {"machine": machine(), **latency, "throughput": batches})


if __name__ == "__main__":
    main()
