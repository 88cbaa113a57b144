"""`nuvola render` driven from the command line, and the storyboard artist's composition rules."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import cli
from tools.comic_script import Figure, PanelSpec
from tools.render.art import ArtContext
from tools.render.artists import get_artist
from tools.render.samples import load_sample, sample_path
from tools.render.storyboard import FRAMINGS, StoryboardArtist


def test_render_command_writes_the_comic(tmp_path: Path) -> None:
    script = load_sample()
    script.pages = script.pages[:1]
    plan = tmp_path / "script.json"
    plan.write_text(script.model_dump_json(), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["render", str(plan), "--out", str(out), "--no-color", "--dpi", "72", "--bonelli-accents"]
    )
    assert result.exit_code == 0, result.output
    assert "issue.cbz" in result.output and "index.html" in result.output
    with zipfile.ZipFile(out / "issue.cbz") as archive:
        assert archive.namelist() == ["001.png", "ComicInfo.xml"]
    assert (out / "issue.pdf").is_file() and (out / "pages" / "page_001.png").is_file()
    assert "LAGGIU'" in (out / "render.json").read_text("utf-8")  # Bonelli accents reached the lettering


def test_user_art_is_used_for_its_panel(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    sketch = Image.new("L", (200, 100), 255)
    ImageDraw.Draw(sketch).ellipse((60, 10, 140, 90), fill=0)
    sketch.save(tmp_path / "schizzo.png")
    script = load_sample()
    script.pages = script.pages[:1]
    script.pages[0].tiers[0].panels[0].art_path = "schizzo.png"  # relative to the script's folder
    (tmp_path / "script.json").write_text(script.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "render",
            str(tmp_path / "script.json"),
            "--out",
            str(tmp_path / "out"),
            "--no-color",
            "--dpi",
            "72",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = (tmp_path / "out" / "render.json").read_text("utf-8")
    assert f'"source": "user:{tmp_path / "schizzo.png"}"' in manifest
    page = np.asarray(Image.open(tmp_path / "out" / "pages" / "page_001.png").convert("L"))
    box = json.loads(manifest)["panels"][0]["box"]
    x, y, w, h = box
    assert page[y + h // 2, x + w // 2] < 60, "the user's black disc should fill the middle of the panel"
    script.pages[0].tiers[0].panels[0].art_path = str(tmp_path / "missing.png")
    (tmp_path / "script.json").write_text(script.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["render", str(tmp_path / "script.json"), "--out", str(tmp_path / "out2")]
    )
    assert result.exit_code != 0 and "missing.png" in str(result.exception)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("{not json", "not JSON"), ('{"title": 3}', "not an issue script")],
)
def test_render_command_names_the_bad_file(tmp_path: Path, content: str | None, message: str) -> None:
    plan = tmp_path / "plan.json"
    if content is not None:
        plan.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", str(plan), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert message in str(result.exception) and str(plan) in str(result.exception)
    assert not (tmp_path / "out").exists()


def test_render_command_refuses_remix_without_an_archive(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["render", sample_path(), "--out", str(tmp_path), "--artist", "remix"])
    assert result.exit_code != 0 and "nuvola ingest" in str(result.exception)


def test_figures_stand_where_planned_and_shots_frame_them() -> None:
    artist, size = StoryboardArtist(), (300, 360)
    heights = []
    for shot in FRAMINGS:
        if shot == "dettaglio":
            continue
        panel = PanelSpec(
            id=f"p1-t1-{len(heights)}",
            shot=shot,
            figures=[Figure(name="Tex", x=0.25), Figure(name="Kit Carson", x=0.75)],
        )
        art = artist.draw(panel, size, ArtContext())
        assert [f.name for f in art.figures] == ["Tex", "Kit Carson"]
        tex, kit = art.figures
        assert tex.mouth[0] < kit.mouth[0], f"{shot}: Tex should stand left of Kit Carson"
        assert {t.owner for t in art.tags.values()} >= {"Tex", "Kit Carson", "scene"}
        assert len(art.label_boxes) == 2  # both names written on the sketch
        heights.append(tex.span[1])
    assert heights == sorted(heights), "closer shots must show bigger figures"


def test_storyboard_is_deterministic_and_reaches_the_edges() -> None:
    panel = load_sample().panels[0]
    a = StoryboardArtist().draw(panel, (400, 200), ArtContext(seed=1))
    b = get_artist("storyboard").draw(panel, (400, 200), ArtContext(seed=1))
    c = StoryboardArtist().draw(panel, (400, 200), ArtContext(seed=2))
    assert a.image.tobytes() == b.image.tobytes() and a.image.tobytes() != c.image.tobytes()
    ink = np.asarray(a.image) < 128
    assert 0.01 < ink.mean() < 0.35, "a sketch is neither empty nor a black blot"
