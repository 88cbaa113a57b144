"""Reading balloons line by line from the text detector's lines, and balloons holding only `...`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tools.errors import UnknownModelError
from tools.ocr.engine import OcrLine
from tools.ocr.line_reading import check_reader, pick_line, read_detected_lines, word_score
from tools.ocr.text_regions import TextLine
from tools.panels.balloons import balloons_from_text
from tools.panels.ellipsis import ellipsis_lines
from tools.settings import load_settings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _letter(draw: ImageDraw.ImageDraw, x: int, y: int, lines: list[str], size: int = 24) -> list[tuple]:
    font = ImageFont.truetype(str(FONT), size)
    boxes = []
    for n, line in enumerate(lines):
        left, top, right, bottom = draw.textbbox((x, y + n * int(size * 1.3)), line, font=font)
        draw.text((x, y + n * int(size * 1.3)), line, font=font, fill=(10, 10, 10))
        boxes.append((left, top, right - left, bottom - top))
    return boxes


def _dots(draw: ImageDraw.ImageDraw, x: int, y: int, n: int = 3, size: int = 4, gap: int = 5) -> None:
    for i in range(n):
        left = x + i * (size + gap)
        draw.ellipse((left, y, left + size, y + size), fill=(10, 10, 10))


def _ellipsis_page() -> tuple[Image.Image, list[tuple]]:
    """Painted art; a lettered balloon; a closed balloon holding only `...`; a lone `...` on the open
    light margin (not in a shape); a word followed by `...` in the lettered balloon."""
    image = Image.new("RGB", (900, 1200), (120, 90, 70))
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 80, 520, 300), fill="white", outline="black", width=3)
    lines = _letter(draw, 150, 140, ["CHI VA LA'? RISPONDI", "SUBITO, STRANIERO"])
    draw.ellipse((600, 400, 700, 470), fill="white", outline="black", width=3)  # the silent balloon
    _dots(draw, 632, 433)
    draw.rectangle((0, 900, 900, 1200), fill="white")  # open light margin
    _dots(draw, 400, 1050)
    return image, lines


def test_lone_dots_in_a_closed_balloon_become_a_balloon_and_open_paper_does_not() -> None:
    image, lines = _ellipsis_page()
    dots = ellipsis_lines(image, lines)
    assert len(dots) == 2  # the balloon's and the margin's; the lettering's own marks are not lone
    assert any(600 < d[0] < 640 and 420 < d[1] + d[3] / 2 < 445 for d in dots)
    all_lines = list(lines) + dots
    marks = list(range(len(lines), len(all_lines)))
    found = balloons_from_text(image, all_lines, marks)
    silent = [b for b in found if set(b.lines) <= set(marks)]
    assert len(silent) == 1  # the margin's dots are open on every side: no balloon
    x, y, w, h = silent[0].box
    assert 590 <= x <= 620 and 390 <= y <= 420 and 70 <= w <= 110 and 50 <= h <= 80


def test_no_dots_without_lettering_to_size_them() -> None:
    image, _ = _ellipsis_page()
    assert ellipsis_lines(image, []) == []


def test_pick_line_prefers_the_reading_with_more_italian_words() -> None:
    spaced = OcrLine("ACQUA PER ME. HO ANCORA", 0.8)
    run_together = OcrLine("ACQUA PERME. HO ANCORA", 0.99)
    assert pick_line(run_together, spaced) is spaced
    assert pick_line(spaced, OcrLine("ACQUA PER ME. HO ANCORA", 0.7)) is spaced  # a tie: the recogniser's
    assert pick_line(spaced, OcrLine("", 0.0)) is spaced


def test_pick_line_weighs_letters_knows_interjections_and_takes_back_dropped_marks() -> None:
    # a confident interjection is not beaten by junk holding one short real word
    assert pick_line(OcrLine("...mmm", 0.95), OcrLine('i luldali "', 0.6)).text == "...mmm"
    assert word_score("GRRR... MMM") == 1.0 and word_score("i luldali") == 1 / 8
    # the same reading with the accent's apostrophe that small lettering lost: Tesseract's
    kept = pick_line(OcrLine("E INUTILE, TEX", 0.9), OcrLine("E' INUTILE, TEX", 0.6))
    assert kept.text == "E' INUTILE, TEX" and kept.confidence == 0.9
    # other marks (a stray stop) or other letters at the same score: the recogniser's reading stays
    assert (
        pick_line(OcrLine("servirla, Signorina", 0.9), OcrLine("servirla,. Signorina.", 0.6)).confidence
        == 0.9
    )
    assert pick_line(OcrLine("SONO QUI", 0.9), OcrLine("SONO QUA", 0.6)).text == "SONO QUI"


def test_reader_names_are_checked_and_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_reader("Detector") == "detector"
    with pytest.raises(UnknownModelError, match="balloon reader"):
        check_reader("magic")
    monkeypatch.setenv("NUVOLA_BALLOON_READER", "crop")
    assert load_settings().balloon_reader == "crop"


@pytest.mark.real
def test_lines_reader_restores_a_space_the_recogniser_dropped() -> None:
    """Tesseract reads the line crop (PSM 7); its reading has more Italian words, so it wins."""
    image = Image.new("RGB", (700, 200), "white")
    box = _letter(ImageDraw.Draw(image), 40, 60, ["ACQUA PER ME, AMICO"], size=30)[0]
    detected = [TextLine(box, 0.97, "ACQUA PERME, AMICO")]
    lines, _, engine = read_detected_lines(image, detected, "lines", load_settings())
    assert lines == ["ACQUA PER ME, AMICO"] and engine == "text-detector+tesseract-lines"
    assert read_detected_lines(image, detected, "detector")[0] == ["ACQUA PERME, AMICO"]


@dataclass
class _Balloon:
    id: str
    box: tuple[int, int, int, int]
    kind: str = "speech"
    text: str | None = None
    speaker: str | None = None


class _Catalogue:
    """Just what transcribe_volume uses of a catalogue: one page, its balloons, transcripts stored."""

    def __init__(self, image_path: Path, balloons: list[_Balloon]):
        self.image_path, self._balloons, self.stored = image_path, balloons, {}

    def pages(self, volume: str) -> list:
        return [type("P", (), {"id": "p1"})()]

    def balloons(self, page_id: str) -> list[_Balloon]:
        return self._balloons

    def image_file(self, page: object) -> Path:
        return self.image_path

    def set_transcript(self, balloon_id, text, lines, confidence, engine) -> None:  # noqa: ANN001
        self.stored[balloon_id] = (text, engine)


@pytest.mark.real
def test_volume_transcription_reads_catalogued_balloons_line_by_line(tmp_path: Path) -> None:
    """`nuvola transcribe VOLUME` reads each catalogued balloon from the detector's lines inside it."""
    from tools.ocr.transcribe import transcribe_volume

    image, _ = _ellipsis_page()
    path = tmp_path / "page.png"
    image.save(path)
    catalogue = _Catalogue(
        path, [_Balloon("p1:b0", (80, 80, 441, 221)), _Balloon("p1:b1", (600, 400, 101, 71))]
    )
    settings = load_settings()
    done = transcribe_volume(catalogue, "v", settings, "tesseract", speakers=False)
    assert done.read == 2 and not done.errors
    text, engine = catalogue.stored["p1:b0"]
    assert text == "CHI VA LÀ? RISPONDI SUBITO, STRANIERO" and engine == "text-detector+tesseract-lines"
    assert catalogue.stored["p1:b1"][0] == "..."


