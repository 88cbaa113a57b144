"""Balloon candidates from light regions: odd shapes are refused, not crashed on (issue 15 regression)."""

from __future__ import annotations

import cv2
import numpy as np

from tools.panels.balloons import _candidate
from tools.panels.page import Page


def _labelled(region: np.ndarray) -> tuple[Page, np.ndarray, int, np.ndarray]:
    """A page whose ink is everything but `region`, and the region's label and stats."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=4)
    index = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    page = Page(original=np.zeros(region.shape, np.uint8))
    page.ink = (labels != index).astype(np.uint8)
    return page, labels, index, stats


def test_thin_bent_band_with_specks_is_no_balloon():
    """A thin light band between hatching strokes, bent, with specks in it: cutting its 'tail' off used to
    leave an empty body and `_candidate` raised "zero-size array to reduction operation minimum"."""
    region = np.zeros((400, 400), np.uint8)
    c, t = np.array([200.0, 200.0]), np.radians(7)
    d = np.array([np.cos(t), np.sin(t)]) * 100
    n = np.array([-d[1], d[0]]) / np.linalg.norm(d) * 10
    cv2.polylines(region, [np.array([c - d, c + n, c + d]).astype(np.int32)], False, 1, 4)
    ys, xs = np.nonzero(cv2.erode(region, np.ones((3, 3), np.uint8)))
    region[ys[::6], xs[::6]] = 0  # specks inside the band: the holes a balloon's lettering would make
    assert _candidate(*_labelled(region)) is None


def test_lettered_oval_is_still_a_balloon():
    """The control: a white oval with rows of glyph-sized marks inside is a speech balloon."""
    region = np.zeros((800, 600), np.uint8)
    cv2.ellipse(region, (300, 400), (150, 70), 0, 0, 360, 1, -1)
    widths = [10, 7, 12, 9, 14, 6, 11, 8, 13, 10, 7, 12]  # letters 12 px tall on common baselines
    for row in (375, 405):
        x = 200
        for width in widths:
            region[row : row + 12, x : x + width] = 0
            x += width + 4
    blob = _candidate(*_labelled(region))
    assert blob is not None and blob.kind == "speech"
    x, y, w, h = blob.box
    assert abs(x - 150) <= 6 and abs(y - 330) <= 6 and abs(w - 301) <= 12 and abs(h - 141) <= 12


def _lettered(draw, x: int, y: int, lines: list[str], align: str = "centre") -> list[tuple]:  # noqa: ANN001
    """Lines of 24 px capitals, centred on x (or flush left at x); their boxes as a text detector gives."""
    from PIL import ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 24)
    boxes = []
    for n, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        left = x - width / 2 if align == "centre" else x
        x0, t, r, b = draw.textbbox((left, y + n * 31), line, font=font)
        draw.text((left, y + n * 31), line, font=font, fill=(10, 10, 10))
        boxes.append((int(x0), int(t), int(r - x0), int(b - t)))
    return boxes


def test_joined_lobes_split_where_their_lines_stop_aligning():
    """Two lobes of a joined balloon, each lettered centred on its own lobe and offset from the other,
    are two balloons; a centred balloon of lines of any width, and a caption set flush left, stay one."""
    from PIL import Image, ImageDraw

    from tools.panels.balloons import balloons_from_text

    image = Image.new("RGB", (1000, 1200), (120, 90, 70))
    draw = ImageDraw.Draw(image)
    for oval in ((130, 60, 350, 185), (215, 125, 455, 250)):  # joined lobes: outlines, then one paper
        draw.ellipse(oval, fill="white", outline="black", width=3)
    for x0, y0, x1, y1 in ((130, 60, 350, 185), (215, 125, 455, 250)):
        draw.ellipse((x0 + 3, y0 + 3, x1 - 3, y1 - 3), fill="white")
    lobes = _lettered(draw, 240, 95, ["ALLA... ALLA", "VECCHIA"]) + _lettered(
        draw, 335, 155, ["MINIERA", "ESPERANZA!"]
    )
    draw.ellipse((110, 410, 530, 560), fill="white", outline="black", width=3)
    centred = _lettered(draw, 320, 440, ["UNA RIGA LUNGA LUNGA", "CORTA", "MEDIA RIGA"])
    draw.rectangle((600, 400, 940, 540), fill="white", outline="black", width=3)
    caption = _lettered(draw, 625, 425, ["INTANTO, AL FORTE", "DEFIANCE IL CAPITANO", "ASPETTA..."], "left")
    lines = lobes + centred + caption
    found = sorted(b.lines for b in balloons_from_text(image, lines))
    assert found == [(0, 1), (2, 3), (4, 5, 6), (7, 8, 9)]
