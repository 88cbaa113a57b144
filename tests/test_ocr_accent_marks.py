"""The accent of a line's opening `E`, put back from the ink (E and È are both words, so no lexicon can)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tools.ocr.accent_marks import accent_after_initial, restore_initial_accent
from tools.ocr.line_reading import line_crop
from tools.render.fonts import font_file


def _scanned_line(text: str, size: int, font: str = "ComicNeue-Bold") -> np.ndarray:
    """`text` lettered at `size` px on grey paper, softened and noisy; its line crop as the reader cuts it."""
    image = Image.new("L", (40 + size * 12, size * 3), 225)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(font_file(font)), size)
    draw.text((20, size), text, font=face, fill=30)
    left, top, right, bottom = draw.textbbox((20, size), text, font=face)
    gray = cv2.GaussianBlur(np.asarray(image, np.float32), (3, 3), 0.7)
    gray += np.random.default_rng(size).normal(0, 5, gray.shape)
    page = Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))
    return line_crop(page, (left, top, right - left, bottom - top))


@pytest.mark.parametrize("size", [11, 16, 28])
def test_a_lettered_apostrophe_or_accent_after_the_opening_e_is_seen(size: int) -> None:
    assert accent_after_initial(_scanned_line("E' INUTILE", size))  # Bonelli habit: apart or touching
    assert accent_after_initial(_scanned_line("E' TARDI", size))
    assert accent_after_initial(_scanned_line("È TARDI", size))  # an accent over it, joined when soft


@pytest.mark.parametrize("size", [11, 16, 28])
@pytest.mark.parametrize("font", ["ComicNeue-Bold", "DejaVuSans"])
def test_a_bare_e_stays_bare(size: int, font: str) -> None:
    for text in ("E INUTILE", "E ALLORA?", "E TU?", "E POI"):
        assert not accent_after_initial(_scanned_line(text, size, font)), text


def test_the_repair_touches_only_a_capital_line_opening_with_a_lone_e() -> None:
    marked = _scanned_line("E' INUTILE", 16)
    assert restore_initial_accent("E INUTILE", marked) == "È INUTILE"
    assert restore_initial_accent("ECCO", marked) == "ECCO"  # not a lone E
    assert restore_initial_accent("E poi dove vai", marked) == "E poi dove vai"  # not capital lettering
    assert restore_initial_accent("E INUTILE", _scanned_line("E INUTILE", 16)) == "E INUTILE"
