"""Things that are not digits, for measuring whether a recogniser says so (evaluation only).

Four kinds, taking turns: glyphs in DejaVu fonts, hand-drawn capitals (jittered
stroke skeletons drawn with a round pen), scribbles (random walks, Bezier
curves, zig-zags, spirals, hatching) and simple shapes (stars, triangles,
crosses, smileys, arrows); black-ish ink on white canvases, PNG.

Kept apart from the non-digits that training makes (src/digitrec/nondigits.py):
its own skeletons and generator, seeds drawn from `(SEED_SPACE, seed)` rather
than a bare integer, and the fonts `RESERVED_FONTS` and glyphs
`RESERVED_GLYPHS`, which training must not use (`meta["reserved"]` marks the
samples that have one). benchmarks/synth_real.py re-exports `nondigit_set`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from synth import CANVAS_SIZES, Sample, _crop, _encode, _place

NOT_A_DIGIT = "not-a-digit"
SEED_SPACE = 18_180  # issue 18's evaluation seeds; training's bare-integer seeds never give these streams
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
RESERVED_FONTS = ("DejaVuSerif-Bold.ttf", "DejaVuSansMono-BoldOblique.ttf",
                  "DejaVuSerifCondensed-Italic.ttf", "DejaVuSans-ExtraLight.ttf")  # fmt: skip
RESERVED_GLYPHS = "KRY&"
GLYPHS = "AEFHKMNPRVWXY#*+=@&"  # capitals and symbols clearly unlike any digit
NONDIGIT_KINDS = ("nondigit-font", "nondigit-hand", "nondigit-scribble", "nondigit-shape")

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, n: int = 10) -> Stroke:
    """Points on an ellipse from `start` to `stop` degrees (0: right, 90: down, as y points down)."""
    t = np.radians(np.linspace(start, stop, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


# Pen strokes of hand-printed capitals in a unit box, x right, y down.
_BOWL = [(0.15, 0.0), *_arc(0.45, 0.27, 0.4, 0.27, -90, 90), (0.15, 0.54)]
HAND_LETTERS: dict[str, list[Stroke]] = {
    "A": [[(0.05, 1), (0.42, 0), (0.58, 0), (0.95, 1)], [(0.24, 0.6), (0.8, 0.62)]],
    "E": [[(0.9, 0.03), (0.12, 0), (0.1, 1), (0.92, 0.97)], [(0.11, 0.5), (0.7, 0.5)]],
    "F": [[(0.12, 1), (0.1, 0), (0.9, 0.03)], [(0.1, 0.46), (0.68, 0.48)]],
    "H": [[(0.1, 0), (0.12, 1)], [(0.88, 0), (0.9, 1)], [(0.11, 0.52), (0.89, 0.48)]],
    "K": [[(0.12, 0), (0.12, 1)], [(0.85, 0), (0.14, 0.58)], [(0.35, 0.42), (0.9, 1)]],
    "M": [[(0.06, 1), (0.1, 0), (0.5, 0.55), (0.9, 0), (0.94, 1)]],
    "N": [[(0.1, 1), (0.1, 0)], [(0.1, 0), (0.9, 1)], [(0.9, 1), (0.9, 0)]],
    "P": [[(0.15, 1), (0.15, 0)], _BOWL],
    "R": [[(0.15, 1), (0.15, 0)], _BOWL, [(0.4, 0.54), (0.9, 1)]],
    "W": [[(0, 0), (0.2, 1), (0.5, 0.1), (0.8, 1), (1, 0)]],
    "Y": [[(0.08, 0), (0.5, 0.5)], [(0.92, 0), (0.5, 0.5), (0.52, 1)]],
}


def _unit(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Strokes moved and scaled so they fill the unit box along their longer side."""
    points = np.concatenate(strokes)
    low, size = points.min(axis=0), max(1e-6, float(np.ptp(points, axis=0).max()))
    return [(s - low) / size for s in strokes]


