"""Printed structure is not ink: ruled and squared paper, boxes and comb fields.

Pure functions on a window of ink contrast (`preprocess`: uint8, brighter =
more ink, paper 0). A printed line is long, thin and straight: it covers most
of the image's width or height (`_LONG`) and may be tilted a little
(`_lines.find_lines`). Handwriting has long straight strokes too (a 1, the bar
of a 7 or a 4), so a long line is printed only when it is also

- ruling: three or more parallel lines from edge to edge of the image, or two
  each way (squared paper); a row of 1s or a drawn 7 stops short of the edges;
- a single line from edge to edge much thinner than the handwriting, or a
  horizontal one more than twice as long as the writing is tall (under a row
  of digits: no digit has such a stroke);
- a box: two horizontal lines joined by two or more vertical ones as thin (box
  sides, the walls of a comb field), and the short ticks of one length
  standing in a row on a comb's baseline.

A printed line's pixels are cleared except where a stroke crosses it (ink on
both sides, joined straight across when the stroke's direction leads there),
and except where a darker pen lies over a light (drop-out colour) line.
"""

from __future__ import annotations

import numpy as np

from digitrec._lines import Line, find_lines, gather, runs, same_line

__all__ = ["printed_lines"]

_LONG = 0.6  # a printed line covers this share of the image's width (height, for vertical lines)
_THIN = 0.6  # a line at most this share of the handwriting's stroke width is printed
_AS_THICK = 0.9  # a line far longer than the writing, up to this share of it
_TICK = 0.6  # a tick on a printed line is shorter than this share of the handwriting's height


def printed_lines(
    contrast: np.ndarray, low: float, high: float, image_shape: tuple[int, int], origin: tuple[int, int] = (0, 0)
) -> np.ndarray | None:
    """Pixels of printed lines in a window of ink contrast (bool, the window's shape); None: none.

    Pixels above `low` may be ink, above `high` surely are; `image_shape` is the
    whole image's, which printed lines span most of, and `origin` the (row,
    column) of the window's first pixel in it.
    """
    height, width = image_shape
    # Vertical lines count only from edge to edge (box sides are looked for once two
    # horizontal lines are found), so most drawings on a canvas pay for no search at all.
    wide = contrast.shape[1] >= _LONG * width
    tall = contrast.shape[0] >= height - 2 * _slack(height)
    if not (tall or wide):
        return None  # the ink spans too little of the image for any printed line: a drawing
    ink = contrast > low
    across = find_lines(ink, _LONG * width) if wide else []
    down = find_lines(ink.T, _LONG * height) if tall else []
    if not across and not down:
        return None
    # Printed lines share a pen: long strokes much thicker than the thinnest line are handwriting.
    thinnest = min(line.thickness for line in across + down)
    across = [line for line in across if line.thickness <= 2 * thinnest + 2]
    down = [line for line in down if line.thickness <= 2 * thinnest + 2]
    stroke, writing_height = _handwriting(contrast > 0.5 * (low + high), across, down)
    edge_across = [line for line in across if _spans(line, origin[1], width)]
    edge_down = [line for line in down if _spans(line, origin[0], height)]
    grid = len(edge_across) >= 2 and len(edge_down) >= 2
    across_printed = _printed(across, edge_across, grid, stroke, writing_height)
    down_printed = _printed(down, edge_down, grid, stroke, None)
    down_printed += [m for m in _margins(across_printed, edge_across, edge_down) if all(m is not d for d in down_printed)]
    boxed, walls = _boxes(ink, across, down_printed)
    across_printed += [line for line in boxed if all(line is not p for p in across_printed)]
    down_printed += walls
    if not across_printed and not down_printed:
        return None
    strokes = ink & ~_cores(ink.shape, across_printed, down_printed)  # ink that is not a printed line
    cleared = np.zeros_like(ink)
    for line in across_printed:
        cleared |= _cleared(contrast, strokes, line)
        cleared |= _ticks(strokes, line, _TICK * writing_height)
    for line in down_printed:
        cleared |= _cleared(contrast.T, strokes.T, line).T
    return cleared


def _printed(
    lines: list[Line], edge_to_edge: list[Line], grid: bool, stroke: float | None, writing: float | None
) -> list[Line]:
    """The long lines that are printed: ruling, a thin line across, or one far longer than the writing is tall.

    Ruling is three or more parallel lines from edge to edge of the image (a row
    of 1s, a 7's bar in a drawing stop short of the edges; two may be the bars of
    a 2), or two each way (squared paper). A single line from edge to edge is
    printed when much thinner than the handwriting. A horizontal line more than
    twice as long as the writing is tall underlines several digits: no digit has
    such a stroke.
    """
    if len(edge_to_edge) >= 3 or grid:
        ruling = edge_to_edge
    else:
        ruling = []
    if stroke is None:  # nothing but lines
        return ruling

    def printed(line: Line) -> bool:
        if any(line is r for r in ruling):
            return True
        beyond = writing is not None and np.count_nonzero(line.covered) > 2.0 * writing
        across = any(line is e for e in edge_to_edge)
        if line.thickness <= _THIN * stroke:
            return beyond or across
        return beyond and line.thickness <= _AS_THICK * stroke

    return [line for line in lines if printed(line)]