@pytest.mark.real
def test_the_silent_balloon_of_a_real_dev_page_is_found_and_read(shared_dir: Path) -> None:
    """Pepper&Carrot E03P02 (dev split): a small balloon holding only `...`, joined by its paper to the
    balloon above it, which neither the outline finder nor the text detector found before."""
    from evals.panels import match_alternatives
    from evals.real_pages import load_real_pages
    from tools.ocr.transcribe import transcribe_page

    folder = shared_dir / "comics" / "peppercarrot-it"
    if not folder.is_dir():
        pytest.skip("Pepper&Carrot pages not in ../shared")
    truth = next(p for p in load_real_pages(folder, "dev").pages if p.name.endswith("E03P02"))
    silent = [b for b in truth.balloons if b.text == "..."]
    assert len(silent) == 1
    read = transcribe_page(
        truth.image, load_settings(), "tesseract", speakers=False, text_detector="rapidocr"
    )
    matched = match_alternatives([silent[0].boxes], [item.bbox for item in read])
    assert len(matched) == 1 and read[matched[0][1]].text == "..."


@pytest.mark.real
def test_a_balloon_of_marks_alone_is_kept_only_when_closed() -> None:
    """`?!` in a closed balloon is a balloon (the word filter used to drop it); on open paper it is not."""
    from tools.ocr.transcribe import locate_balloons

    image = Image.new("RGB", (900, 1200), (120, 90, 70))
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 80, 520, 300), fill="white", outline="black", width=3)
    _letter(draw, 150, 140, ["CHI VA LA'? RISPONDI", "SUBITO, STRANIERO"])
    draw.ellipse((600, 400, 700, 480), fill="white", outline="black", width=3)
    _letter(draw, 635, 425, ["?!"], size=28)
    draw.rectangle((0, 900, 900, 1200), fill="white")
    _letter(draw, 400, 1000, ["?!"], size=28)
    found = locate_balloons(image, "rapidocr")
    marks = [(b.box, [line.text for line in r]) for b, r in zip(found.balloons, found.readings, strict=True)]
    held = [box for box, texts in marks if texts == ["?!"]]
    assert len(held) == 1 and 590 <= held[0][0] <= 615 and 390 <= held[0][1] <= 415, marks


def test_two_specks_in_a_light_shape_are_not_an_ellipsis() -> None:
    image, lines = _ellipsis_page()
    draw = ImageDraw.Draw(image)
    draw.ellipse((600, 600, 700, 670), fill="white", outline="black", width=3)  # white art, closed
    _dots(draw, 636, 633, n=2)  # two specks of scanner noise on it
    dots = ellipsis_lines(image, lines)
    assert not any(590 < d[0] < 700 and 600 < d[1] + d[3] / 2 < 670 for d in dots)
    assert any(600 < d[0] < 640 and 420 < d[1] + d[3] / 2 < 445 for d in dots)  # the silent balloon's