def _scribble(rng: np.random.Generator) -> tuple[str, list[np.ndarray]]:
    what = ("walk", "bezier", "zigzag", "spiral", "hatching")[rng.integers(5)]
    if what == "walk":  # a pen wandering with momentum
        heading = np.cumsum(rng.normal(0, 0.5, int(rng.integers(40, 120))))
        return what, [np.cumsum(np.stack([np.cos(heading), np.sin(heading)], 1), axis=0)]
    if what == "bezier":  # 2-4 cubic curves end to end
        t = np.linspace(0, 1, 30)[:, None]
        points, curve = rng.random((1, 2)), []
        for _ in range(int(rng.integers(2, 5))):
            p = np.vstack([points[-1:], rng.random((3, 2))])
            points = ((1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3])
            curve.append(points)
        return what, [np.concatenate(curve)]
    if what == "zigzag":
        turns = int(rng.integers(3, 9))
        x = np.linspace(0, 1, turns + 1) + rng.normal(0, 0.03, turns + 1)
        y = np.arange(turns + 1) % 2 * rng.uniform(0.3, 1.0) + rng.normal(0, 0.05, turns + 1)
        return what, [np.stack([x, y], 1)]
    if what == "spiral":
        t = np.linspace(0, rng.uniform(2, 4) * 2 * np.pi, 200)
        r = 0.1 + t
        return what, [np.stack([r * np.cos(t), rng.uniform(0.6, 1.0) * r * np.sin(t)], 1)]
    angle, count = rng.uniform(0, np.pi), int(rng.integers(4, 11))  # parallel strokes, some cross-hatched
    lines = []
    for a in [angle] if rng.random() < 0.6 else [angle, angle + rng.uniform(0.8, 2.3)]:
        d = np.array([np.cos(a), np.sin(a)])
        for off in np.linspace(-0.5, 0.5, count):
            centre = off * np.array([-d[1], d[0]]) + rng.normal(0, 0.03, 2)
            lines.append(np.stack([centre - 0.5 * d, centre + 0.5 * d]))
    return what, lines


def _shape(rng: np.random.Generator) -> tuple[str, list[np.ndarray]]:
    what = ("star", "triangle", "cross", "smiley", "arrow")[rng.integers(5)]
    if what == "star":
        a = np.radians(np.arange(11) * 36 - 90)
        r = np.where(np.arange(11) % 2, rng.uniform(0.3, 0.5), 1.0)
        return what, [np.stack([r * np.cos(a), r * np.sin(a)], 1)]
    if what == "triangle":
        corners = np.array([[0.5, 0], [1, 0.87], [0, 0.87]]) + rng.normal(0, 0.05, (3, 2))
        return what, [np.vstack([corners, corners[:1]])]
    if what == "cross":
        bar = rng.uniform(0.25, 0.4)
        return what, [np.array([[0.5, 0], [0.5, 1]]), np.array([[0.15, bar], [0.85, bar]])]
    if what == "smiley":
        eyes = [np.array([[x, 0.35], [x, 0.4]]) for x in (0.35, 0.65)]
        return what, [np.array(_arc(0.5, 0.5, 0.5, 0.5, 0, 360, 40)), *eyes,
                      np.array(_arc(0.5, 0.55, 0.25, 0.2, 20, 160))]  # fmt: skip
    head = rng.uniform(0.15, 0.3)
    tip = np.array([[1 - head, 0.5 - head], [1, 0.5], [1 - head, 0.5 + head]])
    return what, [np.array([[0, 0.5], [1, 0.5]]), tip]


