"""Speed of recognition: single-image latency and batch throughput.

1. Canvas PNGs, bytes to answer (decode + preprocess + ONNX Runtime): p50 / p99
   latency over many calls, after a warm-up. The images:
   - a 7 as the drawing page sends it: drawn with the page's default brush and
     encoded by the page's own code in Chromium, 280x280 8-bit grey with
     anti-aliased edges; and as browsers without CompressionStream send it
     (canvas.toBlob: RGBA), at 280x280 and at a phone's 1080x1080 (needs
     Debian's chromium and Playwright, else left out);
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

from digitrec.api.app import web_dir
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


def page_canvas_pngs(brush: int = 18) -> dict[str, bytes]:
    """The '7' as the drawing page sends it, made by the page's own code in Chromium.

    The SEVEN polyline becomes pointer samples 2 px apart, which `exportDrawing`
    (web/js/canvas.js, imported from the package's files) draws as the page
    draws and encodes as the page encodes:
    - "page_canvas": 280x280, as every current browser sends it (8-bit grey PNG);
    - "page_canvas_rgba": 280x280 as canvas.toBlob encodes it (RGBA), what a
      browser without CompressionStream sends, and what the page sent before;
    - "phone_canvas": the RGBA one at 1080x1080, what a phone's 3x screen sent
      before the page capped its PNGs at 280 px on the shorter side.
    Empty when Chromium cannot be started (Debian's chromium, Python Playwright).
    """
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return {}
    strokes = [{"size": brush / 280, "points": [{"x": x / 280, "y": y / 280} for x, y in pointer_samples(SEVEN, 2.0)]}]
    script = """async ([strokes, sizes]) => {
        const { exportDrawing } = await import("/js/canvas.js");
        const encoder = window.CompressionStream;
        const out = {};
        for (const [name, side, grey] of sizes) {
            window.CompressionStream = grey ? encoder : undefined;  // the page's fallback: canvas.toBlob
            const { blob } = await exportDrawing(strokes, side, side);
            out[name] = Array.from(new Uint8Array(await blob.arrayBuffer()));
        }
        window.CompressionStream = encoder;
        return out;
    }"""
    sizes = [["page_canvas", 280, True], ["page_canvas_rgba", 280, False], ["phone_canvas", 1080, False]]
    origin = "http://digitrec.invalid"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.route(f"{origin}/js/*.js", lambda route: route.fulfill(
                    path=web_dir() / "js" / route.request.url.rsplit("/", 1)[1], content_type="text/javascript"))
                page.route(f"{origin}/", lambda route: route.fulfill(body="<!doctype html>", content_type="text/html"))
                page.goto(f"{origin}/")
                return {name: bytes(data) for name, data in page.evaluate(script, [strokes, sizes]).items()}
            finally:
                browser.close()
    except Error as exc:
        print(f"page canvases left out: Chromium could not be started ({str(exc).splitlines()[0]})")
        return {}


def pointer_samples(polyline: list[tuple[float, float]], step: float) -> list[tuple[float, float]]:
    """Points every `step` px along a polyline, as a pointer moving along it reports them."""
    points = [polyline[0]]
    for (x0, y0), (x1, y1) in zip(polyline, polyline[1:], strict=False):
        count = max(1, round(np.hypot(x1 - x0, y1 - y0) / step))
        points += [(x0 + (x1 - x0) * i / count, y0 + (y1 - y0) * i / count) for i in range(1, count + 1)]
    return points


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
    images = page_canvas_pngs()
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
