"""The comic files of a rendered issue: pages at 16×21, CBZ with ordered pages and ComicInfo.xml, PDF, manifest."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tools.errors import InputFileError
from tools.render import RenderError, render_issue
from tools.render.comicinfo import SEQUENCE, ComicInfoError, validate_comicinfo
from tools.render.layout import page_size
from tools.render.samples import load_sample as sample_script


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("issue")
    return render_issue(sample_script(), out, dpi=100), out


def test_pages_are_bonelli_format_in_order(rendered) -> None:
    result, out = rendered
    assert [p.name for p in result.pages] == ["page_001.png", "page_002.png", "page_003.png"]
    for path in result.pages:
        with Image.open(path) as im:
            assert im.size == page_size(100)
            assert abs(im.width / im.height - 16 / 21) < 0.01
            assert im.mode == "RGB"
    assert not [p for p in out.rglob(".*")], "temporary files were left behind"


def test_cbz_holds_ordered_pages_and_valid_comicinfo(rendered) -> None:
    result, _ = rendered
    with zipfile.ZipFile(result.cbz) as archive:
        names = archive.namelist()
        assert names == ["001.png", "002.png", "003.png", "ComicInfo.xml"]
        assert archive.read("001.png") == result.pages[0].read_bytes()
        root = validate_comicinfo(archive.read("ComicInfo.xml"))
    fields = {child.tag: (child.text or "") for child in root}
    assert fields["Series"] == "Tex" and fields["Number"] == "1" and fields["Title"] == "Il carro bruciato"
    assert fields["LanguageISO"] == "it" and fields["PageCount"] == "3"
    assert fields["Summary"].startswith("Tex e Kit Carson") and fields["Writer"]
    assert fields["BlackAndWhite"] == "No"
    order = [SEQUENCE.index(child.tag) for child in root]
    assert order == sorted(order)
    pages = root.find("Pages")
    assert pages is not None
    assert [p.get("Image") for p in pages] == ["0", "1", "2"]
    assert pages[0].get("ImageSize") == str(result.pages[0].stat().st_size)


def test_pdf_has_one_page_per_page_at_print_size(rendered) -> None:
    import pypdfium2

    result, _ = rendered
    pdf = pypdfium2.PdfDocument(str(result.pdf))
    try:
        assert len(pdf) == len(result.pages)
        width_pt, height_pt = pdf[0].get_size()
        assert abs(width_pt / 72 * 25.4 - 160) < 1.5 and abs(height_pt / 72 * 25.4 - 210) < 1.5
    finally:
        pdf.close()


def test_manifest_reports_every_panel(rendered) -> None:
    result, out = rendered
    manifest = json.loads((out / "render.json").read_text("utf-8"))
    assert [p["id"] for p in manifest["panels"]] == [p.id for p in sample_script().panels]
    assert all(p["source"] == "storyboard" for p in manifest["panels"])
    assert manifest["files"] == {"cbz": "issue.cbz", "pdf": "issue.pdf", "html": "index.html"}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda xml: xml.replace(b"<Series>Tex</Series>", b"").replace(
                b"<Title>", b"<Series>Tex</Series><Title>"
            ),
            "out of schema order",
        ),
        (lambda xml: xml.replace(b"<PageCount>3</PageCount>", b"<PageCount>tre</PageCount>"), "integer"),
        (lambda xml: xml.replace(b"<Genre>", b"<Colour>x</Colour><Genre>"), "not a ComicInfo"),
        (lambda xml: xml.replace(b'Type="Story"', b'Type="Splash"', 1), "ComicPageType"),
    ],
)
def test_comicinfo_validator_rejects_schema_violations(rendered, mutate, message) -> None:
    result, _ = rendered
    with zipfile.ZipFile(result.cbz) as archive:
        xml = archive.read("ComicInfo.xml")
    with pytest.raises(ComicInfoError, match=message):
        validate_comicinfo(mutate(xml))


def test_no_color_keeps_black_and_white_and_removes_stale_pages(tmp_path: Path) -> None:
    script = sample_script()
    render_issue(script, tmp_path, dpi=60)
    script.pages = script.pages[:2]
    result = render_issue(script, tmp_path, color=False, dpi=60)
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == ["page_001.png", "page_002.png"]
    for path in result.pages:
        pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
        assert (
            np.abs(pixels[..., 0] - pixels[..., 1]).max() <= 2
            and np.abs(pixels[..., 1] - pixels[..., 2]).max() <= 2
        )
    with zipfile.ZipFile(result.cbz) as archive:
        assert b"<BlackAndWhite>Yes</BlackAndWhite>" in archive.read("ComicInfo.xml")


def test_a_failed_render_leaves_the_previous_one_whole(tmp_path: Path) -> None:
    script = sample_script()
    first = render_issue(script, tmp_path, color=False, dpi=60)
    before = {p.name: p.read_bytes() for p in first.pages}
    script.pages[2].tiers[0].panels[0].art_path = str(tmp_path / "missing.png")
    with pytest.raises(InputFileError, match="missing.png"):
        render_issue(script, tmp_path, dpi=60)  # would change every page's colours
    assert {p.name: p.read_bytes() for p in (tmp_path / "pages").iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_empty_plan_is_a_clear_error(tmp_path: Path) -> None:
    script = sample_script()
    script.pages = []
    with pytest.raises(RenderError, match="no pages"):
        render_issue(script, tmp_path)
    assert not (tmp_path / "issue.cbz").exists()