def _by_hand(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Jitter every point, squeeze, slant and turn: a person's version of the skeleton."""
    strokes = [s + rng.normal(0, 0.025, s.shape) for s in strokes]
    aspect, slant, turn = rng.uniform(0.6, 1.0), rng.uniform(-0.3, 0.2), np.radians(rng.uniform(-10, 10))
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    form = rotation @ np.array([[aspect, -slant], [0, 1]])  # slant > 0: the top leans right (y points down)
    return [s @ form.T for s in strokes]


def _pen(strokes: list[np.ndarray], height: int, pen: float) -> np.ndarray:
    """Unit-box strokes -> ink (h, w) 0..1, `height` px tall, drawn with a round pen `pen` px wide."""
    ss = 3  # drawn 3x larger and averaged down: anti-aliased edges, as a canvas export has
    scaled = [s * height * ss for s in _unit(strokes)]
    reach = pen * ss / 2 + 2
    low = np.concatenate(scaled).min(axis=0) - reach
    size = np.ceil(np.concatenate(scaled).max(axis=0) - low + reach).astype(int)
    img = Image.new("L", (int(size[0]), int(size[1])), 0)
    draw = ImageDraw.Draw(img)
    for stroke in scaled:
        points = [tuple(p) for p in stroke - low]
        draw.line(points, fill=255, width=max(1, round(pen * ss)), joint="curve")
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse([x - pen * ss / 2, y - pen * ss / 2, x + pen * ss / 2, y + pen * ss / 2], fill=255)
    return _crop(np.asarray(img.reduce(ss), np.float32) / 255)


def _glyph(char: str, font: str, height: int) -> np.ndarray:
    face = ImageFont.truetype(str(FONT_DIR / font), size=160)
    left, top, right, bottom = face.getbbox(char)
    img = Image.new("L", (right - left + 20, bottom - top + 20), 0)
    ImageDraw.Draw(img).text((10 - left, 10 - top), char, font=face, fill=255)
    ink = _crop(np.asarray(img, np.float32) / 255)
    scale = height / ink.shape[0]
    img = Image.fromarray(ink, "F").resize((max(1, round(ink.shape[1] * scale)), height), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(img), 0, 1)


def _fonts() -> list[str]:
    return sorted(p.name for p in FONT_DIR.glob("DejaVu*.ttf") if "Math" not in p.name)


def _nondigit_sample(kind: str, fonts: list[str], rng: np.random.Generator) -> Sample:
    width, height = (280, 280) if rng.random() < 0.6 else CANVAS_SIZES[rng.integers(len(CANVAS_SIZES))]
    tall = round(rng.uniform(0.3, 0.85) * min(width, height))
    pen = rng.uniform(0.05, 0.14) * tall
    meta: dict = {"canvas": [width, height]}
    if kind == "nondigit-font":
        # Most font samples hold out something: a reserved face, a reserved glyph or both.
        pool = RESERVED_FONTS if rng.random() < 0.5 else [f for f in fonts if f not in RESERVED_FONTS]
        glyphs = RESERVED_GLYPHS if rng.random() < 0.4 else GLYPHS
        meta |= {"font": pool[rng.integers(len(pool))], "glyph": glyphs[rng.integers(len(glyphs))]}
        ink = _glyph(meta["glyph"], meta["font"], tall)
    elif kind == "nondigit-hand":
        meta["glyph"] = list(HAND_LETTERS)[rng.integers(len(HAND_LETTERS))]
        ink = _pen(_by_hand([np.array(s) for s in HAND_LETTERS[meta["glyph"]]], rng), tall, pen)
    else:
        meta["what"], strokes = (_scribble if kind == "nondigit-scribble" else _shape)(rng)
        ink = _pen(_by_hand(strokes, rng) if kind == "nondigit-shape" else strokes, tall, pen)
    layer, where = _place(ink, width, height, rng)
    meta |= where | {"reserved": meta.get("font") in RESERVED_FONTS or meta.get("glyph") in tuple(RESERVED_GLYPHS)}
    paper, ink_level = rng.uniform(245, 255), rng.uniform(0, 60)
    grey = np.round(paper + layer * (ink_level - paper)).astype(np.uint8)
    mode = "L" if rng.random() < 0.5 else "RGB"
    meta["mode"] = mode
    return Sample(_encode(Image.fromarray(grey, "L").convert(mode), None), NOT_A_DIGIT, kind, meta)


def nondigit_set(n: int = 300, seed: int = 14) -> list[Sample]:
    """Letters, symbols, scribbles and shapes on white canvases; label NOT_A_DIGIT."""
    rng = np.random.default_rng((SEED_SPACE, seed))
    fonts = _fonts()
    return [_nondigit_sample(NONDIGIT_KINDS[i % 4], fonts, rng) for i in range(n)]
