"""Deterministic end-to-end evaluation sets drawn only from MNIST *test* digits.

Each sample is encoded image bytes exactly as a user would send them (PNG or
JPEG) plus the expected answer, so a recogniser is tested from decoding to
digit. Three sets, each fully determined by its seed:

    canvas_set  browser-canvas exports: black on white, many canvas sizes, digit
                height 20-90 % of the canvas, any position, thin/normal/thick
                strokes; 25 % transparent RGBA PNG, 20 % JPEG, rest grey/RGB PNG
    photo_set   phone photos of paper: tinted paper, coloured ink, lighting
                gradient, rotation, blur, sensor noise, JPEG
    line_set    2-6 digits in a row with varied gaps (touching to wide)

The parameter ranges come from the benchmark's specification, not from any
recogniser's results; every sample records the values it used in `meta`.

    python benchmarks/synth.py          # examples + contact sheets in benchmarks/out/
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import OUT_DIR, save_json
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage as ndi

from digitrec.data import load_dataset

log = logging.getLogger("synth")

CANVAS_SIZES = [(200, 200), (400, 300), (300, 400), (512, 512), (150, 150), (640, 480), (480, 640)]
# Not pure black: real pens. Name -> (R, G, B), each channel jittered by +-8 and kept in 20..90.
INKS = {
    "black": (25, 25, 30),
    "dark-grey": (75, 75, 80),
    "dark-blue": (25, 30, 75),
    "ballpoint-blue": (35, 50, 90),
    "red-brown": (85, 40, 30),
}
INK_LEVEL = 0.35  # grey level (0..1) where the soft threshold starts calling a pixel ink
INK_SLOPE = 4.0  # ink reaches 1 at 0.35 + 1/4 = 0.6, keeping anti-aliased edges


@dataclass(frozen=True)
class Sample:
    """One encoded image and the answer a recogniser should give for it."""

    data: bytes  # encoded image (PNG or JPEG bytes) exactly as a user would send it
    label: str  # "7" for single digits, "2025" for lines
    kind: str  # "canvas-png", "canvas-transparent-png", "canvas-jpeg", "photo-jpeg", "line-png", ...
    meta: dict  # the parameters used to make it


# ---- rendering one digit -------------------------------------------------------------


def _disk(radius: int) -> np.ndarray:
    y, x = np.ogrid[-radius : radius + 1, -radius : radius + 1]
    return x * x + y * y <= radius * radius


def _morph(grey: np.ndarray, radius: int) -> np.ndarray:
    """Grey dilation (radius > 0) or erosion (radius < 0) by a disk of |radius| px.

    Done as a chain of disks of radius <= 4: their Minkowski sum is (nearly) the big
    disk, and the cost grows with r instead of r^2, which matters at 500 px digits.
    """
    op = ndi.grey_dilation if radius > 0 else ndi.grey_erosion
    left = abs(radius)
    while left > 0:
        step = min(4, left)
        grey = op(grey, footprint=_disk(step), mode="constant", cval=0.0)
        left -= step
    return grey


def _soft_ink(grey: np.ndarray) -> np.ndarray:
    """Grey 0..1 -> pen-like ink 0..1: solid strokes, a few px of anti-aliased edge."""
    return np.clip((grey - INK_LEVEL) * INK_SLOPE, 0.0, 1.0)


def _crop(ink: np.ndarray, level: float = 0.0) -> np.ndarray:
    rows = np.flatnonzero((ink > level).any(axis=1))
    cols = np.flatnonzero((ink > level).any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in px: a stroke of length L and width w has area L*w, perimeter ~2L."""
    edge = mask & ~ndi.binary_erosion(mask)
    return 2.0 * mask.sum() / max(1, edge.sum())


def _pieces(mask: np.ndarray) -> int:
    return ndi.label(mask, structure=np.ones((3, 3)))[1]


