"""Long straight lines in a bool image: printed rules, box sides, or long strokes (for `rules`).

Found by row sums of the ink along a few slopes (a photographed page is
tilted a little) on a max-pooled copy, where a line one pixel wide survives,
then fitted and measured at full resolution along the line itself. Lines run
along the image's rows; pass the transpose for its columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitrec.imageops import block_any

__all__ = ["Line", "find_lines", "gather", "runs", "same_line"]

MAX_SLOPE = 0.035  # about 2 degrees: the tilt of a photographed page
THICKEST = 0.05  # a line is at most this share of the image across it (or 5 px); thicker ink is a blob
_SEARCH_SIDE = 256  # lines are looked for on a max-pooled copy of at most this side


@dataclass(frozen=True)
class Line:
    """A long straight line in an image's rows (or, transposed, its columns)."""

    slope: float  # rows per column
    offset: float  # the line's centre row at column 0
    core: tuple[int, int]  # rows [a, b) around the centre, relative to it: the line itself
    band: tuple[int, int]  # ...and with its soft edges: what is cleared
    covered: np.ndarray  # (width,) bool: columns where the line has ink

    @property
    def thickness(self) -> int:
        return self.core[1] - self.core[0]

    def rows(self, offsets: np.ndarray) -> np.ndarray:
        """(len(offsets), width) row of each offset from the centre, per column (may leave the image)."""
        centre = np.rint(self.offset + self.slope * np.arange(self.covered.size)).astype(np.intp)
        return centre[None, :] + offsets[:, None]


