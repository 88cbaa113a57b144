"""Stepped gutters: a gutter between tiers whose panels do not line up (a tall panel beside two short
ones, tiers drawn by hand a little out of true), so no straight blank row crosses the page.

The gutter is found as the cheapest path across the layout mask from one side to the other: it runs
along blank rows and may step up or down only through a blank column (the gutter between two panels of a
tier), each step paying a penalty, each ink pixel crossed (a balloon over the gutter) costing one. The
path is a gutter only when, along each straight stretch, the blank run around it is gutter-narrow and
bounded by straight edges on both sides (the bottom frame of the panels above, the top frame of those
below); inside a panel the blank around a path is wide or ragged. The two sides of the path are then cut
apart with their own masks, so each is cut further on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEP_COST = 2.0
"""A step costs as much as crossing this many ink pixels: about a frame line's width at layout size, so a
path steps round a panel rather than run through it across two of its sides."""
MAX_INK = 0.2
"""A stepped gutter may cross this share of its length in ink (balloons, heads across it)."""
STRAIGHT_SHARE = 0.75
"""Share of a stretch's positions where the blank run is gutter-narrow with straight edges."""
MAX_STEPS = 3
"""Steps a gutter between two tiers may take (one per panel of a tier, at most)."""


@dataclass(frozen=True)
class SteppedGutter:
    """A path across a region: `path[i]` is the first row of the lower side in column i."""

    path: np.ndarray
    steps: int
    """Moves of the path larger than a frame's wobble."""
    ink: int


def find_stepped(
    lines: np.ndarray, margin: int, gap: tuple[int, int], tolerance: int, max_step: int
) -> SteppedGutter | None:
    """The stepped gutter across the layout mask `lines` from its left side to its right, or None.
    `margin`: how far from the top and the bottom the path must stay (room for a panel); `gap`: the
    narrowest and widest blank run a gutter is; `tolerance`: how far a frame edge may wander along a
    stretch; `max_step`: the largest step."""
    height, length = lines.shape
    if height <= 2 * margin or length < 8:
        return None
    found = _cheapest_path(lines, margin, STEP_COST)
    if found is None:
        return None
    path, ink = found
    if np.abs(np.diff(path)).max(initial=0) > max_step:
        return None
    stretches = _stretches(path, tolerance)
    out_of_line = len(stretches) > 1 or int(np.ptp(path)) > tolerance  # else a straight gutter's business
    if not out_of_line or len(stretches) > MAX_STEPS + 1 or ink > MAX_INK * length:
        return None
    if _framed_at_both_ends(lines, path):
        return None
    if not all(_gutter_like(lines, path, a, b, gap, tolerance) for a, b in stretches):
        return None
    return SteppedGutter(path, len(stretches) - 1, ink)


def _cheapest_path(lines: np.ndarray, margin: int, step_cost: float) -> tuple[np.ndarray, int] | None:
    """Dynamic programming over positions: (path, ink crossed) of the cheapest path, or None."""
    height, length = lines.shape
    ink = lines.astype(np.float64)
    allowed = np.zeros(height, dtype=bool)
    allowed[margin : height - margin] = True
    cost = np.where(allowed, ink[:, 0], np.inf)
    entered = np.empty((length, height), dtype=np.int32)  # the row each position's path arrived on
    entered[0] = np.arange(height)
    for i in range(1, length):
        cost, entered[i] = _step_within_blank(cost + ink[:, i], lines[:, i] == 0, allowed, step_cost)
    end = int(np.argmin(cost))
    if not np.isfinite(cost[end]):
        return None
    path = np.empty(length, dtype=np.int32)
    row = end
    for i in range(length - 1, -1, -1):
        path[i] = row
        row = int(entered[i, row])
    crossed = int(lines[path, np.arange(length)].sum())
    return path, crossed