def _margins(ruled: list[Line], edge_across: list[Line], edge_down: list[Line]) -> list[Line]:
    """On a ruled page (two or more printed lines across it), vertical lines from edge to edge in the
    same pen: a notebook's margin line, one of a kind, which ruling or squares would not explain."""
    rules = [line for line in ruled if any(line is e for e in edge_across)]
    if len(rules) < 2:
        return []
    pen = max(line.thickness for line in rules)
    return [line for line in edge_down if line.thickness <= 2 * pen + 2]


def _spans(line: Line, start: int, size: int) -> bool:
    """Whether a line's ink reaches (nearly) both edges of the image, `size` long, from `start` in it."""
    covered = np.flatnonzero(line.covered) + start
    return bool(covered[0] <= _slack(size) and covered[-1] >= size - 1 - _slack(size))


def _slack(size: int) -> float:
    """How far short of an edge of the image, `size` long, a line from edge to edge may stop (a margin)."""
    return 0.05 * size + 2


def _boxes(ink: np.ndarray, across: list[Line], down: list[Line]) -> tuple[list[Line], list[Line]]:
    """Boxes and comb fields: pairs of horizontal lines joined by two or more vertical ones as thin.

    Returns the horizontal lines that are box sides, and the vertical ones (box
    sides, comb walls) not already in `down`.
    """
    ordered = sorted(across, key=lambda line: line.offset)
    if len(ordered) < 2:
        return [], []
    thickest = max(line.thickness for line in ordered)
    pairs = [(u, v) for u, v in zip(ordered, ordered[1:]) if v.offset - u.offset >= 3 * thickest + 3]
    if not pairs:
        return [], []
    shortest = min(v.offset - u.offset for u, v in pairs)
    candidates = [w for w in find_lines(ink.T, 0.8 * shortest) if w.thickness <= 1.5 * thickest + 1]
    sides: list[Line] = []
    walls: list[Line] = []
    for upper, lower in pairs:
        joining = [w for w in candidates if _joins(w, upper, lower)]
        if len(joining) >= 2:
            sides += [line for line in (upper, lower) if not any(line is s for s in sides)]
            walls += [w for w in joining if not same_line(w, down + walls)]
    return sides, walls


def _joins(wall: Line, upper: Line, lower: Line) -> bool:
    """Whether a vertical line's ink reaches from one horizontal line to the other."""
    rows = np.flatnonzero(wall.covered)
    column = wall.offset  # transposed: its offset is its column at row 0
    reach = 2 * max(upper.thickness, lower.thickness) + 3
    top = upper.offset + upper.slope * column
    bottom = lower.offset + lower.slope * column
    return rows[0] <= top + reach and rows[-1] >= bottom - reach


def _handwriting(ink: np.ndarray, across: list[Line], down: list[Line]) -> tuple[float | None, float]:
    """Stroke width and height of the ink that is on none of the candidate lines (None: there is none)."""
    other = ink & ~_cores(ink.shape, across, down, with_band=True)
    area = int(np.count_nonzero(other))
    if area < 0.002 * ink.size:
        return None, 0.0
    count = np.count_nonzero
    outline = count(other[:, 1:] != other[:, :-1]) + count(other[1:] != other[:-1])
    # Rows holding the middle 98% of the ink: a speck of dust far off is not the writing.
    rows = np.cumsum(other.sum(axis=1))
    top, bottom = np.searchsorted(rows, [0.01 * area, 0.99 * area])
    # Area over half the outline, as preprocess._outline_stroke measures strokes.
    return 2.0 * area / max(outline * np.pi / 4.0, 1.0), float(bottom - top + 1)


def _cores(shape: tuple[int, int], across: list[Line], down: list[Line], with_band: bool = False) -> np.ndarray:
    """Bool image of the lines' own pixels (their core, or their whole band)."""
    on = np.zeros(shape, dtype=bool)
    for line in across:
        _mark(on, line, line.band if with_band else line.core)
    for line in down:
        _mark(on.T, line, line.band if with_band else line.core)
    return on


def _mark(on: np.ndarray, line: Line, rows: tuple[int, int]) -> None:
    offsets = np.arange(rows[0], rows[1])
    where = line.rows(offsets)
    columns = np.broadcast_to(np.arange(on.shape[1]), where.shape)
    inside = (where >= 0) & (where < on.shape[0])
    on[where[inside], columns[inside]] = True


