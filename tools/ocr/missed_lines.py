"""Lines of a balloon that the page-level text detector did not propose.

    missed_lines(page, balloon_box, held, page_lines, recognise) -> [TextLine, ...]

The detector proposes whole lines well but drops short ones of few glyphs (`SÌ...` above `PERFETTO!`, `EH?`)
on low-resolution and black-and-white scans, so a balloon it found would be read without them. Here the
ink of the balloon is looked at directly: dark marks of lettering size that no detected line covers, set
in a row on the balloon's paper right above or below one of its detected lines (at most JOIN_GAP line
heights away, sharing its alignment), become a pseudo-line that the detector's recogniser reads on its own
crop. A row is kept only when that reading is confident and looks like lettering (the detector's own test),
so texture and art inside a balloon's bounding box are not read as words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
from PIL import Image

from tools.ocr.text_regions import MIN_SCORE, TextLine, looks_like_lettering
from tools.panels.balloons import JOIN_GAP, covers, misaligned

Box = tuple[int, int, int, int]
Recogniser = Callable[[np.ndarray], tuple[str, float]]

MAX_DARK = 150  # gray level: lettering is darker than this even on a grey photocopy
GLYPH = (0.06, 1.3)  # a mark's height, in line heights: from a dot to an accented capital
MAX_WIDTH = 2.5  # line heights: wider marks are outlines, tails, art strokes
ROW_GAP = 1.0  # line heights: marks of one row are at most this far apart
CLEAR = 0.25  # line heights of paper round a row that hold no other mark


def _marks(page: Image.Image, box: Box) -> np.ndarray:
    """x, y, w, h, area (page pixels) of the dark marks inside a balloon's box (row 0: the paper)."""
    x, y, w, h = box
    region = np.asarray(page.crop((x, y, x + w, y + h)).convert("L"))
    level, _ = cv2.threshold(region, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    dark = (region < min(MAX_DARK, level)).astype(np.uint8)
    stats = np.asarray(cv2.connectedComponentsWithStats(dark, connectivity=8)[2]).copy()
    stats[:, 0] += x
    stats[:, 1] += y
    return stats


def _glyphs(stats: np.ndarray, box: Box, lines: Sequence[Box], height: float) -> list[int]:
    """Marks of lettering size, inside the box (not touching its edge: outlines), covered by no line."""
    x, y, w, h = box
    keep = []
    for i in range(1, len(stats)):
        sx, sy, sw, sh, _ = stats[i]
        if sx <= x or sy <= y or sx + sw >= x + w or sy + sh >= y + h:
            continue
        if not GLYPH[0] * height <= sh <= GLYPH[1] * height or sw > MAX_WIDTH * height:
            continue
        centre = (sx + sw / 2, sy + sh / 2)
        if not any(covers(line, centre) for line in lines):
            keep.append(i)
    return keep


def _rows(stats: np.ndarray, marks: list[int], height: float) -> list[list[int]]:
    """Marks joined into rows: vertical centres within half a line height, gaps at most ROW_GAP."""
    order = sorted(marks, key=lambda i: stats[i, 0])
    rows: list[list[int]] = []
    for i in order:
        cy = stats[i, 1] + stats[i, 3] / 2
        for row in rows:
            last = stats[row[-1]]
            row_cy = np.mean([stats[j, 1] + stats[j, 3] / 2 for j in row])
            if abs(cy - row_cy) <= 0.5 * height and stats[i, 0] - (last[0] + last[2]) <= ROW_GAP * height:
                row.append(i)
                break
        else:
            rows.append([i])
    return _with_accents(
        [row for row in rows if len(row) >= 2], [r[0] for r in rows if len(r) == 1], stats, height
    )


def _with_accents(
    rows: list[list[int]], single: list[int], stats: np.ndarray, height: float
) -> list[list[int]]:
    """Rows with the lone marks right above or below one of their marks added (accents: the grave of `Ì`)."""
    for i in single:
        sx, sy, sw, sh, _ = stats[i]
        for row in rows:
            if any(
                sx < stats[j, 0] + stats[j, 2]
                and stats[j, 0] < sx + sw
                and max(stats[j, 1] - (sy + sh), sy - (stats[j, 1] + stats[j, 3])) <= 0.3 * height
                for j in row
            ):
                row.append(i)
                break
    return rows


def _row_box(stats: np.ndarray, row: list[int], height: float) -> Box:
    """The pseudo-line of a row: its marks' span with 0.15 line heights of paper round it."""
    x0 = int(min(stats[i, 0] for i in row))
    x1 = int(max(stats[i, 0] + stats[i, 2] for i in row))
    y0 = int(min(stats[i, 1] for i in row))
    y1 = int(max(stats[i, 1] + stats[i, 3] for i in row))
    pad = int(round(0.15 * height))
    return (x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)


def _beside_a_line(row: Box, held: Sequence[Box], height: float) -> bool:
    """True when the row sits right above or below one of the balloon's lines, sharing its alignment."""
    for line in held:
        gap = max(line[1] - (row[1] + row[3]), row[1] - (line[1] + line[3]))
        overlap = min(row[0] + row[2], line[0] + line[2]) - max(row[0], line[0])
        if gap <= JOIN_GAP * height and overlap > 0 and not misaligned(row, line):
            return True
    return False


def _isolated(stats: np.ndarray, row: list[int], others: list[int], box: Box, height: float) -> bool:
    """True when none of the other uncovered lettering-sized marks (`others`: art, texture) lies within
    CLEAR line heights of the row."""
    clear = CLEAR * height
    x0, y0 = box[0] - clear, box[1] - clear
    x1, y1 = box[0] + box[2] + clear, box[1] + box[3] + clear
    own = set(row)
    for i in others:
        sx, sy, sw, sh, _ = stats[i]
        if i not in own and sx < x1 and x0 < sx + sw and sy < y1 and y0 < sy + sh:
            return False
    return True


def missed_rows(
    page: Image.Image, box: Sequence[int], held: Sequence[Box], lines: Sequence[Box]
) -> list[Box]:
    """Pseudo-line boxes of lettering rows inside a balloon (`box`) that no detected line (`lines`, the
    page's) covers, each beside one of the balloon's own detected lines (`held`)."""
    if not held:
        return []
    x, y, w, h = (int(v) for v in box)
    x, y = max(0, x), max(0, y)
    w, h = min(page.width - x, w), min(page.height - y, h)
    if w < 4 or h < 4:
        return []
    height = float(np.median([line[3] for line in held]))
    stats = _marks(page, (x, y, w, h))
    glyphs = _glyphs(stats, (x, y, w, h), lines, height)
    out = []
    for row in _rows(stats, glyphs, height):
        pseudo = _row_box(stats, row, height)
        if _beside_a_line(pseudo, held, height) and _isolated(stats, row, glyphs, pseudo, height):
            out.append(pseudo)
    return out


def missed_lines(
    page: Image.Image,
    box: Sequence[int],
    held: Sequence[TextLine],
    lines: Sequence[Box],
    recognise: Recogniser,
) -> list[TextLine]:
    """The balloon's missed rows (`missed_rows`) read by `recognise` (crop -> text, score), kept when the
    reading is confident (MIN_SCORE) and looks like lettering; top to bottom with the held lines."""
    found = []
    for row in missed_rows(page, box, [line.box for line in held], lines):
        x0, y0 = max(0, row[0]), max(0, row[1])
        x1, y1 = min(page.width, row[0] + row[2]), min(page.height, row[1] + row[3])
        rgb = np.asarray(page.crop((x0, y0, x1, y1)).convert("RGB"))
        text, score = recognise(rgb)
        text = text.strip()
        if score >= MIN_SCORE and looks_like_lettering(text):
            found.append(TextLine((x0, y0, x1 - x0, y1 - y0), float(score), text, crop=rgb))
    return sorted([*held, *found], key=lambda line: (line.box[1], line.box[0]))
