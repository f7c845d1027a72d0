"""Bytes to answer of this tree against an earlier revision, side by side.

latency.py's absolute figures move by tens of percent between runs on a shared
machine, more than a change to decoding or preprocessing does. So a change is
judged here: `digitrec.imaging` and `digitrec.preprocess` as they were at REV
(from git) and as they are now run alternately in one process on the same PNG
bytes, with the same model, and the ratio of their medians is reported, with a
check that both give the same 28x28 images.

    python benchmarks/latency_ab.py --base 029ae9e
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine, save_json
from latency import canvas_png, page_canvas_pngs
from preprocess_ab import module_at, side_by_side
from synth import canvas_set

import digitrec.imaging as current_imaging
import digitrec.preprocess as current_preprocess
from digitrec.inference import Recognizer


PAGE_IMAGES = {"page_canvas": "page canvas", "page_canvas_rgba": "page canvas as RGBA (canvas.toBlob)"}


def per_call_ms(recognizer: Recognizer, imaging, preprocess, images: list[bytes], repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        for data in images:
            prepared = preprocess.to_mnist(imaging.decode_image(data))
            recognizer.probabilities(prepared.image[None])
    return 1000 * (time.perf_counter() - start) / (repeats * len(images))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1", help="git revision to compare with")
    parser.add_argument("--images", type=int, default=40, help="canvas images from benchmarks/synth.py")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--repeats", type=int, default=30, help="passes over the images per round")
    args = parser.parse_args()

    pages = page_canvas_pngs()
    images = {f"280x280 {PAGE_IMAGES[name]} (latency.py)": [pages[name]] for name in PAGE_IMAGES if name in pages}
    images["280x280 Pillow canvas (latency.py)"] = [canvas_png()]
    images[f"{args.images} synthetic canvases"] = [sample.data for sample in canvas_set(n=args.images)]
    recognizer = Recognizer()
    now = (current_imaging, current_preprocess)
    with tempfile.TemporaryDirectory() as tmp:
        then = (module_at(args.base, Path(tmp), "imaging"), module_at(args.base, Path(tmp), "preprocess"))
        results = {}
        for name, batch in images.items():
            same = all(np.array_equal(then[1].to_mnist(then[0].decode_image(data)).image,
                                      now[1].to_mnist(now[0].decode_image(data)).image) for data in batch)  # fmt: skip
            repeats = max(1, args.repeats // len(batch))
            results[name] = side_by_side(
                f"{name}: {args.base}", lambda batch=batch: per_call_ms(recognizer, *then, batch, repeats),
                lambda batch=batch: per_call_ms(recognizer, *now, batch, repeats), args.rounds, same,
            )  # fmt: skip
    save_json("latency_ab.json", {"machine": machine(), "base": args.base, "rounds": args.rounds,
                                  "repeats": args.repeats, "images": args.images, "results": results})  # fmt: skip


if __name__ == "__main__":
    main()
