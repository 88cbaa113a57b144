"""Reading order of boxes (panels on a page, balloons in a panel) by recursive projection cuts.

Rows are cut first (top to bottom), then columns (left to right, or right to left for manga), then rows
again inside each column; boxes overlapping by less than `tolerance` of the smaller one still count as
separate rows or columns. A box lying inside another (an inset) is read right after its container.
"""

from __future__ import annotations

from collections.abc import Sequence

Box = Sequence[float]  # x, y, w, h


def reading_order(boxes: Sequence[Box], rtl: bool = False, tolerance: float = 0.25) -> list[int]:
    """Indices of `boxes` in reading order."""
    parents = {i: _container(boxes, i) for i in range(len(boxes))}
    top = [i for i in range(len(boxes)) if parents[i] is None]
    ordered: list[int] = []
    for i in _xy_order(top, boxes, rtl, tolerance, rows_first=True):
        ordered.append(i)
        children = [j for j, p in parents.items() if p == i]
        ordered += _xy_order(children, boxes, rtl, tolerance, rows_first=True)
    return ordered


def _container(boxes: Sequence[Box], i: int) -> int | None:
    """The smallest other box holding at least 85% of box i (and at least twice its area)."""
    x, y, w, h = boxes[i]
    best, best_area = None, float("inf")
    for j, (bx, by, bw, bh) in enumerate(boxes):
        if j == i or bw * bh < 2 * w * h:
            continue
        ix = max(0.0, min(x + w, bx + bw) - max(x, bx))
        iy = max(0.0, min(y + h, by + bh) - max(y, by))
        if ix * iy >= 0.85 * w * h and bw * bh < best_area:
            best, best_area = j, bw * bh
    return best


def _xy_order(idx: list[int], boxes: Sequence[Box], rtl: bool, tol: float, rows_first: bool) -> list[int]:
    if len(idx) <= 1:
        return list(idx)
    for axis in (1, 0) if rows_first else (0, 1):
        groups = _cut(idx, boxes, axis, tol)
        if len(groups) > 1:
            if axis == 0 and rtl:
                groups.reverse()
            return [i for g in groups for i in _xy_order(g, boxes, rtl, tol, rows_first=axis == 0)]
    # tangled boxes: top first, then by the reading side
    return sorted(idx, key=lambda i: (boxes[i][1], -boxes[i][0] if rtl else boxes[i][0]))


def _cut(idx: list[int], boxes: Sequence[Box], axis: int, tol: float) -> list[list[int]]:
    """Group boxes into runs along `axis` (0 = x, 1 = y) separated by gaps or small overlaps."""
    ordered = sorted(idx, key=lambda i: boxes[i][axis])
    groups: list[list[int]] = [[ordered[0]]]
    end = boxes[ordered[0]][axis] + boxes[ordered[0]][axis + 2]
    smallest = boxes[ordered[0]][axis + 2]
    for i in ordered[1:]:
        start, size = boxes[i][axis], boxes[i][axis + 2]
        if start >= end - tol * min(size, smallest):
            groups.append([i])
            end, smallest = start + size, size
        else:
            groups[-1].append(i)
            end, smallest = max(end, start + size), min(smallest, size)
    return groups
