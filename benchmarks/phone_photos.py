"""Photos at a phone camera's full resolution: accuracy and time, reduced for analysis or not.

The photo and line sets of recognition.py are at most 640 px (photos) or about
a thousand (lines) wide. A phone sends 12 megapixels. Here each sample is
enlarged to 4032 px on its longer side (aspect kept, bicubic) and saved as a
JPEG at quality 90, as a camera would, then read from its bytes twice,
alternating: with the default PreprocessOptions (an image longer than
`max_side` is averaged down by a whole-number factor before the ink is looked
for) and with that reduction turned off. Reported: accuracy of each, how often
they agree, and the median time per image.

    python benchmarks/phone_photos.py            # 60 photos, 30 lines
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import time
from collections.abc import Callable

from _common import machine, median, save_json
from PIL import Image
from synth import Sample, line_set, photo_set
from tqdm import tqdm

from digitrec.errors import ImageError
from digitrec.inference import Recognizer, RecognizerConfig
from digitrec.preprocess import PreprocessOptions

PHONE_SIDE = 4032  # a 12-megapixel camera's longer side
NO_REDUCTION = 1 << 30  # max_side beyond any image


def phone_sized(sample: Sample, side: int = PHONE_SIDE, quality: int = 90) -> bytes:
    with Image.open(io.BytesIO(sample.data)) as image:
        scale = side / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        big = image.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def reader(recognizer: Recognizer, lines: bool) -> Callable[[bytes], str]:
    def answer(data: bytes) -> str:
        try:
            return recognizer.read_bytes(data).text if lines else recognizer.predict_bytes(data).label
        except ImageError:
            return "?"

    return answer


def compare(samples: list[Sample], lines: bool, side: int) -> dict:
    """Both settings on each enlarged sample in turn: answers, and seconds per image."""
    default = Recognizer()
    full = Recognizer(RecognizerConfig(preprocess=dataclasses.replace(PreprocessOptions(), max_side=NO_REDUCTION)))
    readers = {"reduced": reader(default, lines), "full_resolution": reader(full, lines)}
    answers: dict[str, list[str]] = {name: [] for name in readers}
    seconds: dict[str, list[float]] = {name: [] for name in readers}
    sizes = []
    for i, sample in enumerate(tqdm(samples, desc="lines" if lines else "photos", unit="image")):
        data = phone_sized(sample, side)
        sizes.append(len(data))
        order = list(readers) if i % 2 == 0 else list(readers)[::-1]  # neither always goes first
        for name in order:
            start = time.perf_counter()
            answers[name].append(readers[name](data))
            seconds[name].append(time.perf_counter() - start)
    truth = [sample.label for sample in samples]
    return {
        "count": len(samples), "median_jpeg_bytes": median(sizes),
        "agree": sum(a == b for a, b in zip(*answers.values(), strict=True)) / len(samples),
        **{name: {"accuracy": sum(a == t for a, t in zip(answers[name], truth, strict=True)) / len(samples),
                  "median_ms": 1000 * median(seconds[name]), "max_ms": 1000 * max(seconds[name])}
           for name in readers},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=60, help="samples of synth.photo_set")
    parser.add_argument("--lines", type=int, default=30, help="samples of synth.line_set")
    parser.add_argument("--side", type=int, default=PHONE_SIDE, help="longer side of the enlarged images")
    args = parser.parse_args()
    results = {
        "photos": compare(photo_set(n=args.photos), lines=False, side=args.side),
        "lines": compare(line_set(n=args.lines), lines=True, side=args.side),
    }
    for name, result in results.items():
        print(f"{name}:", result, flush=True)
    save_json("phone_photos.json", {"machine": machine(), "side": args.side,
                                    "max_side": PreprocessOptions().max_side, **results})  # fmt: skip


if __name__ == "__main__":
    main()
