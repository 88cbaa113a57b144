"""Black-and-white scans: dev pages as B/W scans (evals/read_variants.py `inked`, `halftone`: binarised or
screened, turned 0.5-1.5 degrees, ground truth turned with them) and Tex-like scanned panels
(evals/tex_like.py: dense hatching up to the balloons' outlines, uppercase lettering with accented
capitals)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evals.panels import match_alternatives, match_boxes
from evals.read_variants import map_box, write_variants
from evals.real_pages import load_generated, load_real_pages
from evals.tex_like import balloon_texts, write_tex_like
from tools.ocr.transcribe import locate_balloons, open_page


def test_map_box_follows_a_scale_and_a_turn() -> None:
    assert map_box([10, 20, 30, 40], np.array([[0.5, 0, 0], [0, 0.5, 0]])) == [5, 10, 15, 20]
    quarter = np.array([[0.0, -1.0, 100.0], [1.0, 0.0, 0.0]])  # a quarter turn: (x, y) -> (100 - y, x)
    assert map_box([10, 20, 30, 40], quarter) == [40, 10, 40, 30]


def _one_dev_page(shared_dir: Path, page: str):  # type: ignore[no-untyped-def]
    folder = shared_dir / "comics" / "peppercarrot-it"
    if not folder.is_dir():
        pytest.skip("Pepper&Carrot pages not in ../shared")
    dev = load_real_pages(folder, "dev")
    return replace(dev, pages=[p for p in dev.pages if p.name.endswith(page)])


def test_bw_variants_are_black_and_white_and_keep_their_truth_on_the_lettering(
    shared_dir: Path, tmp_path: Path
) -> None:
    dev = _one_dev_page(shared_dir, "E01P01")
    sets = write_variants(dev, tmp_path, ("inked", "halftone"))
    for name in ("inked", "halftone"):
        truth = sets[name].pages[0]
        gray = np.asarray(Image.open(truth.image).convert("L"))
        assert gray.shape == (1401, 992)
        assert ((gray < 60) | (gray > 195)).mean() > 0.8, name  # ink or paper, few greys (scan softness)
        original = dev.pages[0].balloons[0].body_bbox
        turned = truth.balloons[0].body_bbox
        assert turned != [round(v) for v in original]  # turned with the page
        assert abs(turned[2] - original[2]) < 0.05 * original[2] + 8
        # the turned box still holds the lettering: ink inside it, on paper
        x, y, w, h = turned
        inside = gray[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
        assert 0.03 < (inside < 128).mean() < 0.5, name
    with pytest.raises(ValueError, match="unknown page variant"):
        write_variants(dev, tmp_path, ("sepia",))


def test_variants_carry_the_panel_truth_and_the_turned_panels_are_found(
    shared_dir: Path, tmp_path: Path
) -> None:
    dev = _one_dev_page(shared_dir, "E01P01")
    original = dev.pages[0].panels
    assert original is not None and len(original) == 3
    sets = write_variants(dev, tmp_path, ("small", "halftone"))
    small = sets["small"].pages[0].panels
    assert small is not None
    pairs = [(a, b) for box, got in zip(original, small, strict=True) for a, b in zip(got, box, strict=True)]
    assert all(abs(a - 0.6 * b) <= 1 for a, b in pairs)
    truth = sets["halftone"].pages[0].panels
    assert truth is not None and len(truth) == 3 and truth != [[round(v) for v in b] for b in original]
    found = locate_balloons(open_page(sets["halftone"].pages[0].image), "none").panels
    assert len(match_boxes(truth, found)) == 3, (truth, found)


def test_tex_like_panels_carry_uppercase_accented_truth(tmp_path: Path) -> None:
    truth = load_generated(write_tex_like(tmp_path, panels=1, seed=3, dpi=150, accents="bonelli"))
    page = truth.pages[0]
    assert len(page.balloons) == 3 and page.page_type == "generated-tex-like-150dpi-bonelli"
    assert all(b.text == b.text.upper() for b in page.balloons)
    lettered = " ".join(line for b in page.balloons for line in b.lines)
    assert not any(ch in lettered for ch in "ÈÉÀÌÒÙ")  # Bonelli habit: E', PERCHE'
    assert all(text == text.upper() for text in balloon_texts())
    with pytest.raises(ValueError, match="accents"):
        write_tex_like(tmp_path, panels=1, accents="acute")


# Golden: on a generated Tex-like scan (hatching and solid blacks up to the outlines, turned, JPEG) the
# three balloons are found and nothing else: hatching gives no phantom text.
def test_balloons_on_hatched_tex_like_scan_are_found_without_phantoms(tmp_path: Path) -> None:
    truth = load_generated(write_tex_like(tmp_path, panels=1, seed=7, dpi=200)).pages[0]
    found = locate_balloons(open_page(truth.image), "rapidocr")
    boxes = [b.box for b in found.balloons]
    assert len(match_alternatives([b.boxes for b in truth.balloons], boxes)) == 3, boxes
    assert len(boxes) == 3, boxes


# A panel scanned alone is a crop of a page: its capitals stand at more than 3 % of its height, the bound
# the outline finder put on glyph heights when it took the image's height for the paper's. Without the
# text detector (outline only) its three outlined balloons must still be found, and nothing else.
@pytest.mark.parametrize("dpi", [150, 300])
def test_outline_finder_reads_a_panel_scanned_alone(tmp_path: Path, dpi: int) -> None:
    truth = load_generated(write_tex_like(tmp_path, panels=1, seed=dpi, dpi=dpi)).pages[0]
    found = locate_balloons(open_page(truth.image), "none")
    boxes = [b.box for b in found.balloons]
    assert len(match_alternatives([b.boxes for b in truth.balloons], boxes)) == 3, boxes
    assert len(boxes) == 3, boxes
