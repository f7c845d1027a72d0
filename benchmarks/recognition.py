"""End-to-end recognition of drawings, photos and digit lines, against the naive pipeline.

Sets are generated deterministically from MNIST *test* digits (benchmarks/synth.py).
Each sample goes in as encoded bytes, as a user would send it. Our pipeline:
decode -> MNIST-style preprocessing -> shipped model (ONNX Runtime). The naive
pipeline of the reference systems (benchmarks/naive_pipeline.py) feeds the
same model with the whole image resized to 28x28.

    python benchmarks/recognition.py            # canvas 2000, photo 1000, lines 500
"""

from __future__ import annotations

import argparse
import io
import logging
from collections import Counter
from collections.abc import Callable

import numpy as np
from PIL import Image
from scipy import ndimage
from _common import machine, save_json
from naive_pipeline import naive_to_mnist
from synth import Sample, canvas_set, line_set, photo_set

from digitrec.errors import ImageError
from digitrec.inference import Recognizer


def ours_single(recognizer: Recognizer) -> Callable[[bytes], str]:
    def answer(data: bytes) -> str:
        try:
            return recognizer.predict_bytes(data).label
        except ImageError:
            return "?"

    return answer


def ours_line(recognizer: Recognizer) -> Callable[[bytes], str]:
    def answer(data: bytes) -> str:
        try:
            return recognizer.read_bytes(data).text
        except ImageError:
            return "?"

    return answer


def naive_single(recognizer: Recognizer) -> Callable[[bytes], str]:
    def answer(data: bytes) -> str:
        pixels = naive_to_mnist(data, mean=0.0, std=1.0)  # [0, 1]; the ONNX graph normalises
        probs = recognizer.probabilities(np.clip(pixels * 255.0, 0, 255)[None])[0]
        return recognizer.classes[int(probs.argmax())]

    return answer


def naive_line(recognizer: Recognizer) -> Callable[[bytes], str]:
    """The tutorial approach to several digits: every connected blob, squashed to 28x28."""

    def answer(data: bytes) -> str:
        gray = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32)
        ink = gray < 128 if gray.mean() > 127 else gray >= 128
        labels, count = ndimage.label(ink)
        crops = []
        for box in sorted(ndimage.find_objects(labels), key=lambda b: b[1].start):
            blob = ink[box].astype(np.uint8) * 255
            crops.append(np.asarray(Image.fromarray(blob).resize((28, 28), Image.Resampling.BILINEAR)))
        if not crops:
            return "?"
        probs = recognizer.probabilities(np.stack(crops))
        return "".join(recognizer.classes[int(i)] for i in probs.argmax(1))

    return answer


def score(samples: list[Sample], answer: Callable[[bytes], str]) -> dict:
    right = Counter()
    total = Counter()
    for sample in samples:
        ok = answer(sample.data) == sample.label
        right[sample.kind] += ok
        total[sample.kind] += 1
    overall = sum(right.values()) / max(1, sum(total.values()))
    return {"accuracy": overall, "count": sum(total.values()),
            "by_kind": {k: {"accuracy": right[k] / total[k], "count": total[k]} for k in sorted(total)}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canvas", type=int, default=2000)
    parser.add_argument("--photo", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=500)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    recognizer = Recognizer()
    results = {"machine": machine(), "model": recognizer.info.name, "model_version": recognizer.info.version}
    for name, samples in (("canvas", canvas_set(args.canvas)), ("photo", photo_set(args.photo))):
        results[name] = {"ours": score(samples, ours_single(recognizer)), "naive": score(samples, naive_single(recognizer))}
        print(name, {k: round(v["accuracy"], 4) for k, v in results[name].items()}, flush=True)
    lines = line_set(args.lines)
    results["lines"] = {"ours": score(lines, ours_line(recognizer)), "naive": score(lines, naive_line(recognizer))}
    print("lines", {k: round(v["accuracy"], 4) for k, v in results["lines"].items()}, flush=True)
    save_json("recognition.json", results)


if __name__ == "__main__":
    main()