def _cleared(contrast: np.ndarray, strokes: np.ndarray, line: Line) -> np.ndarray:
    """A printed line's pixels to clear: its band, except where a stroke crosses or a darker pen lies on it."""
    a, b = line.band
    where = line.rows(np.arange(a, b))  # (band rows, width)
    beyond = b - a + 1  # rows further out, where a crossing stroke shows its direction
    sides = gather(strokes, line.rows(np.array([a - 1 - beyond, a - 1, b, b + beyond])))
    crossed = _crossings(sides, b - a)
    levels = gather(contrast, where, fill=0).astype(np.float32)
    # The line's own contrast: per column clear of strokes its peak (the core's edges are soft).
    peaks = levels[line.core[0] - a : line.core[1] - a].max(axis=0)[~crossed.any(axis=0) & line.covered]
    own = float(np.median(peaks)) if peaks.size else 0.0
    pen = levels > own + max(32.0, 0.5 * own)  # a darker pen over a light (drop-out colour) line
    clear = ~crossed & ~pen
    out = np.zeros(contrast.shape, dtype=bool)
    columns = np.broadcast_to(np.arange(contrast.shape[1]), where.shape)
    inside = (where >= 0) & (where < contrast.shape[0]) & clear
    out[where[inside], columns[inside]] = True
    return out


def _crossings(sides: np.ndarray, rows: int) -> np.ndarray:
    """(rows, width) bool: where strokes cross a band `rows` high.

    `sides` holds four rows of stroke ink: further above the band, just above,
    just below, further below (each `rows` + 1 apart). Each run of ink just above
    is joined to the nearest run just below (and each below to the nearest
    above), straight across the band, when the stroke's direction on either
    side leads there: two digits that merely touch the line from either side
    stay apart. A stroke may cross as flat as 15 degrees (1 / tan 15 < 4).
    """
    crossed = np.zeros((rows, sides.shape[1]), dtype=bool)
    far_tops, tops, bottoms, far_bottoms = (runs(side) for side in sides)
    if not tops or not bottoms:
        return crossed
    step = rows + 1
    pairs = {(t, _nearest(t, bottoms)) for t in tops} | {(_nearest(u, tops), u) for u in bottoms}
    for top, bottom in pairs:
        shift = _centre(bottom) - _centre(top)  # across the band
        if abs(shift) > 4 * step or not _leads(top, far_tops, shift, bottom, far_bottoms, step):
            continue
        for row in range(rows):
            t = (row + 1) / step  # from the row above the band (0) to the row below it (1)
            start = round(top[0] + t * (bottom[0] - top[0]))
            stop = round(top[1] + t * (bottom[1] - top[1]))
            crossed[row, max(0, min(start, stop - 1)) : max(start + 1, stop)] = True
    return crossed


def _leads(top: tuple[int, int], far_tops: list, shift: float, bottom: tuple[int, int], far_bottoms: list,
           step: int) -> bool:  # fmt: skip
    """Whether a stroke's direction beyond the band, on either side, carries it `shift` across it."""
    slack = max(2.0, 0.5 * step) + 0.5 * max(top[1] - top[0], bottom[1] - bottom[0])
    directions = []
    if far_tops and abs(_centre(up := _nearest(top, far_tops)) - _centre(top)) <= 4 * step:
        directions.append(_centre(top) - _centre(up))
    if far_bottoms and abs(_centre(down := _nearest(bottom, far_bottoms)) - _centre(bottom)) <= 4 * step:
        directions.append(_centre(down) - _centre(bottom))
    if not directions:  # the stroke ends at the band both ways: only straight across
        return abs(shift) <= slack
    return any(abs(shift - d) <= slack for d in directions)


def _centre(run: tuple[int, int]) -> float:
    return 0.5 * (run[0] + run[1])


def _nearest(run: tuple[int, int], others: list[tuple[int, int]]) -> tuple[int, int]:
    centre = run[0] + run[1]
    return min(others, key=lambda other: abs(other[0] + other[1] - centre))


def _ticks(strokes: np.ndarray, line: Line, longest: float) -> np.ndarray:
    """A comb field's ticks: three or more short, thin marks of one length on a printed line.

    A digit's stem ending on a ruled line is as thin and short, but not one of a
    row of equals; one crossing the line goes on beyond it, as a tick does not.
    """
    out = np.zeros(strokes.shape, dtype=bool)
    a, b = line.band
    most = int(longest)
    if most < 3:
        return out
    touching = gather(strokes, line.rows(np.array([a - 1, b])))  # (above, below) the band
    for side, offsets in enumerate((np.arange(a - 1, a - 1 - most, -1), np.arange(b, b + most))):
        where = line.rows(offsets)
        run = np.cumprod(gather(strokes, where), axis=0).sum(axis=0)  # ink touching the line, per column
        across = touching[1 - side]
        marks = [
            (start, stop) for start, stop in runs(run >= 2)
            if stop - start <= 1.5 * line.thickness + 3
            and max(4, 2 * line.thickness + 2) <= run[start:stop].max() < most
            and not across[max(0, start - line.thickness - 2) : stop + line.thickness + 2].any()
        ]  # fmt: skip
        lengths = np.array([run[start:stop].max() for start, stop in marks])
        if lengths.size < 3:
            continue
        typical = float(np.median(lengths))
        for (start, stop), length in zip(marks, lengths):
            if abs(length - typical) <= 0.3 * typical:
                for x in range(start, stop):
                    rows = where[: run[x], x]
                    out[rows[(rows >= 0) & (rows < out.shape[0])], x] = True
    return out
