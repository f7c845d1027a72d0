"""Evaluation sets of real inputs beyond the drawing page (issue 18), from MNIST *test* digits.

Like benchmarks/synth.py, each sample is encoded image bytes (PNG or JPEG) as a
user would send them, the expected answer, a kind and the parameters used
(`meta`, with the MNIST test index of every digit); each set is fully
determined by its seed, and the kinds of a set take turns, so their counts are
equal to within one.

    tight_set        a digit cropped to its ink (margin 0-3 px, sometimes cutting
                     1-2 px), marker strokes and/or blur, white or grey paper,
                     28-300 px, PNG and JPEG
    lowres_set       a scan where the digit is 8-16 px tall: block-averaged,
                     quantised, maybe JPEG'd, then enlarged by a viewer or not
    ruled_set        one digit on notebook rules, on squared paper, in a printed box
    ruled_lines_set  3-8 digits on notebook rules, on squared paper, in a comb field
    nondigit_set     letters, symbols, scribbles and shapes (label NOT_A_DIGIT),
                     made in benchmarks/synth_nondigit.py

The ranges come from the issue's description of such inputs, not from any
recogniser's results.

Non-digits are evaluation-only: the training code makes its own non-digit
images (src/digitrec/nondigits.py), so this set uses its own generator, glyph
skeletons and seed space (`SEED_SPACE`), and holds out the fonts
`RESERVED_FONTS` and the glyphs `RESERVED_GLYPHS`, which training must not use;
a sample's `meta["reserved"]` says whether it has one of them.

    python benchmarks/real_inputs.py    # measures the recogniser on these sets
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage as ndi
from synth import INKS, Sample, _crop, _encode, _fit, _pick, _stroke_width, render_digit
from synth_nondigit import NOT_A_DIGIT, RESERVED_FONTS, RESERVED_GLYPHS, SEED_SPACE, nondigit_set

from digitrec.data import load_dataset

__all__ = ["NOT_A_DIGIT", "RESERVED_FONTS", "RESERVED_GLYPHS", "SEED_SPACE", "Sample", "lowres_set",
           "nondigit_set", "ruled_lines_set", "ruled_set", "tight_set"]  # fmt: skip

TIGHT_KINDS = ("tight-marker", "tight-blurred", "tight-marker-blurred")
LOWRES_KINDS = ("lowres-raw", "lowres-nearest", "lowres-bilinear")
RULED_KINDS = ("ruled-notebook", "ruled-squared", "ruled-box")
RULED_LINE_KINDS = ("lines-notebook", "lines-squared", "lines-comb")
# Printed lines: light blue and grey rules, a red margin, and the drop-out colours of forms
# (a scanner's colour filter removes them) beside black.
RULE_COLOURS = {"blue": (140, 175, 225), "grey": (165, 165, 170)}
MARGIN_RED = (215, 105, 110)
BOX_COLOURS = {"black": (30, 30, 35), "light-red": (240, 150, 150), "light-blue": (150, 190, 240),
               "light-green": (160, 215, 165)}  # fmt: skip
SCAN_FACTOR = 8  # a low-res scan pixel is the mean of 8x8 rendered pixels


def _test_digits(n: int, rng: np.random.Generator) -> list[tuple[np.ndarray, str, int]]:
    """n MNIST test digits: (image, label, test index)."""
    test = load_dataset("mnist").test
    return [(test.images[i], str(int(test.labels[i])), int(i)) for i in _pick(n, len(test.labels), rng)]


# ---- paper, ink and what a camera adds -------------------------------------------------------


def _paper(rng: np.random.Generator, low: float, high: float) -> np.ndarray:
    """Paper RGB of a level in [low, high], tinted by up to +-5 per channel."""
    return np.clip(rng.uniform(low, high) + rng.uniform(-5, 5, 3), 0, 255).astype(np.float32)


def _ink(rng: np.random.Generator) -> tuple[str, np.ndarray]:
    name = list(INKS)[rng.integers(len(INKS))]
    return name, np.clip(np.array(INKS[name]) + rng.integers(-8, 9, 3), 20, 90).astype(np.float32)


def _paint(paper: np.ndarray, layers: list[tuple[np.ndarray, tuple | np.ndarray]]) -> np.ndarray:
    """Paper RGB plus (alpha (h, w) 0..1, RGB) layers, bottom first -> (h, w, 3) float32."""
    rgb = np.empty((*layers[0][0].shape, 3), np.float32)
    rgb[:] = paper
    for alpha, colour in layers:
        rgb += alpha[..., None] * (np.asarray(colour, np.float32) - rgb)
    return rgb


def _image(rgb: np.ndarray, grey: bool) -> Image.Image:
    img = Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")
    return img.convert("L") if grey else img


def _camera(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A phone's look: slight blur, a light gradient of up to 15 %, sensor noise."""
    sigma, dim, noise = rng.uniform(0.4, 1.2), rng.uniform(0.0, 0.15), rng.uniform(2, 6)
    rgb = ndi.gaussian_filter(rgb, (sigma, sigma, 0))
    h, w = rgb.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    ramp = xx * np.cos(angle) + yy * np.sin(angle)
    rgb *= 1 - dim * ((ramp - ramp.min()) / max(1e-6, float(np.ptp(ramp))))[..., None]
    rgb += noise * rng.standard_normal((h, w, 1)).astype(np.float32)
    return rgb, {"blur_sigma": round(sigma, 2), "dim": round(dim, 3), "noise_sigma": round(noise, 2)}


