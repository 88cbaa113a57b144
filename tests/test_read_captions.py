"""Lettering that grows no balloon (captions on open paper, text on dark or tinted paper): grouped by
layout and kept as a caption only when its reading is confident Italian, so phantom text on art is
rejected by language instead of by outline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from evals.panels import match_alternatives
from evals.read_variants import write_variants
from evals.real_pages import load_real_pages
from tools.ocr.text_regions import TextLine, italian_words, reads_as_italian, text_balloons
from tools.ocr.transcribe import locate_balloons, open_page
from tools.panels.balloons import TextBalloon, layout_groups, reconcile
from tools.panels.page import BalloonBox

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _letter(draw: ImageDraw.ImageDraw, x: int, y: int, lines: list[str], size: int = 24) -> list[tuple]:
    font = ImageFont.truetype(str(FONT), size)
    boxes = []
    for n, line in enumerate(lines):
        left, top, right, bottom = draw.textbbox((x, y + n * int(size * 1.3)), line, font=font)
        draw.text((x, y + n * int(size * 1.3)), line, font=font, fill=(10, 10, 10))
        boxes.append((left, top, right - left, bottom - top))
    return boxes


def test_layout_groups_join_a_block_and_keep_a_title_and_a_far_line_apart() -> None:
    block = [(100, 100, 200, 20), (120, 126, 160, 20), (110, 152, 180, 20)]  # centred, 6 px apart
    title = [(100, 40, 220, 44)]  # twice as tall, just above
    far = [(100, 260, 200, 20)]  # five line heights below
    aside = [(700, 126, 150, 20)]  # same row, far to the right
    groups = layout_groups(block + title + far + aside)
    assert sorted(groups) == [[0, 1, 2], [3], [4], [5]]


def test_language_gate_counts_italian_words_and_confidence() -> None:
    assert italian_words("INTANTO, AL FORTE DELL'ORO...") == (5, 5)  # dell' + oro
    assert italian_words("IIlI lIIl //") == (0, 2)
    sure = [TextLine((0, 0, 10, 10), 0.95, "Più tardi, al mercato...")]
    assert reads_as_italian(sure)
    assert not reads_as_italian([TextLine((0, 0, 10, 10), 0.7, "Più tardi, al mercato...")])  # unsure
    assert not reads_as_italian([TextLine((0, 0, 10, 10), 0.95, "Zzzzz Crrrr")])  # not Italian
    assert not reads_as_italian([TextLine((0, 0, 10, 10), 0.95, "IIlI mmM lII")])  # texture read as text
    assert reads_as_italian([TextLine((0, 0, 10, 10), 0.95, "Attenzione!")])  # one long word is enough
    assert not reads_as_italian([TextLine((0, 0, 10, 10), 0.95, "Oh!")])  # one short word is not


def _open_paper_page() -> tuple[Image.Image, list[TextLine]]:
    """A white page margin (paper open on every side) holding a two-line caption, the same shapes
    lettered with junk, and a balloon-less line on dark painted art."""
    image = Image.new("RGB", (900, 1200), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 500, 899, 1199], fill=(70, 50, 40))  # painted art below
    caption = _letter(draw, 120, 100, ["INTANTO, AL FORTE", "DEFIANCE..."])
    junk = _letter(draw, 520, 100, ["IIlI lIIl", "mmM lII"])
    draw.rectangle([100, 800, 500, 860], fill=(110, 90, 80))  # dark paper: no balloon grows
    dark = _letter(draw, 130, 812, ["LA PISTA DEI FUCILI"])
    lines = [TextLine(b, 0.95, t) for b, t in zip(caption, ["INTANTO, AL FORTE", "DEFIANCE..."], strict=True)]
    lines += [TextLine(b, 0.95, t) for b, t in zip(junk, ["IIlI lIIl", "mmM lII"], strict=True)]
    lines += [TextLine(dark[0], 0.93, "LA PISTA DEI FUCILI")]
    return image, lines


def test_inflected_forms_the_word_list_lacks_count_as_italian_when_hunspell_is_there() -> None:
    from tools.word_forms import italian_word_forms

    if italian_word_forms() is None:
        pytest.skip("hunspell-it is not installed")
    assert italian_words("... Gara delle Pozioni ?") == (3, 3)  # pozioni: plural of pozione
    assert reads_as_italian([TextLine((0, 0, 10, 10), 0.97, "... Gara delle Pozioni ?")])
    assert italian_words("lllii mne zzfrr xkcd") == (0, 4)  # junk stays junk
    assert italian_words("Ndo ooo") == (0, 2)  # short words are not asked about


def test_italian_lettering_without_a_balloon_becomes_a_caption_and_junk_does_not() -> None:
    image, lines = _open_paper_page()
    found = text_balloons(image, lines)
    assert sorted(b.lines for b in found) == [(0, 1), (4,)]
    caption = next(b for b in found if b.lines == (0, 1))
    text = (min(lines[0].box[0], lines[1].box[0]), lines[0].box[1])
    assert caption.kind == "caption"
    assert text[0] - 20 <= caption.box[0] < text[0] and text[1] - 20 <= caption.box[1] < text[1]
    assert caption.box[2] < 330 and caption.box[3] < 110  # the lettering and a margin, not the page


def test_a_grown_balloon_is_not_taken_again_as_a_caption() -> None:
    image = Image.new("RGB", (900, 1200), (120, 90, 70))
    draw = ImageDraw.Draw(image)
    draw.ellipse([140, 122, 400, 242], fill=(250, 250, 245))  # outline-less balloon on painted art
    boxes = _letter(draw, 170, 150, ["SEI ARRIVATO", "TARDI, AMICO!"])
    lines = [TextLine(b, 0.95, t) for b, t in zip(boxes, ["SEI ARRIVATO", "TARDI, AMICO!"], strict=True)]
    found = text_balloons(image, lines)
    assert [(b.lines, b.kind) for b in found] == [((0, 1), "speech")]


def test_an_outline_balloon_holding_a_layout_caption_wins() -> None:
    lines = [(110, 110, 180, 20), (120, 135, 160, 20)]
    caption = TextBalloon((98, 98, 204, 69), "caption", (0, 1), by_layout=True)
    outline = BalloonBox((90, 80, 220, 100), "speech", 0, (100, 220))
    kept = reconcile([outline], [caption], lines)
    assert [(box, found, held) for box, _, found, held in kept] == [((90, 80, 220, 100), outline, (0, 1))]
    alone = reconcile([], [caption], lines)  # no outline: the caption stands
    assert [(box, found) for box, _, found, _ in alone] == [((98, 98, 204, 69), None)]


# Golden: DEV pages scanned small (60 %, evals/read_variants.py), where lettering fills its balloon and
# its thin strokes turn grey; every GT balloon is found (E01P03's tight "Soddisfatto?!", E03P02's "Grrr...").
@pytest.mark.parametrize("page", ["E01P03", "E03P02"])
def test_golden_balloons_on_small_scans_of_real_dev_pages(
    shared_dir: Path, tmp_path: Path, page: str
) -> None:
    folder = shared_dir / "comics" / "peppercarrot-it"
    if not folder.is_dir():
        pytest.skip("Pepper&Carrot pages not in ../shared")
    dev = load_real_pages(folder, "dev")
    dev = replace(dev, pages=[p for p in dev.pages if p.name.endswith(page)])
    truth = write_variants(dev, tmp_path, ("small",))["small"].pages[0]
    found = locate_balloons(open_page(truth.image), "rapidocr")
    boxes = [b.box for b in found.balloons]
    assert len(match_alternatives([b.boxes for b in truth.balloons], boxes)) == len(truth.balloons), boxes
