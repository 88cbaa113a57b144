"""The colorist: each character keeps its canonical colours in every panel, scenes take their palette, the ink's
shading survives, and art without a region map is segmented into flat closed regions."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tools.comic_script import Figure, PanelSpec
from tools.errors import UnknownModelError
from tools.render.art import ArtContext, FigureBox, PanelArt
from tools.render.colorist import PaletteColorist, get_colorist
from tools.render.layout import layout_page
from tools.render.palette import (
    SCENE_PALETTES,
    PaletteBook,
    character_palette,
    hex_to_rgb,
)
from tools.render.samples import load_sample
from tools.render.storyboard import StoryboardArtist
from tools.series.profile import load_series_profile


def _part_colours(art: PanelArt, image: Image.Image) -> dict[tuple[str, str], tuple[int, int, int]]:
    """The colour of each (owner, part) region where the ink is clean paper (no line, no hatching)."""
    pixels = np.asarray(image)
    clean = np.asarray(art.image) > 250
    out = {}
    for ident, tag in art.tags.items():
        where = (art.regions == ident) & clean
        if where.sum() >= 12:
            values, counts = np.unique(pixels[where].reshape(-1, 3), axis=0, return_counts=True)
            out[(tag.owner, tag.part)] = tuple(int(v) for v in values[counts.argmax()])
    return out


@pytest.fixture(scope="module")
def coloured_panels():
    script, profile = load_sample(), load_series_profile("tex")
    book, artist, colorist = PaletteBook(profile), StoryboardArtist(), PaletteColorist()
    panels = []
    for page in script.pages:
        for slot in layout_page(page, 100):
            art = artist.draw(slot.panel, slot.box.size, ArtContext(profile=profile))
            panels.append((slot.panel, art, colorist.colorize(art, slot.panel, book)))
    return panels, profile


def test_same_character_same_colours_in_every_panel(coloured_panels) -> None:
    panels, profile = coloured_panels
    seen: dict[tuple[str, str], set[tuple[int, int, int]]] = defaultdict(set)
    appearances: dict[str, set[str]] = defaultdict(set)
    for panel, art, image in panels:
        for (owner, part), colour in _part_colours(art, image).items():
            if owner != "scene":
                seen[(owner, part)].add(colour)
                appearances[owner].add(panel.id)
    assert len(appearances["Tex"]) >= 6 and len(appearances["Kit Carson"]) >= 4
    for key, colours in seen.items():
        assert len(colours) == 1, f"{key} changes colour across panels: {colours}"
    tex = profile.character("Tex").palette if profile else None
    if tex:
        assert seen[("Tex", "shirt")] == {hex_to_rgb(tex["shirt"])}
        assert seen[("Tex", "trousers")] == {hex_to_rgb(tex["trousers"])}


def test_characters_differ_and_unknown_names_get_stable_colours() -> None:
    first, again = character_palette("Jethro Slade"), character_palette("Jethro Slade")
    assert first == again
    book = PaletteBook(load_series_profile("tex"))
    assert book.for_character("Tex").colours != book.for_character("Kit Carson").colours
    if book.profile is not None:  # an alias resolves to the same palette
        alias = book.profile.character("Tex").aliases[0]
        assert book.for_character(alias) is book.for_character("Tex")


def test_scene_palette_follows_light_and_place(coloured_panels) -> None:
    panels, _ = coloured_panels
    skies = {}
    for panel, art, image in panels:
        colours = _part_colours(art, image)
        if ("scene", "sky") in colours:
            skies.setdefault(panel.time_of_day, colours[("scene", "sky")])
    assert skies["night"] == hex_to_rgb(SCENE_PALETTES["night"]["sky"])
    assert skies["dawn"] == hex_to_rgb(SCENE_PALETTES["dawn"]["sky"])
    assert skies["day"] in {hex_to_rgb(SCENE_PALETTES[k]["sky"]) for k in ("day", "desert")}


def test_ink_and_hatching_survive_colouring(coloured_panels) -> None:
    panels, _ = coloured_panels
    for _panel, art, image in panels[:4]:
        ink = np.asarray(art.image) < 60
        lum = np.asarray(image.convert("L"))
        assert np.mean(lum[ink]) < 70, "lines were painted over"


def test_art_without_regions_is_segmented_into_flat_fills() -> None:
    ink = Image.new("L", (200, 160), 255)
    draw = ImageDraw.Draw(ink)
    draw.line((0, 70, 200, 70), fill=0, width=2)  # horizon: sky above, ground below
    draw.rectangle((80, 30, 120, 150), fill=255, outline=0, width=2)  # a figure-sized closed shape
    for x in range(84, 118, 6):  # hatching inside it
        draw.line((x, 100, x + 4, 110), fill=0)
    panel = PanelSpec(id="p1-t1-1", shot="figura intera", figures=[Figure(name="Tex", x=0.5)])
    art = PanelArt(image=ink, figures=[FigureBox("Tex", (80, 30, 41, 121), (80, 30, 41, 20), (100, 45))])
    image = np.asarray(PaletteColorist().colorize(art, panel, PaletteBook()))
    sky, ground = image[20, 20], image[140, 20]
    assert tuple(sky) == hex_to_rgb(SCENE_PALETTES["day"]["sky"])
    assert tuple(ground) == hex_to_rgb(SCENE_PALETTES["day"]["ground"])
    inside = image[40:95, 85:116].reshape(-1, 3)
    assert len({tuple(v) for v in inside}) == 1, "a closed region is not one flat colour"
    assert image[100, 84].sum() < 150, "the hatching was painted over"


def test_colorist_registry() -> None:
    assert get_colorist("palette").name == "palette"
    with pytest.raises(UnknownModelError, match="palette"):
        get_colorist("learned:/nowhere")