def _resize(ink: np.ndarray, width: int, height: int) -> np.ndarray:
    img = Image.fromarray(ink.astype(np.float32), "F").resize((width, height), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(img), 0, 1)


# ---- tight crops -----------------------------------------------------------------------------


def _marker(ink: np.ndarray, width: float) -> np.ndarray:
    """Strokes widened to about `width` px, as a felt marker draws them (1 px anti-aliased edge)."""
    mask = ink > 0.5
    grow = max(1.0, (width - _stroke_width(mask)) / 2)
    outside = ndi.distance_transform_edt(~np.pad(mask, int(grow) + 2))
    return _crop(np.clip(grow + 0.5 - outside, 0, 1).astype(np.float32))


def _tight_margins(rng: np.random.Generator) -> list[int]:
    """Left, top, right, bottom in px: 1-4 sides touch the ink (0, or -1/-2 cutting it), the rest 1-3."""
    margins = [int(m) for m in rng.integers(1, 4, 4)]
    for side in rng.choice(4, size=int(rng.integers(1, 5)), replace=False):
        margins[side] = -int(rng.integers(1, 3)) if rng.random() < 0.3 else 0
    return margins


def _tight_sample(kind: str, digit: np.ndarray, label: str, index: int, rng: np.random.Generator) -> Sample:
    side = round(float(np.exp(rng.uniform(np.log(28), np.log(300)))))  # the frame's longer side
    work = int(np.clip(side, 96, 200))  # rendered this tall, then resized to fit the frame
    ink, _ = render_digit(digit, work, "normal", rng)
    meta: dict = {"index": index}
    if "marker" in kind:
        meta["marker_frac"] = round(float(rng.uniform(0.15, 0.32)), 3)  # stroke width / digit height
        ink = _marker(ink, meta["marker_frac"] * work)
    left, top, right, bottom = _tight_margins(rng)
    along = top + bottom if ink.shape[0] >= ink.shape[1] else left + right
    scale = (side - along) / max(ink.shape)
    ink = _crop(_resize(ink, max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale))), 0.2)
    pad = 12  # room for the blur beyond the frame, which the crop then cuts
    layer = np.pad(ink, pad)
    if "blurred" in kind:
        meta["blur_sigma"] = round(float(rng.uniform(0.8, 3.0)), 2)
        layer = ndi.gaussian_filter(layer, meta["blur_sigma"])
    h, w = ink.shape
    frame = layer[pad - top : pad + h + bottom, pad - left : pad + w + right]
    paper = _paper(rng, 235, 255) if rng.random() < 0.5 else _paper(rng, 140, 235)
    ink_name, ink_rgb = _ink(rng)
    quality = int(rng.integers(60, 96)) if rng.random() < 0.5 else None
    grey = quality is None and rng.random() < 0.5
    meta |= {"margins": [left, top, right, bottom], "size": [frame.shape[1], frame.shape[0]],
             "paper": round(float(paper.mean())), "ink": ink_name, "quality": quality,
             "ink_cover": round(float((frame > 0.5).mean()), 3)}  # fmt: skip
    return Sample(_encode(_image(_paint(paper, [(frame, ink_rgb)]), grey), quality), label, kind, meta)


