"""Digit shapes as strokes, and real input to draw them: mouse moves or CDP touches.

Shapes are lists of strokes; a stroke is a list of (x, y) points as fractions of
the canvas width and height, so one shape fits any canvas size.
"""

from __future__ import annotations

import math

Stroke = list[tuple[float, float]]


def one(x: float = 0.5, top: float = 0.18, bottom: float = 0.82) -> list[Stroke]:
    """A plain vertical bar, drawn top to bottom."""
    return [[(x, top), (x, bottom)]]


def one_upwards(x: float = 0.5) -> list[Stroke]:
    """A "1" drawn bottom to top: on a phone, that finger movement would scroll the page down."""
    return [[(x, 0.82), (x, 0.18)]]


def seven(left: float = 0.28, right: float = 0.72, top: float = 0.2, bottom: float = 0.82) -> list[Stroke]:
    """A top bar and a long diagonal, in one stroke, without serifs or a crossbar."""
    return [[(left, top), (right, top), (left + 0.35 * (right - left), bottom)]]


def zero(cx: float = 0.5, cy: float = 0.5, rx: float = 0.2, ry: float = 0.3,
         points: int = 30) -> list[Stroke]:
    """An upright ellipse as a closed polyline of `points` samples."""
    ring = [(cx + rx * math.sin(2 * math.pi * i / points), cy - ry * math.cos(2 * math.pi * i / points))
            for i in range(points + 1)]  # fmt: skip
    return [ring]


def cross(left: float = 0.25, right: float = 0.75, top: float = 0.25, bottom: float = 0.75) -> list[Stroke]:
    """An "X": two crossing diagonals, a letter and no digit."""
    return [[(left, top), (right, bottom)], [(right, top), (left, bottom)]]


def _box(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not visible"
    return box


def _to_page(box: dict, point: tuple[float, float]) -> tuple[float, float]:
    return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]


def _densify(points: list[tuple[float, float]], step_px: float) -> list[tuple[float, float]]:
    """Points every `step_px` pixels along the polyline, like a real pen's samples."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = max(1, int(math.hypot(x1 - x0, y1 - y0) / step_px))
        out += [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps + 1)]
    return out


def draw_with_mouse(page, strokes: list[Stroke], selector: str = "#canvas") -> None:
    """Real mouse strokes: move, press, move in small steps, release."""
    box = _box(page, selector)
    for stroke in strokes:
        points = _densify([_to_page(box, p) for p in stroke], step_px=6)
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y)
        page.mouse.up()


def draw_with_touch(cdp, page, strokes: list[Stroke], selector: str = "#canvas") -> None:
    """One-finger strokes through Chrome DevTools (sync Playwright has no touch-move API).

    The browser turns these into touch *and* pointer events (pointerType "touch"), and
    runs its own gesture handling on them: a page without `touch-action: none` scrolls.
    """
    box = _box(page, selector)
    for stroke in strokes:
        points = _densify([_to_page(box, p) for p in stroke], step_px=8)
        x, y = points[0]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for x, y in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