def _stroke_radius(grey: np.ndarray, height: int, stroke: str, rng: np.random.Generator) -> int:
    """Disk radius that takes the strokes to a drawn width, scaled to the digit height.

    thin: 2-5 % of the height (at least 1.5 px: 1-3 px for a 56 px digit);
    thick: 16-26 % of the height. Always at least 1 px of change.
    """
    if stroke == "normal":
        return 0
    mask = grey > INK_LEVEL + 0.5 / INK_SLOPE
    width = _stroke_width(mask)
    if stroke == "thick":
        return max(1, round((rng.uniform(0.16, 0.26) * height - width) / 2))
    radius = max(1, round((width - max(1.5, rng.uniform(0.02, 0.05) * height)) / 2))
    # Cap the erosion: a stroke that breaks into pieces or vanishes is no longer the digit.
    # Flat erosion commutes with thresholding, and the mask eroded by a disk of radius r
    # is where the distance to the background exceeds r: one transform tests every r.
    depth = ndi.distance_transform_edt(mask)
    before = _pieces(mask)
    while radius > 0 and not ((depth > radius).any() and _pieces(depth > radius) <= before):
        radius -= 1
    return -radius


def render_digit(
    digit: np.ndarray, height: int, stroke: str, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """MNIST (28, 28) uint8 -> ink (h, w) float32 0..1, ink `height` px tall (+ stroke change).

    Returns the ink cropped to its bounding box and the disk radius applied
    (negative: eroded to thin strokes, positive: dilated to thick ones).
    """
    src = _crop(digit)
    scale = height / src.shape[0]
    size = (max(1, round(src.shape[1] * scale)), max(1, height))
    grey = np.asarray(Image.fromarray(src).resize(size, Image.Resampling.BICUBIC), np.float32) / 255
    radius = _stroke_radius(grey, height, stroke, rng)
    if radius:
        pad = abs(radius) + 2  # room for the dilated strokes
        grey = _morph(np.pad(grey, pad), radius)
    return _crop(_soft_ink(grey)).astype(np.float32), radius


def _fit(ink: np.ndarray, width: int, height: int) -> np.ndarray:
    """Shrink ink that is wider or taller than the image (wide digits, thick strokes)."""
    scale = min(1.0, width / ink.shape[1], height / ink.shape[0])
    if scale == 1.0:
        return ink
    size = (max(1, int(ink.shape[1] * scale)), max(1, int(ink.shape[0] * scale)))
    return np.clip(np.asarray(Image.fromarray(ink, "F").resize(size, Image.Resampling.BICUBIC)), 0, 1)


def _place(ink: np.ndarray, width: int, height: int, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Ink at a uniformly random position where it fits -> (height, width) layer."""
    ink = _fit(ink, width, height)
    y = int(rng.integers(0, height - ink.shape[0] + 1))
    x = int(rng.integers(0, width - ink.shape[1] + 1))
    layer = np.zeros((height, width), np.float32)
    layer[y : y + ink.shape[0], x : x + ink.shape[1]] = ink
    return layer, {"x": x, "y": y, "ink_w": ink.shape[1], "ink_h": ink.shape[0]}


def _encode(img: Image.Image, quality: int | None) -> bytes:
    """PNG when quality is None, else JPEG at that quality."""
    buf = io.BytesIO()
    if quality is None:
        img.save(buf, format="PNG")
    else:
        img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _pick(n: int, total: int, rng: np.random.Generator) -> np.ndarray:
    """n test indices spread over the whole test set, distinct while n <= total."""
    return rng.choice(total, size=n, replace=n > total)


# ---- canvas set ----------------------------------------------------------------------


def _canvas_sample(digit: np.ndarray, label: int, index: int, rng: np.random.Generator) -> Sample:
    # The 280x280 canvas of most drawing pages, other sizes otherwise.
    width, height = (280, 280) if rng.random() < 0.6 else CANVAS_SIZES[rng.integers(len(CANVAS_SIZES))]
    frac = rng.uniform(0.2, 0.9)
    stroke = ("thin", "normal", "thick")[rng.integers(3)]
    ink, radius = render_digit(digit, round(frac * height), stroke, rng)
    layer, where = _place(ink, width, height, rng)
    meta = {"index": index, "canvas": [width, height], "height_frac": round(frac, 3), "stroke": stroke,
            "stroke_radius": radius, **where}
    u = rng.random()
    if u < 0.25:
        # Transparent canvas export: untouched pixels are (0, 0, 0, 0), the ink opaque black.
        rgba = np.zeros((height, width, 4), np.uint8)
        rgba[..., 3] = np.round(layer * 255)
        data = _encode(Image.fromarray(rgba, "RGBA"), None)
        return Sample(data, str(label), "canvas-transparent-png", meta)
    grey = Image.fromarray(np.round(255 * (1 - layer)).astype(np.uint8), "L")
    if u < 0.45:
        quality = int(rng.integers(70, 96))
        meta["quality"] = quality
        return Sample(_encode(grey.convert("RGB"), quality), str(label), "canvas-jpeg", meta)
    mode = "L" if rng.random() < 0.5 else "RGB"
    meta["mode"] = mode
    return Sample(_encode(grey.convert(mode), None), str(label), "canvas-png", meta)


def canvas_set(n: int = 2000, seed: int = 0) -> list[Sample]:
    """Browser-canvas style drawings of single MNIST test digits (goal: >= 99 %)."""
    rng = np.random.default_rng(seed)
    test = load_dataset("mnist").test
    return [
        _canvas_sample(test.images[i], int(test.labels[i]), int(i), rng)
        for i in _pick(n, len(test.labels), rng)
    ]


# ---- photo set -----------------------------------------------------------------------


def _photo_size(rng: np.random.Generator) -> tuple[int, int]:
    shape = rng.integers(3)
    if shape == 2:
        side = int(rng.integers(256, 513))
        return side, side
    long = int(rng.integers(320, 641))
    short = round(long * 3 / 4)
    return (long, short) if shape == 0 else (short, long)


def _lighting(width: int, height: int, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Brightness factor map: 1 at the brightest point, 1 - (0.15..0.35) at the darkest.

    Half the images also get a vignette darkening the corners by a further 5-15 %.
    """
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    yy, xx = yy / max(height, width), xx / max(height, width)
    amount = rng.uniform(0.15, 0.35)
    if rng.random() < 0.5:
        angle = rng.uniform(0, 2 * np.pi)
        grad = xx * np.cos(angle) + yy * np.sin(angle)
        meta = {"light": "linear", "light_angle": round(float(np.degrees(angle)), 1)}
    else:
        cx, cy = rng.uniform(0, xx.max()), rng.uniform(0, yy.max())
        grad = np.hypot(xx - cx, yy - cy)
        meta = {"light": "radial", "light_centre": [round(cx, 3), round(cy, 3)]}
    grad = (grad - grad.min()) / max(1e-6, float(np.ptp(grad)))
    factor = 1 - amount * grad
    meta["light_amount"] = round(amount, 3)
    if rng.random() < 0.5:
        vignette = rng.uniform(0.05, 0.15)
        cx, cy = xx.max() / 2, yy.max() / 2
        r2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / (cx**2 + cy**2)  # 0 at the centre, 1 in the corners
        factor *= 1 - vignette * r2
        meta["vignette"] = round(vignette, 3)
    return factor, meta


def _rotate(ink: np.ndarray, degrees: float) -> np.ndarray:
    rotated = Image.fromarray(ink, "F").rotate(degrees, Image.Resampling.BICUBIC, expand=True)
    return _crop(np.clip(np.asarray(rotated), 0, 1), level=0.02)


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
    """Paper and ink RGB (float32) and their description."""
    # Off-white with a slight tint, a little warmer (less blue) on average, like most paper.
    paper = np.clip(rng.uniform(200, 245) + rng.uniform(-8, 8, 3) - [0, 0, rng.uniform(0, 10)], 0, 255)
    ink_name = list(INKS)[rng.integers(len(INKS))]
    ink = np.clip(np.array(INKS[ink_name]) + rng.integers(-8, 9, 3), 20, 90)
    meta = {"paper": [round(float(c)) for c in paper], "ink": ink_name, "ink_rgb": [int(c) for c in ink]}
    return paper.astype(np.float32), ink.astype(np.float32), meta


def _photograph(layer: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """Ink layer (h, w) 0..1 -> RGB photo of it on paper: colours, light, blur, noise."""
    height, width = layer.shape
    paper, ink, meta = _colours(rng)
    opacity, sigma, noise = rng.uniform(0.85, 1.0), rng.uniform(0.5, 1.5), rng.uniform(3, 8)
    # Blur the ink alone, then composite: paper is uniform and the light changes slowly,
    # so this equals blurring the whole scene at a third of the cost.
    blurred = Image.fromarray(np.round(layer * 255).astype(np.uint8), "L")
    blurred = blurred.filter(ImageFilter.GaussianBlur(sigma))
    alpha = np.asarray(blurred, np.float32)[..., None] * (opacity / 255)  # pens are not fully opaque
    light, light_meta = _lighting(width, height, rng)
    rgb = alpha * (ink - paper)
    rgb += paper
    rgb *= light[..., None]
    # Luminance noise, shared by the channels: sigma is in grey levels, as a recogniser sees it.
    rgb += noise * rng.standard_normal((height, width, 1), dtype=np.float32) + 0.5  # + 0.5: round below
    np.clip(rgb, 0, 255, out=rgb)
    meta |= {"opacity": round(opacity, 3), "blur_sigma": round(sigma, 2), "noise_sigma": round(noise, 2)}
    return Image.fromarray(rgb.astype(np.uint8), "RGB"), meta | light_meta


def _photo_sample(digit: np.ndarray, label: int, index: int, rng: np.random.Generator) -> Sample:
    width, height = _photo_size(rng)
    frac, degrees = rng.uniform(0.3, 0.7), rng.uniform(-12, 12)
    ink, _ = render_digit(digit, round(frac * height), "normal", rng)
    layer, where = _place(_rotate(ink, degrees), width, height, rng)
    img, look = _photograph(layer, rng)
    quality = int(rng.integers(60, 91))
    meta = {"index": index, "size": [width, height], "height_frac": round(frac, 3),
            "rotation": round(degrees, 2), "quality": quality, **where, **look}
    return Sample(_encode(img, quality), str(label), "photo-jpeg", meta)


def photo_set(n: int = 1000, seed: int = 1) -> list[Sample]:
    """Phone-photo style pictures of single MNIST test digits on paper (goal: >= 97 %)."""
    rng = np.random.default_rng(seed)
    test = load_dataset("mnist").test
    return [
        _photo_sample(test.images[i], int(test.labels[i]), int(i), rng)
        for i in _pick(n, len(test.labels), rng)
    ]


# ---- line set ------------------------------------------------------------------------


def _gap(left: np.ndarray, right: np.ndarray, height: int, rng: np.random.Generator) -> int:
    """Horizontal gap in px between two digits' bounding boxes.

    A quarter are tight (boxes overlapping by up to 10 % of the narrower digit's width,
    ink often touching), the rest spread up to 80 % of the line's digit height.
    """
    if rng.random() < 0.25:
        return round(rng.uniform(-0.1 * min(left.shape[1], right.shape[1]), 0.05 * height))
    return round(rng.uniform(0.05, 0.8) * height)


def _line_sample(digits: list[np.ndarray], labels: list[int], indices: list[int],
                 rng: np.random.Generator) -> Sample:
    height = int(rng.integers(40, 121))
    inks = [render_digit(d, round(height * rng.uniform(0.9, 1.1)), "normal", rng)[0] for d in digits]
    gaps = [_gap(a, b, height, rng) for a, b in zip(inks, inks[1:])]
    # Centres on one line, each nudged up or down by up to 8 % of the height.
    tops = [round(-ink.shape[0] / 2 + rng.uniform(-0.08, 0.08) * height) for ink in inks]
    margins = [round(rng.uniform(0.15, 0.6) * height) for _ in range(4)]  # left, top, right, bottom
    lows = min(tops)
    tops = [t - lows + margins[1] for t in tops]
    rows = max(t + ink.shape[0] for t, ink in zip(tops, inks)) + margins[3]
    cols = margins[0] + sum(ink.shape[1] for ink in inks) + sum(gaps) + margins[2]
    layer = np.zeros((rows, cols), np.float32)
    x = margins[0]
    spans = []  # each digit's ink columns, for error analysis
    for ink, top, gap in zip(inks, tops, [*gaps, 0]):
        region = layer[top : top + ink.shape[0], x : x + ink.shape[1]]
        np.maximum(region, ink, out=region)  # overlapping boxes: ink over ink
        spans.append([x, x + ink.shape[1]])
        x += ink.shape[1] + gap
    grey = Image.fromarray(np.round(255 * (1 - layer)).astype(np.uint8), "L")
    meta = {"indices": indices, "height": height, "gaps": gaps, "spans": spans, "size": [cols, rows]}
    if rng.random() < 0.2:
        meta["quality"] = int(rng.integers(70, 96))
        return Sample(_encode(grey, meta["quality"]), "".join(map(str, labels)), "line-jpeg", meta)
    return Sample(_encode(grey, None), "".join(map(str, labels)), "line-png", meta)


def line_set(n: int = 500, seed: int = 2) -> list[Sample]:
    """Lines of 2-6 MNIST test digits; the label is the digit string (goal: >= 95 % exact)."""
    rng = np.random.default_rng(seed)
    test = load_dataset("mnist").test
    lengths = rng.integers(2, 7, size=n)
    picks = _pick(int(lengths.sum()), len(test.labels), rng)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    samples = []
    for a, b in zip(starts[:-1], starts[1:]):
        idx = [int(i) for i in picks[a:b]]
        labels = [int(test.labels[i]) for i in idx]
        samples.append(_line_sample([test.images[i] for i in idx], labels, idx, rng))
    return samples


# ---- looking at the sets -------------------------------------------------------------


def save_set(samples: list[Sample], folder: Path) -> None:
    """Write each sample's bytes as a file plus labels.csv (file,label,kind)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label", "kind"])
        for i, s in enumerate(samples):
            ext = "jpg" if s.data[:2] == b"\xff\xd8" else "png"  # JPEG's start-of-image marker
            name = f"{i:04d}_{s.kind}.{ext}"
            (folder / name).write_bytes(s.data)
            writer.writerow([name, s.label, s.kind])


def contact_sheet(samples: list[Sample], cols: int = 6, thumb: int = 180) -> Image.Image:
    """Grid of thumbnails, each labelled; transparency shown over a grey checkerboard."""
    rows = -(-len(samples) // cols)
    sheet = Image.new("RGB", (cols * thumb, rows * (thumb + 16)), (90, 90, 90))
    draw = ImageDraw.Draw(sheet)
    checker = np.indices((thumb, thumb)).sum(axis=0) // 8 % 2 * 40 + 160
    for i, s in enumerate(samples):
        img = Image.open(io.BytesIO(s.data)).convert("RGBA")
        img.thumbnail((thumb - 4, thumb - 4))
        cell = Image.fromarray(checker.astype(np.uint8), "L").convert("RGBA")
        cell.alpha_composite(img, ((thumb - img.width) // 2, (thumb - img.height) // 2))
        x, y = i % cols * thumb, i // cols * (thumb + 16)
        sheet.paste(cell.convert("RGB"), (x, y))
        w, h = Image.open(io.BytesIO(s.data)).size
        draw.text((x + 3, y + thumb + 2), f"{s.label}  {s.kind}  {w}x{h}", fill=(255, 255, 255))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=24, help="files written per set")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    summary: dict[str, dict] = {}
    for name, make in (("canvas", canvas_set), ("photo", photo_set), ("line", line_set)):
        start = time.perf_counter()
        samples = make()
        seconds = time.perf_counter() - start
        save_set(samples[: args.examples], OUT_DIR / "samples" / name)
        contact_sheet(samples[:24]).save(OUT_DIR / f"synth_{name}.png")
        kinds = dict(Counter(s.kind for s in samples))
        summary[name] = {"n": len(samples), "seconds": round(seconds, 2), "kinds": kinds}
        log.info("%s: %d samples in %.1f s %s", name, len(samples), seconds, kinds)
    save_json("synth.json", summary)


if __name__ == "__main__":
    main()