def tight_set(n: int = 1000, seed: int = 10) -> list[Sample]:
    """Digits cropped close to their ink, heavy or blurred, on white or grey paper."""
    rng = np.random.default_rng(seed)
    return [_tight_sample(TIGHT_KINDS[i % 3], *d, rng) for i, d in enumerate(_test_digits(n, rng))]


# ---- low-resolution scans --------------------------------------------------------------------


def _lowres_sample(kind: str, digit: np.ndarray, label: str, index: int, rng: np.random.Generator) -> Sample:
    tall = int(rng.integers(8, 17))  # the digit's height in the scan, px
    ink, _ = render_digit(digit, tall * SCAN_FACTOR, "normal", rng)
    left, top, right, bottom = np.round(rng.uniform(0.15, 0.6, 4) * tall * SCAN_FACTOR).astype(int)
    rows = -(-(ink.shape[0] + top + bottom) // SCAN_FACTOR) * SCAN_FACTOR
    cols = -(-(ink.shape[1] + left + right) // SCAN_FACTOR) * SCAN_FACTOR
    layer = np.zeros((rows, cols), np.float32)
    layer[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    grey = rng.random() < 0.7
    ink_name, ink_rgb = ("black", np.full(3, rng.uniform(15, 80), np.float32)) if grey else _ink(rng)
    rgb = _paint(_paper(rng, 190, 250), [(layer, ink_rgb)])
    rgb = rgb.reshape(rows // SCAN_FACTOR, SCAN_FACTOR, cols // SCAN_FACTOR, SCAN_FACTOR, 3).mean(axis=(1, 3))
    levels = int(rng.choice([8, 16, 32, 64]))
    step = 255 / (levels - 1)
    scan = _image(np.round(rgb / step) * step - 0.5, grey)  # - 0.5: _image rounds
    quality = int(rng.integers(50, 91)) if rng.random() < 0.4 else None
    data = _encode(scan, quality)
    meta = {"index": index, "digit_px": tall, "scan_size": [scan.width, scan.height], "levels": levels,
            "scan_quality": quality, "ink": ink_name, "zoom": 1}  # fmt: skip
    if kind != "lowres-raw":
        meta["zoom"] = int(rng.integers(4, 17))
        shown = Image.open(io.BytesIO(data))
        method = Image.Resampling.NEAREST if kind == "lowres-nearest" else Image.Resampling.BILINEAR
        data = _encode(shown.resize((scan.width * meta["zoom"], scan.height * meta["zoom"]), method), None)
    return Sample(data, label, kind, meta)


def lowres_set(n: int = 1000, seed: int = 11) -> list[Sample]:
    """Digits scanned 8-16 px tall, shown as scanned or enlarged x4-x16 (nearest or bilinear)."""
    rng = np.random.default_rng(seed)
    return [_lowres_sample(LOWRES_KINDS[i % 3], *d, rng) for i, d in enumerate(_test_digits(n, rng))]


# ---- printed lines: rules, squares, boxes, combs ---------------------------------------------


def _bands(n: int, centres: np.ndarray, width: float) -> np.ndarray:
    """(n,) coverage 0..1 of lines `width` px wide at `centres` (sub-pixel, anti-aliased)."""
    if not len(centres):
        return np.zeros(n, np.float32)
    d = np.abs(np.arange(n, dtype=np.float32)[:, None] - np.asarray(centres, np.float32)[None])
    return np.clip(width / 2 + 0.5 - d, 0, 1).max(axis=1)


def _span(n: int, start: float, stop: float) -> np.ndarray:
    return ((np.arange(n) >= start) & (np.arange(n) <= stop)).astype(np.float32)


def _notebook(shape: tuple[int, int], ink_box: tuple, height: int, rng: np.random.Generator) -> tuple[list, dict]:
    """Horizontal rules 0.6-1.2 digit heights apart, one through the ink; sometimes a red margin."""
    rows, cols = shape
    x0, y0, x1, y1 = ink_box
    spacing, width = rng.uniform(0.6, 1.2) * height, rng.uniform(1, 3)
    anchor = y0 + rng.uniform(0.2, 0.8) * (y1 - y0)  # strokes cross at least this rule
    centres = anchor + spacing * np.arange(-(anchor // spacing) - 1, (rows - anchor) // spacing + 2)
    colour = list(RULE_COLOURS)[rng.integers(2)]
    layers = [(np.broadcast_to(_bands(rows, centres, width)[:, None], shape), RULE_COLOURS[colour])]
    meta = {"rule_spacing": round(spacing, 1), "rule_width": round(width, 2), "rule_colour": colour}
    if rng.random() < 0.35:
        x = rng.uniform(x0, x1) if rng.random() < 0.5 else rng.uniform(0, cols)
        margin_width = rng.uniform(1, 3)
        layers.append((np.broadcast_to(_bands(cols, np.array([x]), margin_width)[None], shape), MARGIN_RED))
        meta["margin_x"] = round(x, 1)
    return layers, meta


def _squared(shape: tuple[int, int], height: int, rng: np.random.Generator) -> tuple[list, dict]:
    """A grid 0.3-0.8 digit heights apart, light blue or grey."""
    spacing, width = rng.uniform(0.3, 0.8) * height, rng.uniform(1, 2)
    phase = rng.uniform(0, spacing, 2)
    rows = _bands(shape[0], np.arange(phase[0], shape[0], spacing), width)
    cols = _bands(shape[1], np.arange(phase[1], shape[1], spacing), width)
    colour = list(RULE_COLOURS)[rng.integers(2)]
    alpha = np.maximum(rows[:, None], cols[None])
    return [(alpha, RULE_COLOURS[colour])], {"grid": round(spacing, 1), "grid_width": round(width, 2),
                                             "grid_colour": colour}  # fmt: skip


def _boxes(
    shape: tuple[int, int], box: tuple, cells: int, style: str, rng: np.random.Generator
) -> tuple[list, dict]:
    """A printed box, or a comb of `cells` adjacent boxes: full borders, or a bottom line with ticks."""
    rows, cols = shape
    x0, y0, x1, y1 = box
    width = float(rng.integers(1, 5))
    xs = np.linspace(x0, x1, cells + 1)
    ticks = y1 - rng.uniform(0.25, 0.45) * (y1 - y0) if style == "ticks" else y0
    alpha = np.maximum(_bands(rows, np.array([y1] if style == "ticks" else [y0, y1]), width)[:, None]
                       * _span(cols, x0 - width / 2, x1 + width / 2)[None],
                       _span(rows, ticks, y1)[:, None] * _bands(cols, xs, width)[None])  # fmt: skip
    colour = list(BOX_COLOURS)[rng.integers(len(BOX_COLOURS))]
    return [(alpha, BOX_COLOURS[colour])], {"border": width, "border_colour": colour, "box_style": style}


def _finish(layers: list, label: str, kind: str, meta: dict, rng: np.random.Generator) -> Sample:
    """Paint on white-ish paper; half clean PNG (grey or RGB), half camera-like JPEG."""
    rgb = _paint(_paper(rng, 225, 252), layers)
    if rng.random() < 0.5:
        rgb, look = _camera(rgb, rng)
        meta |= look | {"quality": int(rng.integers(70, 93))}
        return Sample(_encode(_image(rgb, False), meta["quality"]), label, kind, meta)
    meta["mode"] = "L" if rng.random() < 0.25 else "RGB"
    return Sample(_encode(_image(rgb, meta["mode"] == "L"), None), label, kind, meta)


def _ruled_sample(kind: str, digit: np.ndarray, label: str, index: int, rng: np.random.Generator) -> Sample:
    height = int(rng.integers(40, 121))
    ink, _ = render_digit(digit, height, "normal", rng)
    inside = rng.random() < 0.6
    if kind == "ruled-box":  # well inside, or touching and crossing the border
        inset = rng.uniform(0.12, 0.4, 4) if inside else rng.uniform(-0.1, 0.03, 4)
        margins = np.round((inset + rng.uniform(0.08, 0.3, 4)) * height + 4).astype(int)
    else:
        margins = np.round(rng.uniform(0.3, 1.0, 4) * height).astype(int)
    left, top, right, bottom = margins
    shape = (top + ink.shape[0] + bottom, left + ink.shape[1] + right)
    layer = np.zeros(shape, np.float32)
    layer[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    ink_box = (left, top, left + ink.shape[1], top + ink.shape[0])
    if kind == "ruled-notebook":
        printed, meta = _notebook(shape, ink_box, height, rng)
    elif kind == "ruled-squared":
        printed, meta = _squared(shape, height, rng)
    else:
        grow = inset * height
        box = (ink_box[0] - grow[0], ink_box[1] - grow[1], ink_box[2] + grow[2], ink_box[3] + grow[3])
        printed, meta = _boxes(shape, box, 1, "box", rng)
        meta["inside"] = bool(inside)
    ink_name, ink_rgb = _ink(rng)
    meta |= {"index": index, "height": height, "size": [shape[1], shape[0]], "ink": ink_name}
    return _finish([*printed, (layer, ink_rgb)], label, kind, meta, rng)


def ruled_set(n: int = 600, seed: int = 12) -> list[Sample]:
    """One digit on notebook rules, on squared paper or in a printed box; strokes cross the lines."""
    rng = np.random.default_rng(seed)
    return [_ruled_sample(RULED_KINDS[i % 3], *d, rng) for i, d in enumerate(_test_digits(n, rng))]


def _written_row(inks: list[np.ndarray], height: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple]:
    """Digits left to right, 0.15-0.6 heights apart, each nudged up or down -> layer, ink box."""
    gaps = [round(rng.uniform(0.15, 0.6) * height) for _ in inks[1:]] + [0]
    tops = [round(-ink.shape[0] / 2 + rng.uniform(-0.06, 0.06) * height) for ink in inks]
    left, top, right, bottom = np.round(rng.uniform(0.3, 0.9, 4) * height).astype(int)
    tops = [t - min(tops) + top for t in tops]
    rows = max(t + ink.shape[0] for t, ink in zip(tops, inks)) + bottom
    layer = np.zeros((rows, left + sum(i.shape[1] for i in inks) + sum(gaps) + right), np.float32)
    x = left
    for ink, y, gap in zip(inks, tops, gaps):
        layer[y : y + ink.shape[0], x : x + ink.shape[1]] = ink
        x += ink.shape[1] + gap
    return layer, (left, top, x, rows - bottom)


def _comb_row(inks: list[np.ndarray], height: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple]:
    """One digit per cell of a comb field, 1.1-1.5 heights wide -> layer, the comb's box."""
    cell_w, cell_h = rng.uniform(1.1, 1.5) * height, rng.uniform(1.25, 1.6) * height
    margin = round(rng.uniform(0.2, 0.6) * height)
    layer = np.zeros((round(cell_h) + 2 * margin, round(cell_w * len(inks)) + 2 * margin), np.float32)
    for i, ink in enumerate(inks):
        ink = _fit(ink, int(0.85 * cell_w), int(0.85 * cell_h))
        jitter = rng.uniform(-0.06, 0.06, 2)
        x = round(margin + (i + 0.5 + jitter[0]) * cell_w - ink.shape[1] / 2)
        y = round(margin + (0.5 + jitter[1]) * cell_h - ink.shape[0] / 2)
        layer[y : y + ink.shape[0], x : x + ink.shape[1]] = ink
    return layer, (margin, margin, margin + cell_w * len(inks), margin + cell_h)


def _ruled_line_sample(kind: str, digits: list[tuple[np.ndarray, str, int]], rng: np.random.Generator) -> Sample:
    height = int(rng.integers(30, 91))
    inks = [render_digit(d, round(height * rng.uniform(0.9, 1.1)), "normal", rng)[0] for d, _, _ in digits]
    if kind == "lines-comb":
        layer, box = _comb_row(inks, height, rng)
        printed, meta = _boxes(layer.shape, box, len(inks), ("box", "ticks")[rng.integers(2)], rng)
    else:
        layer, box = _written_row(inks, height, rng)
        printed, meta = (_notebook(layer.shape, box, height, rng) if kind == "lines-notebook"
                         else _squared(layer.shape, height, rng))  # fmt: skip
    ink_name, ink_rgb = _ink(rng)
    meta |= {"indices": [i for _, _, i in digits], "height": height,
             "size": [layer.shape[1], layer.shape[0]], "ink": ink_name}  # fmt: skip
    return _finish([*printed, (layer, ink_rgb)], "".join(label for _, label, _ in digits), kind, meta, rng)


def ruled_lines_set(n: int = 300, seed: int = 13) -> list[Sample]:
    """Lines of 3-8 digits on notebook rules, on squared paper or in a comb field; label: the string."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 9, size=n)
    digits = _test_digits(int(lengths.sum()), rng)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    return [_ruled_line_sample(RULED_LINE_KINDS[i % 3], digits[a:b], rng)
            for i, (a, b) in enumerate(zip(starts[:-1], starts[1:]))]  # fmt: skip

