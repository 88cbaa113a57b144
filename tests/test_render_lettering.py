"""The letterer: text never leaves its balloon, balloons stay in the panel, read in order, avoid faces, point
their tails at the speaker; Italian hyphenation and Bonelli accents."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyphen
import pytest
from PIL import Image, ImageDraw, ImageFilter

from tools.comic_script import Balloon, Figure, PanelSpec
from tools.render.art import ArtContext, FigureBox
from tools.render.fonts import lettering_font
from tools.render.layout import Box, layout_page
from tools.render.letterer import Letterer, LetterStyle, PlacedBalloon
from tools.render.lettering import LetteringError, break_word, prepare_text, whole_sentences, wrap
from tools.render.samples import load_sample as sample_script
from tools.render.storyboard import StoryboardArtist


def _layouts(dpi: int) -> list[tuple[PanelSpec, tuple[int, int], list[FigureBox], list[PlacedBalloon]]]:
    letterer, artist, out = Letterer(LetterStyle(dpi=dpi)), StoryboardArtist(), []
    for page in sample_script().pages:
        for slot in layout_page(page, dpi):
            art = artist.draw(slot.panel, slot.box.size, ArtContext())
            placed = letterer.layout(slot.box.size, slot.panel, art.figures, [], art.label_boxes)
            out.append((slot.panel, slot.box.size, art.figures, placed))
    return out


@pytest.mark.parametrize("dpi", [60, 150])
def test_no_text_overflows_and_nothing_leaves_the_panel(dpi: int) -> None:
    for panel, (w, h), _figures, placed in _layouts(dpi):
        assert len(placed) == len(panel.balloons)
        frame = Box(0, 0, w, h)
        for item in placed:
            assert item.text_inside(), f"{panel.id}: text leaves its balloon {item.balloon.text!r}"
            assert frame.contains(item.box), f"{panel.id}: balloon outside the panel"
            assert all(0 <= x <= w and 0 <= y <= h for x, y in item.tail)
        for i, a in enumerate(placed):
            for b in placed[i + 1 :]:
                assert a.box.intersection(b.box) == 0, f"{panel.id}: balloons overlap"


def test_drawn_lettering_stays_inside_the_drawn_balloons() -> None:
    panel = PanelSpec(
        id="p1-t1-1",
        shot="mezza figura",
        figures=[Figure(name="Tex", x=0.3), Figure(name="Kit Carson", x=0.7)],
        balloons=[
            Balloon(speaker="Tex", text="Precipitevolissimevolmente, vecchio mio: al galoppo!"),
            Balloon(speaker="Kit Carson", text="Eccomi, eccomi... queste ossa non sono più giovani."),
        ],
    )
    image = Image.new("RGB", (260, 330), "white")
    placed = Letterer(LetterStyle(dpi=150)).letter(image, panel, [])
    ink = np.asarray(image.convert("L")) < 128
    allowed = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(allowed)
    for item in placed:
        draw.ellipse((item.box.x - 2, item.box.y - 2, item.box.right + 2, item.box.bottom + 2), fill=255)
        draw.polygon(item.tail, fill=255, outline=255, width=3)
    allowed = allowed.filter(
        ImageFilter.MaxFilter(5)
    )  # rasterising the thin tail at 1× vs 3× differs by a pixel
    outside = ink & (np.asarray(allowed) == 0)
    assert ink.sum() > 500 and outside.sum() == 0


@pytest.mark.parametrize("dpi", [60, 150])
def test_balloons_follow_reading_order(dpi: int) -> None:
    for panel, _size, _figures, placed in _layouts(dpi):
        speech = [p for p in placed if p.kind in ("speech", "thought")]
        for before, after in zip(speech, speech[1:], strict=False):
            right = (
                after.box.x > before.box.x + before.box.w / 2
                and before.box.y - before.box.h / 4 <= after.box.y < before.box.bottom
            )
            below = after.box.y + after.box.h / 2 > before.box.y + before.box.h * 0.8
            assert right or below, f"{panel.id}: {after.balloon.text!r} reads before {before.balloon.text!r}"
        captions = [p for p in placed if p.kind == "caption"]
        if captions and placed[0].kind == "caption":
            assert (captions[0].box.x, captions[0].box.y) == (0, 0)


def test_balloons_keep_off_faces_and_tails_point_at_speakers() -> None:
    for panel, _size, figures, placed in _layouts(150):
        heads = {f.name: f for f in figures}
        for item in placed:
            for fig in figures:
                face = Box(*(fig.face or fig.head))
                if face.w and face.h:
                    assert item.box.intersection(face) == 0, f"{panel.id} covers the face of {fig.name}"
            if item.kind == "speech" and item.balloon.speaker in heads:
                mouth = heads[item.balloon.speaker].mouth
                centre = (item.box.x + item.box.w / 2, item.box.y + item.box.h / 2)
                tip = item.tail[2]
                assert math.dist(tip, mouth) < math.dist(centre, mouth)
                for other in figures:
                    if other.name != item.balloon.speaker and math.dist(other.mouth, mouth) > 40:
                        assert math.dist(tip, mouth) < math.dist(tip, other.mouth)


def test_a_word_too_long_for_a_line_breaks_at_italian_syllables() -> None:
    font = lettering_font(16)
    word = "PRECIPITEVOLISSIMEVOLMENTE"
    pieces = break_word(word, font, 90)
    assert len(pieces) > 1 and all(p.endswith("-") for p in pieces[:-1])
    assert "".join(p.rstrip("-") for p in pieces) == word
    cuts = [sum(len(p.rstrip("-")) for p in pieces[: i + 1]) for i in range(len(pieces) - 1)]
    allowed = set(pyphen.Pyphen(lang="it_IT").positions(word.lower()))
    assert set(cuts) <= allowed
    assert all(font.getlength(p) <= 90 for p in pieces)
    assert wrap("CHE GIORNATA", font, 300) == ["CHE GIORNATA"]


def test_text_that_cannot_fit_is_a_clear_error() -> None:
    panel = PanelSpec(id="p9-t1-1", balloons=[Balloon(speaker="Tex", text="parola " * 120)])
    with pytest.raises(LetteringError, match="p9-t1-1"):
        Letterer(LetterStyle(dpi=150)).layout((120, 90), panel, [], [])


def test_uppercase_and_bonelli_accents() -> None:
    assert prepare_text("È  così, città!") == "È COSÌ, CITTÀ!"
    assert prepare_text("È così, città! Perché?", bonelli_accents=True) == "E' COSI', CITTA'! PERCHE'?"


@pytest.mark.parametrize("dpi", [100, 150, 300])
def test_capitals_are_never_under_2_2_mm_at_print_size(dpi: int) -> None:
    style = LetterStyle(dpi=dpi)
    smallest = style.sizes()[-1]
    _, top, _, bottom = lettering_font(smallest).getbbox("E", anchor="ls")
    assert (bottom - top) / dpi * 25.4 >= 2.2 - 25.4 / dpi  # within a pixel of the measured glyph
    assert style.glyph_mm(smallest) >= 2.2


def _crowded_panel() -> PanelSpec:
    return PanelSpec(
        id="p2-t2-3",
        shot="primo piano",
        figures=[Figure(name="Tex", x=0.5)],
        balloons=[
            Balloon(
                speaker="Tex",
                text="Cerco un carico di fucili. Quanto è la provvigione per "
                "chi parla? E chi compra le casse al confine?",
            )
        ],
    )


def test_a_panel_too_small_asks_the_writer_to_shorten() -> None:
    asked: list[tuple[str, int]] = []

    def writer(balloon: Balloon, budget: int) -> str:
        asked.append((balloon.text, budget))
        return "Quanto è la provvigione?"

    one_sentence = (
        "Cerco un carico di fucili e voglio sapere quanto è la provvigione per chi parla al confine"
    )
    panel = _crowded_panel()
    panel = panel.model_copy(update={"balloons": [Balloon(speaker="Tex", text=one_sentence)]})
    art = StoryboardArtist().draw(panel, (230, 300), ArtContext())
    placed = Letterer(LetterStyle(dpi=150), shorten=writer).layout(
        (230, 300), panel, art.figures, art.free_boxes
    )
    assert asked and asked[0][1] < len(one_sentence)
    assert placed[0].cut == {"from": one_sentence, "to": "Quanto è la provvigione?", "by": "writer"}
    assert placed[0].shape.block.lines and " ".join(placed[0].shape.block.lines).startswith("QUANTO È")


def test_whole_sentences_come_before_the_writer() -> None:
    asked: list[str] = []

    def writer(balloon: Balloon, budget: int) -> str:
        asked.append(balloon.text)
        return "Quanto è la provvigione?"

    panel = _crowded_panel()
    art = StoryboardArtist().draw(panel, (230, 300), ArtContext())
    placed = Letterer(LetterStyle(dpi=150), shorten=writer).layout(
        (230, 300), panel, art.figures, art.free_boxes
    )
    assert not asked  # a run of the line's own sentences fits: no model rewrite
    cut = placed[0].cut
    assert cut is not None and cut["by"] == "sentence"
    assert cut["to"] in " ".join(panel.balloons[0].text.split()) and cut["to"].endswith("?")
    assert whole_sentences("Uno. Due. Tre.", 9) == "Uno. Due."
    assert whole_sentences("Una frase troppo lunga. Due? Tre!", 9) == "Due? Tre!"  # a later run that fits
    assert whole_sentences("Una frase troppo lunga.", 9) == ""
    assert whole_sentences("Uno. Due.", 20) == ""  # it all fits: nothing to cut


def test_without_a_writer_the_text_is_cut_at_a_sentence_and_reported() -> None:
    panel = _crowded_panel()
    art = StoryboardArtist().draw(panel, (150, 300), ArtContext())
    refuse = Letterer(LetterStyle(dpi=150), shorten=lambda balloon, budget: balloon.text)  # too long: ignored
    placed = refuse.layout((150, 300), panel, art.figures, art.free_boxes)
    assert placed[0].cut is not None and placed[0].cut["by"] == "sentence"
    assert placed[0].cut["to"].endswith((".", "?", "!", "...")) and placed[0].cut["to"].startswith("Cerco")
    for fig in art.figures:
        assert placed[0].box.intersection(Box(*fig.face)) == 0


def test_typed_apostrophes_become_accents_but_elisions_stay() -> None:
    assert (
        prepare_text("Perche' c'e' un po' di fumo laggiu'? L'uomo e' la'!")
        == "PERCHÉ C'È UN PO' DI FUMO LAGGIÙ? L'UOMO È LÀ!"
    )


BREIP = Path("/usr/share/fonts/truetype/breip/Breip.ttf")
HUMOR_SANS = Path("/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf")


@pytest.mark.skipif(
    not (BREIP.is_file() and HUMOR_SANS.is_file()), reason="fonts-breip / fonts-humor-sans missing"
)
def test_the_lettering_font_can_be_chosen_and_must_draw_accented_capitals(monkeypatch) -> None:
    from tools.errors import MissingDependencyError
    from tools.render.fonts import LETTERING_ENV, lettering_file
    from tools.render.lettering import cap_ratio

    comic_neue = cap_ratio()
    monkeypatch.setenv(LETTERING_ENV, str(BREIP))
    assert lettering_file() == BREIP and lettering_font(20).path == str(BREIP)
    assert cap_ratio() != comic_neue  # sizes follow the chosen font's capitals
    monkeypatch.setenv(LETTERING_ENV, str(HUMOR_SANS))  # a hand without È: `È` would letter as nothing
    with pytest.raises(MissingDependencyError, match=r"Humor-Sans.ttf: the font has no glyph for À È"):
        lettering_font(20)
    monkeypatch.setenv(LETTERING_ENV, "/nonexistent/font.ttf")
    with pytest.raises(MissingDependencyError, match="font.ttf: cannot be read"):
        lettering_font(20)