def _step_within_blank(
    carried: np.ndarray, blank: np.ndarray, allowed: np.ndarray, step_cost: float
) -> tuple[np.ndarray, np.ndarray]:
    """At one position: each row may instead be reached by a step from the cheapest row of the same
    blank run for step_cost (an ink pixel is a run of its own). Returns (cost, the row arrived on)."""
    rows = np.arange(carried.size)
    opens = np.ones(carried.size, dtype=bool)
    opens[1:] = ~(blank[1:] & blank[:-1])  # a new run starts unless this and the row above are blank
    starts = np.flatnonzero(opens)
    run = np.cumsum(opens) - 1
    lowest = np.minimum.reduceat(carried, starts)[run]
    first = np.minimum.reduceat(np.where(carried == lowest, rows, carried.size), starts)[run]
    better = allowed & (lowest + step_cost < carried)
    return np.where(better, lowest + step_cost, carried), np.where(better, first, rows).astype(np.int32)


def _framed_at_both_ends(lines: np.ndarray, path: np.ndarray) -> bool:
    """True when the path crosses ink near both of its ends: a panel's own sides (its frame), so the path
    runs inside one panel (through a screen tone's blank rows), not between tiers, which are open at the
    ends."""
    end = max(2, round(0.03 * len(path)))
    crossed = lines[path, np.arange(len(path))].astype(bool)
    return bool(crossed[:end].any() and crossed[-end:].any())


def _stretches(path: np.ndarray, tolerance: int) -> list[tuple[int, int]]:
    """The stretches of a path between its steps, [start, stop): moves of more than `tolerance` (smaller
    ones follow a hand-inked frame's wobble)."""
    changes = np.flatnonzero(np.abs(np.diff(path)) > tolerance) + 1
    cuts = [0, *changes.tolist(), len(path)]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _gutter_like(
    lines: np.ndarray, path: np.ndarray, a: int, b: int, gap: tuple[int, int], tolerance: int
) -> bool:
    """True when along most of the stretch [a, b) the path lies in a blank run as wide as a gutter,
    whose two edges (the frames beside it) stay within `tolerance` of a straight line (which may slope a
    little: a tier ruled out of true). The stretch's ends, where it meets the gutters between panels of
    a tier (a step), do not count."""
    narrow, wide = gap
    inner = np.arange(a + wide, b - wide) if b - a > 4 * wide else np.arange(a, b)
    runs = np.array([_blank_run(lines[:, i], int(path[i])) for i in inner]).reshape(-1, 2)
    sizes = runs[:, 1] - runs[:, 0]
    kept = (narrow <= sizes) & (sizes <= wide) & (runs[:, 0] > 0) & (runs[:, 1] < lines.shape[0])
    if kept.sum() < STRAIGHT_SHARE * len(inner):
        return False
    where, edges = inner[kept], runs[kept]
    straight = _near_a_line(where, edges[:, 0], tolerance) & _near_a_line(where, edges[:, 1], tolerance)
    return bool(straight.sum() >= STRAIGHT_SHARE * len(inner))


def _near_a_line(where: np.ndarray, edge: np.ndarray, tolerance: int) -> np.ndarray:
    """Which points of an edge lie within `tolerance` of the straight line fitted to them."""
    if where.size < 2 or np.ptp(where) == 0:
        return np.abs(edge - np.median(edge)) <= tolerance
    slope, offset = np.polyfit(where.astype(np.float64), edge.astype(np.float64), 1)
    return np.abs(edge - (slope * where + offset)) <= tolerance


def _blank_run(column: np.ndarray, row: int) -> tuple[int, int]:
    """The blank run of a column holding `row` ((row, row) when the row is ink)."""
    if column[row]:
        return row, row
    ink = np.flatnonzero(column)
    above, below = ink[ink < row], ink[ink > row]
    return (int(above[-1]) + 1 if above.size else 0), (int(below[0]) if below.size else column.size)


def split_masks(
    mask: np.ndarray, box: tuple[int, int, int, int], gutter: SteppedGutter
) -> tuple[np.ndarray, np.ndarray]:
    """Two copies of `mask`, each with the other side of the gutter (inside `box`) blanked: (above, below)."""
    x, y, w, h = box
    above, below = mask.copy(), mask.copy()
    lower = np.arange(h)[:, None] >= gutter.path[None, :]
    above[y : y + h, x : x + w][lower] = 0
    below[y : y + h, x : x + w][~lower] = 0
    return above, below
