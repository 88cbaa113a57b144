"""The page-level text detector (PP-OCR detection packaged with rapidocr) and its wiring into transcribe:
lettering found with no balloon outline, no text on hatching, the setting and its override."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tools.errors import UnknownModelError
from tools.ocr.engine import OcrEngine, OcrLine, OcrResult
from tools.ocr.text_regions import (
    TextLine,
    configured_text_detector,
    get_text_detector,
    looks_like_lettering,
    x_height_only,
)
from tools.ocr.transcribe import read_located, transcribe_page
from tools.settings import load_settings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _open_balloon_page() -> Image.Image:
    """A framed panel of mid-gray art holding one tinted balloon with no outline, over dense hatching:
    the outline finder sees no balloon (the tint is darker than the paper), the text detector should."""
    image = Image.new("RGB", (760, 1000), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle([30, 30, 730, 970], fill=(110, 110, 110), outline=(0, 0, 0), width=4)
    draw.ellipse([150, 80, 610, 300], fill=(236, 224, 160))
    font = ImageFont.truetype(str(FONT), 30)
    for n, line in enumerate(["DOVE VAI, TEX?", "LA PISTA È FREDDA."]):
        width = draw.textlength(line, font=font)
        draw.text((380 - width / 2, 140 + 42 * n), line, font=font, fill=(15, 15, 15))
    for x in range(34, 700, 8):
        draw.line([x, 520, x + 30, 966], fill=(0, 0, 0), width=2)
    return image


@pytest.mark.real
def test_detector_finds_the_lettering_and_nothing_on_hatching() -> None:
    detector = get_text_detector("rapidocr")
    assert detector is not None
    lines = detector.detect(_open_balloon_page())
    assert len(lines) == 2
    assert all(80 <= line.box[1] <= 300 for line in lines)
    assert "TEX" in lines[0].text.upper()


@pytest.mark.real
def test_transcribe_reads_a_balloon_without_outline_only_with_the_detector(tmp_path: Path) -> None:
    page = tmp_path / "page.png"
    _open_balloon_page().save(page)
    settings = load_settings(home=tmp_path)
    assert transcribe_page(page, settings, "tesseract", speakers=False, text_detector="none") == []
    items = transcribe_page(page, settings, "tesseract", speakers=False, text_detector="rapidocr")
    assert len(items) == 1 and items[0].source == "text"
    x, y, w, h = items[0].bbox
    assert 140 <= x <= 260 and 70 <= y <= 140 and x + w <= 620 and y + h <= 310
    assert "DOVE VAI" in items[0].text.upper() and "FREDDA" in items[0].text.upper()


def test_text_detector_setting_and_its_override(monkeypatch: pytest.MonkeyPatch) -> None:
    assert configured_text_detector(load_settings()) == "rapidocr"
    monkeypatch.setenv("NUVOLA_TEXT_DETECTOR", "none")
    assert configured_text_detector(load_settings()) == "none"
    assert get_text_detector("none") is None
    with pytest.raises(UnknownModelError, match="unknown text detector"):
        get_text_detector("east")


class _ScriptedEngine(OcrEngine):
    """Reads every crop as the same lines (to test which reading wins)."""

    name = "scripted"

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.crops: list[tuple[int, int]] = []

    def read(self, crop: Image.Image, kind: str = "speech") -> OcrResult:  # type: ignore[override]
        self.crops.append(crop.size)
        return OcrResult([OcrLine(text, 0.99) for text in self.lines], self.name)


def test_the_reading_with_more_italian_words_wins() -> None:
    page = Image.new("RGB", (400, 300), "white")
    detected = [TextLine((100, 100, 120, 20), 0.97, "sì..."), TextLine((90, 124, 140, 22), 0.99, "perfetto!")]
    wrong = _ScriptedEngine(["a)"])  # a tinted balloon the engine could not read
    text, lines, _, engine = read_located(wrong, page, (60, 80, 220, 100), "speech", detected)
    assert (text, lines, engine) == ("sì... perfetto!", ["sì...", "perfetto!"], "text-detector")
    assert wrong.crops == [(140 + 2 * 6 + 6, 46 + 2 * 6 + 6)]  # the lettering's box, not the balloon's
    accents = _ScriptedEngine(["ne prendero solo", "quattro"])
    detected = [TextLine((0, 0, 90, 20), 0.9, "ne prenderò solo"), TextLine((0, 22, 60, 20), 0.9, "quattro")]
    assert read_located(accents, page, (0, 0, 100, 50), "speech", detected)[0] == "ne prenderò solo quattro"
    same = _ScriptedEngine(["GRRR..."])
    detected = [TextLine((0, 0, 90, 20), 0.9, "GRRR.")]  # no more real words either way: the engine's
    assert read_located(same, page, (0, 0, 100, 50), "speech", detected)[2:] == (0.99, "scripted")
    assert read_located(same, page, (0, 0, 100, 50), "speech", [])[0] == "GRRR..."


def test_low_resolution_pages_are_enlarged_for_detection_and_large_scans_are_not() -> None:
    from tools.ocr.text_regions import detection_scale

    assert detection_scale(992, 1401) == pytest.approx(1240 / 992)  # a 120 dpi A4 page
    assert detection_scale(1890, 2480) == 1.0  # a 300 dpi Bonelli page
    assert detection_scale(1000, 600) == pytest.approx(2)  # a small web scan of a panel: bounded by 2000 px
    assert detection_scale(1900, 760) == 1.0  # a wide 300 dpi panel: its long side leaves no room
    assert detection_scale(3000, 900) == 1.0
    assert detection_scale(1219, 1600) == 1.0  # would grow by 1.7 %: no second pass


def test_x_height_only_readings() -> None:
    assert x_height_only("...mmm") and x_height_only("ora, no") and x_height_only("uno…")
    assert not x_height_only("devo") and not x_height_only("Oh!") and not x_height_only("NO")
    assert not x_height_only("...") and not x_height_only("sì") and not x_height_only("")


def test_a_screen_read_as_one_repeated_digit_is_not_lettering() -> None:
    assert not looks_like_lettering("888888888") and not looks_like_lettering("0000 00")
    assert looks_like_lettering("1000 DOLLARI") and looks_like_lettering("1000")
    assert (
        looks_like_lettering("NOOOOO!") and looks_like_lettering("...") and looks_like_lettering("50 000Ko")
    )
