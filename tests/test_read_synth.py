"""The synthetic page generator: truth format, determinism, Bonelli lettering, degradations."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from tools.synth import TRUTH_FILE, generate_volume
from tools.synth.degrade import Degradation, degrade_page
from tools.synth.layout import PAGE_RATIO
from tools.synth.lettering import bonelli_caps, letter_block, lettering_font, normalised_text
from tools.synth.story import SCENES, speakers


def test_bonelli_caps_letters_accents_with_apostrophes():
    assert bonelli_caps("Perché è già più tardi…") == "PERCHE' E' GIA' PIU' TARDI..."
    assert bonelli_caps("Un po' d'acqua") == "UN PO' D'ACQUA"
    assert normalised_text("Perché  è\ngià qui…") == "PERCHÉ È GIÀ QUI..."


def test_lettering_hyphenates_long_words_across_lines():
    font = lettering_font(24)
    block = letter_block(
        bonelli_caps("Duecento fucili a ripetizione spariti nel nulla, Washington vorrà la mia testa"),
        font,
        180,
    )
    assert any(line.endswith("-") for line in block.lines)
    joined = "".join(line[:-1] if line.endswith("-") else line + " " for line in block.lines)
    assert " ".join(joined.split()) == bonelli_caps(
        "Duecento fucili a ripetizione spariti nel nulla, Washington vorrà la mia testa"
    )
    assert all(font.getlength(line) <= 180 for line in block.lines if " " in line)


def test_story_bank_has_captions_heroes_and_villains():
    assert {"Tex", "Kit Carson", "Tiger Jack", "Kit Willer", "Cuervo"} <= set(speakers())
    assert any(scene.caption.upper().startswith("INTANTO, AL FORTE") for scene in SCENES)
    assert sum(len(scene.lines) for scene in SCENES) >= 70


def test_volume_truth_matches_contract_and_is_deterministic(tmp_path):
    truth_path = generate_volume(tmp_path / "a", pages=3, seed=5, height=700)
    again = generate_volume(tmp_path / "b", pages=3, seed=5, height=700)
    truth = json.loads(truth_path.read_text())
    assert truth_path.name == TRUTH_FILE and set(truth) == {"pages", "balloons", "meta"}
    assert list(truth["pages"]) == ["page_001.png", "page_002.png", "page_003.png"]
    for name, panels in truth["pages"].items():
        image = Image.open(tmp_path / "a" / name)
        assert abs(image.width / image.height - PAGE_RATIO) < 0.01
        assert all(len(box) == 4 and box[2] > 0 and box[3] > 0 for box in panels)
        for balloon in truth["balloons"][name]:
            assert set(balloon) == {"bbox", "panel", "kind", "lines", "text", "speaker", "tail"}
            assert (balloon["speaker"] is None) == (balloon["kind"] == "caption")
            assert 0 <= balloon["panel"] < len(panels)
        digest = hashlib.sha256((tmp_path / "a" / name).read_bytes()).hexdigest()
        assert digest == hashlib.sha256((tmp_path / "b" / name).read_bytes()).hexdigest()
    assert truth == json.loads(again.read_text())
    first = truth["balloons"]["page_001.png"][0]
    assert first["kind"] == "caption" and first["text"].startswith("ARIZONA")


def test_volume_reads_the_story_in_order(tmp_path):
    truth = json.loads(generate_volume(tmp_path, pages=4, seed=2, height=700).read_text())
    texts = [b["text"] for name in truth["balloons"] for b in truth["balloons"][name]]
    bank = [normalised_text(beat.text) for scene in SCENES for beat in scene.beats]
    assert texts == bank[: len(texts)] and len(texts) >= 12


def test_skew_degradation_moves_the_truth_with_the_pixels():
    page = Image.new("L", (400, 500), 255)
    page.paste(0, (300, 100, 306, 106))
    skewed, mapping = degrade_page(page, [Degradation("skew", 2.0)], np.random.default_rng(0))
    ys, xs = np.nonzero(np.asarray(skewed) < 128)
    x, y = mapping(303, 103)
    assert abs(xs.mean() - x) < 1.5 and abs(ys.mean() - y) < 1.5


def test_degraded_pages_differ_but_keep_the_layout(tmp_path):
    clean = json.loads(generate_volume(tmp_path / "c", pages=2, seed=9, height=600).read_text())
    rough = json.loads(generate_volume(tmp_path / "d", pages=2, seed=9, height=600, degrade=True).read_text())
    assert len(clean["pages"]["page_001.png"]) == len(rough["pages"]["page_001.png"])
    assert rough["meta"]["page_info"]["page_001.png"]["degradations"]
    a = np.asarray(Image.open(tmp_path / "c" / "page_001.png").convert("L"), dtype=int)
    b = np.asarray(Image.open(tmp_path / "d" / "page_001.png").convert("L"), dtype=int)
    assert np.abs(a - b).mean() > 1.0


def _ink_share_along(gray: np.ndarray, box: list[int], band: int) -> float:
    """Share of positions along a box's four sides with a dark pixel within `band` px of the side
    (balloons, heads breaking out and an overlapping neighbour hide some of a frame)."""
    x, y, w, h = box
    dark = gray < 110
    hits = total = 0
    for i in range(x + band, x + w - band, 3):
        for edge in (y, y + h - 1):
            hits += bool(dark[max(0, edge - band) : edge + band + 1, i].any())
            total += 1
    for j in range(y + band, y + h - band, 3):
        for edge in (x, x + w - 1):
            hits += bool(dark[j, max(0, edge - band) : edge + band + 1].any())
            total += 1
    return hits / max(1, total)


def test_scan_like_truth_follows_the_drawn_frames(tmp_path):
    from tools.synth.scanlike import generate_scan_like

    truth_path = generate_scan_like(
        tmp_path, pages=3, seed=11, kinds=("bonelli", "franco-belgian", "strip"), dpis=(150,)
    )
    truth = json.loads(truth_path.read_text())
    assert set(truth) == {"pages", "balloons", "page_types", "meta"}
    assert (
        truth["meta"]["generator"] == "nuvola synth --scan-like" and "not accuracy" in truth["meta"]["note"]
    )
    checked = 0
    for name, panels in truth["pages"].items():
        image = Image.open(tmp_path / name)
        gray = np.asarray(image.convert("L"))
        info = truth["meta"]["page_info"][name]
        assert truth["page_types"][name] == info["kind"] and info["dpi"] == 150 and info["degradations"]
        for box, style in zip(panels, info["frames"], strict=True):
            assert (
                box[0] >= 0
                and box[1] >= 0
                and box[0] + box[2] <= image.width
                and box[1] + box[3] <= image.height
            )
            if style in ("inked", "broken"):
                band = max(3, round(0.006 * image.height))
                assert _ink_share_along(gray, box, band) >= (0.7 if style == "inked" else 0.5), (
                    name,
                    box,
                    style,
                )
                checked += 1
        for balloon in truth["balloons"][name]:
            assert {"bbox", "panel", "kind", "lines", "text", "speaker", "tail", "style"} <= set(balloon)
            assert 0 <= balloon["panel"] < len(panels) and balloon["lines"] and balloon["text"]
    assert checked >= 5


def test_scan_like_pages_are_seeded_and_keep_the_default_generator(tmp_path):
    from tools.synth.scanlike import generate_scan_like

    a = generate_scan_like(tmp_path / "a", pages=1, seed=4, kinds=("strip",), dpis=(150,))
    b = generate_scan_like(tmp_path / "b", pages=1, seed=4, kinds=("strip",), dpis=(150,))
    assert json.loads(a.read_text()) == json.loads(b.read_text())
    digest = hashlib.sha256((tmp_path / "a" / "scan_001.png").read_bytes()).hexdigest()
    assert digest == hashlib.sha256((tmp_path / "b" / "scan_001.png").read_bytes()).hexdigest()
    strip = Image.open(tmp_path / "a" / "scan_001.png")
    assert strip.width > 2.5 * strip.height  # a strip, 26 x 8.5 cm
    with pytest.raises(ValueError, match="page kinds"):
        generate_scan_like(tmp_path / "c", pages=1, kinds=("manga",))


def test_synth_scan_like_command(tmp_path):
    from click.testing import CliRunner

    from cli.main import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["synth", str(tmp_path / "s"), "--scan-like", "-n", "1", "--kind", "strip"])
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "s" / "truth.json").read_text())
    assert truth["page_types"] == {"scan_001.png": "strip"} and truth["pages"]["scan_001.png"]
    wrong = runner.invoke(cli, ["synth", str(tmp_path / "t"), "--kind", "strip"])
    assert wrong.exit_code != 0 and "--scan-like" in wrong.output