def find_lines(ink: np.ndarray, length: float) -> list[Line]:
    """Straight lines along the rows of `ink` covering at least `length` columns, at most MAX_SLOPE tilted."""
    factor = max(1, -(-max(ink.shape) // _SEARCH_SIDE))
    small = block_any(ink, factor)
    rows, cols = np.nonzero(small)
    if rows.size == 0:
        return []
    steps = int(MAX_SLOPE * small.shape[1])  # a row's drift over the width, in whole pixels
    slopes = np.arange(-steps, steps + 1) / small.shape[1]
    slopes = slopes[np.argsort(np.abs(slopes), kind="stable")]  # ties go to the least tilt
    # Row sums along every slope at once: (slopes, rows) columns covered per sheared row.
    reach = steps + 1
    bins = small.shape[0] + 2 * reach
    sheared = rows[None, :] - np.rint(slopes[:, None] * cols[None, :]).astype(np.intp) + reach
    sheared += np.arange(slopes.size)[:, None] * bins
    profiles = np.bincount(sheared.ravel(), minlength=slopes.size * bins).reshape(slopes.size, bins)
    least = 0.8 * length / factor
    thickest = max(5, THICKEST * ink.shape[0]) / factor + 2  # in rows of the small copy
    # The page's lines are parallel: take the slope where thin rows of ink (not bands of
    # handwriting) cover the most columns.
    groups = [_peaks(profile, least, thickest) for profile in profiles]
    scores = [sum(int(profile[a:b].max()) for a, b in peaks) for profile, peaks in zip(profiles, groups)]
    best = int(np.argmax(scores))
    found: list[Line] = []
    for start, stop in groups[best]:
        line = _measured(ink, float(slopes[best]), factor * (start - reach), factor * (stop - reach), factor, length)
        if line is not None and not same_line(line, found):
            found.append(line)
    return found


def _peaks(profile: np.ndarray, least: float, thickest: float) -> list[tuple[int, int]]:
    """[a, b) of each thin peak of a row profile: at least `least`, standing out from the rows beside it.

    A line next to a row of digits, whose rows may cover as many columns once
    max-pooled, is the rows around its peak above 75% of it, not all of them.
    """
    found: list[tuple[int, int]] = []
    padded = np.concatenate([[0], profile, [0]])
    summits = np.flatnonzero((profile >= least) & (profile >= padded[:-2]) & (profile >= padded[2:]))
    for top in summits[np.argsort(-profile[summits], kind="stable")]:
        if any(a <= top < b for a, b in found):
            continue
        a, b = _around(profile, int(top), max(least, 0.75 * profile[top]))
        if any(a < d and c < b for c, d in found):
            continue  # the flank of a peak already taken
        found.append((a, b))
    return sorted((a, b) for a, b in found if b - a <= thickest)


def _measured(ink: np.ndarray, slope: float, top: int, bottom: int, factor: int, length: float) -> Line | None:
    """The line found between rows top and bottom (at column 0, along `slope`), fitted at full resolution.

    Fitted twice: to the ink around the guess, then to the ink of the line
    found there alone, so that digits standing on it do not pull it aside.
    None when it is no printed line after all (see _sized).
    """
    half = (bottom - top) // 2 + 2 * factor + 2
    guess = Line(slope, float((top + bottom) // 2), (0, 1), (0, 1), np.zeros(ink.shape[1], bool))
    fitted = _refit(ink, guess, half, length)
    first = None if fitted is None else _sized(ink, *fitted, half, length)
    if first is None:
        return None
    centre = 0.5 * (first.core[0] + first.core[1] - 1)
    centred = Line(first.slope, first.offset + centre, (0, 1), (0, 1), first.covered)
    fitted = _refit(ink, centred, first.thickness // 2 + 1, length)
    second = None if fitted is None else _sized(ink, *fitted, first.thickness // 2 + 2, length)
    return second or first


def _refit(ink: np.ndarray, line: Line, half: int, length: float) -> tuple[Line, np.ndarray] | None:
    """`line` fitted to the ink within `half` rows of it, and the columns it was fitted on.

    Per column, the centre of its ink near the line; columns where a stroke
    crosses (more ink than most) weigh nothing. None: too few columns to fit,
    or the fit is tilted more than a page's lines are.
    """
    offsets = np.arange(-half, half + 1)
    strip = gather(ink, line.rows(offsets))  # (rows, width) along the line
    counts = strip.sum(axis=0)
    if not counts.any():
        return None
    # The line's own cross-section is the least ink a column has there (a fifth of them:
    # a thick digit may lie along much of a line).
    columns = np.flatnonzero((counts > 0) & (counts <= 1.5 * np.percentile(counts[counts > 0], 20) + 1))
    least = max(8, 0.2 * length)
    if columns.size < least:
        return None
    centres = (offsets @ strip[:, columns]) / counts[columns]
    slope, offset = _fit(columns, centres)
    keep = np.abs(centres - (offset + slope * columns)) <= 1.5
    if keep.sum() >= least:
        slope, offset = _fit(columns[keep], centres[keep])
    if abs(line.slope + slope) > 1.5 * MAX_SLOPE:
        return None  # a slanted stroke (a 7's stem) that a straight run of ink led here, not a printed line
    return Line(line.slope + slope, line.offset + offset, (0, 1), (0, 1), line.covered), columns


def _sized(ink: np.ndarray, line: Line, columns: np.ndarray, search: int, length: float) -> Line | None:
    """The line's core and band (rows around its fit) from its cross-section in `columns`.

    None when it is no printed line after all: covering too few columns, or
    thick for the image, or with ink going on on both sides (inside a blob).
    """
    thickest = max(5, int(THICKEST * ink.shape[0]))
    reach = search + 2 * thickest + 4
    strip = gather(ink, line.rows(np.arange(-reach, reach + 1)))
    profile = strip[:, columns].sum(axis=1)  # where no stroke crosses: the line's own cross-section
    centre = reach - search + int(np.argmax(profile[reach - search : reach + search + 1]))
    core = _around(profile, centre, 0.5 * profile[centre])
    # A line is thin for the image, with paper on at least one side (digits may stand on
    # it, or hang from it): a band of ink that goes on both ways is inside a blob of handwriting.
    gap = core[1] - core[0] + 2
    if gap - 2 > thickest or min(profile[core[0] - gap], profile[core[1] - 1 + gap]) >= 0.5 * profile[centre]:
        return None
    band = _around(profile, centre, 0.1 * profile[centre])
    # Soft edges reach a pixel or two beyond the core; further out is ink beside the line (digits
    # standing on it), which the band must not take.
    band = (max(band[0], core[0] - 2), min(band[1], core[1] + 2))
    covered = strip[band[0] : band[1]].any(axis=0)  # the band: a line half a pixel off its fit wavers
    if covered.sum() < length:
        return None
    return Line(line.slope, line.offset, (core[0] - reach, core[1] - reach), (band[0] - reach, band[1] - reach), covered)


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through the points."""
    x_mean, y_mean = float(x.mean()), float(y.mean())
    spread = float(((x - x_mean) ** 2).sum())
    slope = float(((x - x_mean) * (y - y_mean)).sum()) / spread if spread > 0 else 0.0
    return slope, y_mean - slope * x_mean


def _around(profile: np.ndarray, centre: int, level: float) -> tuple[int, int]:
    """[a, b): the run of `profile` at or above `level` that holds `centre`."""
    a, b = centre, centre + 1
    while a > 0 and profile[a - 1] >= level:
        a -= 1
    while b < profile.size and profile[b] >= level:
        b += 1
    return a, b


def same_line(line: Line, lines: list[Line]) -> bool:
    """Whether `line` is one of `lines` (found twice, or as a box side and as a rule)."""
    return any(abs(line.offset - other.offset) <= line.thickness + other.thickness for other in lines)


def gather(image: np.ndarray, rows: np.ndarray, fill: int | bool = False) -> np.ndarray:
    """image[rows[i, x], x] for every offset i and column x; `fill` outside the image."""
    height, width = image.shape
    inside = (rows >= 0) & (rows < height)
    flat = np.clip(rows, 0, height - 1) * width + np.arange(width)
    out = np.take(np.ascontiguousarray(image).ravel(), flat)
    out[~inside] = fill
    return out


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))
