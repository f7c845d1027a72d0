"""Images that are not digits, for teaching the model to say so (outlier exposure).

A model trained on digits alone gives every input a confident digit: an "A" is
a 4, an "X" an 8. Training also on letters, symbols, scribbles and shapes with
a target of equal probability for every digit (Hendrycks et al., "Deep Anomaly
Detection with Outlier Exposure", 2019) teaches it to spread its belief on
them instead, which `inference` reports as "not a digit".

Each image is drawn on a canvas and laid out by `preprocess.to_mnist`, exactly
as a user's drawing would reach the model. Glyphs that a digit can look like
(O, I, l, S, Z, B, G, T, ...) are left out. So are the letters and fonts that
`benchmarks/synth_real.py` keeps for evaluation (K, R, Y, & and four DejaVu
faces), so the benchmark measures what training did not see.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitrec.errors import EmptyDrawingError
from digitrec.preprocess import to_mnist

# Letters and symbols unlike any digit, minus those held out for evaluation.
GLYPHS = "AEFHMNPVWX#*+=@%"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
HELD_OUT_FONTS = (
    "DejaVuSerif-Bold.ttf", "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerifCondensed-Italic.ttf", "DejaVuSans-ExtraLight.ttf",
)  # fmt: skip

# Pen strokes of hand-drawn capitals on a unit square (x right, y down): lists of polylines.
_HAND_LETTERS: dict[str, list[list[tuple[float, float]]]] = {
    "A": [[(0.1, 1), (0.5, 0), (0.9, 1)], [(0.28, 0.6), (0.72, 0.6)]],
    "E": [[(0.85, 0), (0.15, 0), (0.15, 1), (0.85, 1)], [(0.15, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0), (0.15, 0), (0.15, 1)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.85, 1)], [(0.15, 0.5), (0.85, 0.5)]],
    "M": [[(0.05, 1), (0.15, 0), (0.5, 0.7), (0.85, 0), (0.95, 1)]],
    "N": [[(0.15, 1), (0.15, 0), (0.85, 1), (0.85, 0)]],
    "V": [[(0.05, 0), (0.5, 1), (0.95, 0)]],
    "W": [[(0, 0), (0.22, 1), (0.5, 0.3), (0.78, 1), (1, 0)]],
    "X": [[(0.1, 0), (0.9, 1)], [(0.9, 0), (0.1, 1)]],
    "#": [[(0.35, 0), (0.25, 1)], [(0.75, 0), (0.65, 1)], [(0, 0.33), (1, 0.33)], [(0, 0.67), (1, 0.67)]],
    "*": [[(0.5, 0), (0.5, 1)], [(0.07, 0.25), (0.93, 0.75)], [(0.93, 0.25), (0.07, 0.75)]],
    "+": [[(0.5, 0.05), (0.5, 0.95)], [(0.05, 0.5), (0.95, 0.5)]],
}
CANVAS = 112  # drawing canvas side in pixels; to_mnist reduces it to 28x28


def nondigit_images(count: int, seed: int = 0) -> np.ndarray:
    """(count, 28, 28) uint8 MNIST-laid-out images of non-digits, the same for the same seed.

    A third each: glyphs in fonts, hand-drawn capitals, and scribbles or shapes.
    """
    rng = np.random.default_rng(seed)
    fonts = _training_fonts()
    images: list[np.ndarray] = []
    while len(images) < count:
        kind = len(images) % 3
        if kind == 0 and fonts:
            canvas = _font_glyph(rng, fonts)
        elif kind == 1:
            canvas = _hand_letter(rng)
        else:
            canvas = _scribble(rng)
        try:
            images.append(to_mnist(np.asarray(canvas)).image)
        except EmptyDrawingError:
            continue  # a stroke drawn off the canvas: draw another
    return np.stack(images[:count])


def _training_fonts() -> list[Path]:
    if not FONT_DIR.is_dir():
        return []
    return sorted(p for p in FONT_DIR.glob("DejaVu*.ttf") if p.name not in HELD_OUT_FONTS and "Math" not in p.name)


def _blank() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (CANVAS, CANVAS), 255)
    return image, ImageDraw.Draw(image)


def _font_glyph(rng: np.random.Generator, fonts: list[Path]) -> Image.Image:
    image, draw = _blank()
    glyph = GLYPHS[int(rng.integers(len(GLYPHS)))]
    font = ImageFont.truetype(str(fonts[int(rng.integers(len(fonts)))]), size=int(rng.integers(50, 90)))
    draw.text((CANVAS / 2, CANVAS / 2), glyph, fill=0, font=font, anchor="mm")
    return image.rotate(float(rng.uniform(-15, 15)), fillcolor=255, resample=Image.Resampling.BILINEAR)


def _pen(rng: np.random.Generator) -> int:
    return int(rng.integers(3, 12))


def _jittered(points: list[tuple[float, float]], rng: np.random.Generator, box: float, slant: float) -> list[tuple[float, float]]:
    """Unit-square points -> canvas points, slanted and shaken like a hand."""
    margin = (CANVAS - box) / 2
    out = []
    for x, y in points:
        x, y = x + rng.normal(0, 0.04) + slant * (0.5 - y), y + rng.normal(0, 0.04)
        out.append((margin + x * box, margin + y * box))
    return out


def _hand_letter(rng: np.random.Generator) -> Image.Image:
    image, draw = _blank()
    strokes = _HAND_LETTERS[list(_HAND_LETTERS)[int(rng.integers(len(_HAND_LETTERS)))]]
    box, slant, width = float(rng.uniform(60, 90)), float(rng.uniform(-0.25, 0.25)), _pen(rng)
    for stroke in strokes:
        draw.line(_jittered(stroke, rng, box, slant), fill=0, width=width, joint="curve")
    return image


def _scribble(rng: np.random.Generator) -> Image.Image:
    image, draw = _blank()
    width = _pen(rng)
    shape = int(rng.integers(5))
    centre = CANVAS / 2
    if shape == 0:  # a tangle: a random walk of many strokes (a few would make a digit-like curve)
        points = [tuple(rng.uniform(20, CANVAS - 20, 2))]
        for _ in range(int(rng.integers(18, 30))):
            step = rng.normal(0, 30, 2)
            points.append(tuple(np.clip(np.asarray(points[-1]) + step, 10, CANVAS - 10)))
        draw.line(points, fill=0, width=width, joint="curve")
    elif shape == 1:  # a spiral of two or more turns
        turns, radius = rng.uniform(2, 3.5), rng.uniform(30, 45)
        t = np.linspace(0, 2 * math.pi * turns, 120)
        r = radius * t / t[-1]
        draw.line(list(zip(centre + r * np.cos(t), centre + r * np.sin(t))), fill=0, width=width, joint="curve")
    elif shape == 2:  # a zig-zag of four or more teeth, or hatching
        teeth = int(rng.integers(4, 8))
        xs = np.linspace(15, CANVAS - 15, teeth * 2 + 1)
        ys = [centre + (-1) ** i * rng.uniform(15, 35) for i in range(len(xs))]
        points = list(zip(xs, ys))
        if rng.random() < 0.5:
            points = [(y, x) for x, y in points]
        draw.line(points, fill=0, width=width, joint="curve")
    elif shape == 3:  # a star or triangle
        corners = int(rng.choice([3, 5]))
        angles = np.linspace(0, 2 * math.pi, corners, endpoint=False) + rng.uniform(0, math.pi)
        radius = rng.uniform(30, 48)
        points = [(centre + radius * math.cos(a), centre + radius * math.sin(a)) for a in angles]
        order = [(i * 2) % corners for i in range(corners)] if corners == 5 else list(range(corners))
        draw.line([points[i] for i in order] + [points[order[0]]], fill=0, width=width, joint="curve")
    else:  # a smiley: a face with eyes and a mouth
        radius = rng.uniform(30, 45)
        draw.ellipse([centre - radius, centre - radius, centre + radius, centre + radius], outline=0, width=width)
        for dx in (-0.35, 0.35):
            x, y = centre + dx * radius, centre - 0.3 * radius
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=0)
        draw.arc([centre - 0.5 * radius, centre - 0.3 * radius, centre + 0.5 * radius, centre + 0.55 * radius],
                 20, 160, fill=0, width=width)  # fmt: skip
    return image
