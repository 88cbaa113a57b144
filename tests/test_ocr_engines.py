"""Balloon preparation and the local engines (Tesseract, RapidOCR) on balloons drawn with Comic Neue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tools.errors import ModelLoadError, UnknownModelError
from tools.ocr.normalise import normalise_lettering
from tools.ocr.preprocess import PrepareOptions, balloon_interior, ink_mask, prepare_crop, to_grey
from tools.ocr.registry import clear_engines, get_ocr_engine, split_engine_names
from tools.ocr.samples import draw_balloon
from tools.settings import load_settings

BALLOONS = [
    (["E' PIU' TARDI DI", "QUANTO CREDI, KIT!"], "ComicNeue-Bold.otf", 24),
    (["L'UOMO DELL'ORO", "E' FUGGITO VERSO", "IL CONFINE!"], "ComicNeue-Regular.otf", 30),
    (["PERCHE' NON PARLI?"], "DejaVuSans-Bold.ttf", 20),
    (["NON MORDE-", "RE LA MANO", "CHE TI NUTRE!"], "ComicNeue-Bold.otf", 18),
]


def test_preparation_finds_each_line_and_removes_the_outline(tmp_path: Path) -> None:
    sample = draw_balloon(["QUEL BANDITO", "FINIRA' MALE..."], size=20)
    prepared = prepare_crop(sample.image, PrepareOptions(glyph_height=40), trace=tmp_path)
    assert len(prepared.line_spans) == 2
    assert 30 <= prepared.glyph_height <= 50  # upscaled to about the target letter height
    assert prepared.steps == ["grey", "interior", "trim", "upscale", "binary"]
    assert sorted(p.name for p in tmp_path.iterdir())[0] == "01-grey.png"
    border = np.concatenate(
        [prepared.image[0], prepared.image[-1], prepared.image[:, 0], prepared.image[:, -1]]
    )
    assert (border == 255).all()  # the outline is gone: paper all around the text


def test_interior_of_a_caption_and_of_a_bare_crop() -> None:
    caption = draw_balloon(["INTANTO, AL FORTE..."], shape="rect")
    interior = balloon_interior(ink_mask(to_grey(caption.image)))
    assert interior is not None and not interior[0, 0] and interior[interior.shape[0] // 2, 12]
    bare = Image.new("L", (200, 60), 255)
    assert balloon_interior(ink_mask(to_grey(bare))) is None


def test_blank_crop_reads_nothing() -> None:
    prepared = prepare_crop(Image.new("RGB", (120, 80), "white"))
    assert prepared.line_spans == []


def test_engine_names() -> None:
    assert split_engine_names("tesseract, rapidocr") == ["tesseract", "rapidocr"]
    assert len(split_engine_names("ensemble")) == 3
    with pytest.raises(UnknownModelError, match="unknown OCR engine"):
        get_ocr_engine("abbyy", load_settings())
    with pytest.raises(ModelLoadError, match="mode"):
        get_ocr_engine("tesseract?mode=sideways", load_settings())


def test_missing_tessdata_is_a_clear_error(tmp_path: Path) -> None:
    from tools.ocr.tesseract import TesseractEngine

    with pytest.raises(ModelLoadError, match="ita.traineddata"):
        TesseractEngine(tessdata=tmp_path)


@pytest.mark.real
@pytest.mark.parametrize("engine_name", ["tesseract", "tesseract?mode=block", "rapidocr"])
def test_real_engines_read_drawn_balloons(engine_name: str) -> None:
    engine = get_ocr_engine(engine_name, load_settings())
    exact = 0
    for lines, font, size in BALLOONS:
        sample = draw_balloon(lines, font=font, size=size)
        result = engine.read(sample.image)
        assert len(result.lines) == len(lines), (engine_name, result.texts)
        assert 0.0 < result.confidence <= 1.0
        exact += normalise_lettering(result.texts) == normalise_lettering(lines)
    assert exact >= len(BALLOONS) - 1, engine_name
    clear_engines()


@pytest.mark.real
def test_tesseract_gives_per_character_confidences() -> None:
    engine = get_ocr_engine("tesseract", load_settings())
    result = engine.read(draw_balloon(["SATANASSO!"], size=28).image)
    line = result.lines[0]
    assert line.char_confidences is not None and len(line.char_confidences) == len(line.text)


@pytest.mark.real
def test_real_lettering_from_peppercarrot_is_scored(shared_dir: Path) -> None:
    from evals.ocr import score_peppercarrot

    folder = shared_dir / "comics" / "peppercarrot-it"
    if not folder.is_dir():
        pytest.skip("Pepper&Carrot pages are not in ../shared")
    report = score_peppercarrot(
        get_ocr_engine("tesseract,tesseract?mode=block", load_settings()), folder, limit=4
    )
    scores = report["engines"]
    assert set(scores) == {"tesseract", "tesseract?mode=block", "ensemble"}
    assert scores["ensemble"]["balloons"] == 4 and scores["ensemble"]["cer"] < 0.5
    clear_engines()


def test_balloon_without_outline_on_grey_art_is_cut_out() -> None:
    from PIL import ImageDraw

    from tools.ocr.samples import lettering_font

    image = Image.new("L", (360, 160), 120)  # mid-grey artwork around a white, outline-free balloon
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 350, 150), fill=255)
    for row, line in enumerate(["UN PIACERE", "SERVIRLA"]):
        draw.text((110, 45 + 36 * row), line, font=lettering_font("ComicNeue-Bold.otf", 26), fill=0)
    prepared = prepare_crop(image)
    assert len(prepared.line_spans) == 2
    border = np.concatenate(
        [prepared.image[0], prepared.image[-1], prepared.image[:, 0], prepared.image[:, -1]]
    )
    assert (border == 255).all()
