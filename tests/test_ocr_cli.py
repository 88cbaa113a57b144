"""Driving `nuvola transcribe`, `nuvola ocr-set` and `nuvola eval ocr` on generated pages and a small catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from cli.main import cli


@pytest.fixture(scope="module")
def generated_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    from tools.synth import generate_volume

    out = tmp_path_factory.mktemp("synth")
    truth = json.loads(generate_volume(out, pages=1, seed=3).read_text(encoding="utf-8"))
    return out / "page_001.png", truth["balloons"]["page_001.png"]


@pytest.mark.real
def test_transcribe_prints_every_balloon_of_a_generated_page_exactly(generated_page) -> None:
    page, truth = generated_page
    result = CliRunner().invoke(cli, ["transcribe", str(page), "--engine", "tesseract", "--json"])
    assert result.exit_code == 0, result.output
    balloons = json.loads(result.output)["balloons"]
    assert [b["text"] for b in balloons] == [t["text"] for t in truth]
    assert all(set(b) >= {"text", "lines", "bbox", "speaker", "confidence"} for b in balloons)
    assert [b["speaker"] is None for b in balloons] == [t["kind"] == "caption" for t in truth]
    plain = CliRunner().invoke(cli, ["transcribe", str(page), "--engine", "tesseract", "--no-speakers"])
    assert plain.exit_code == 0 and truth[0]["text"] in plain.output


def test_transcribe_unknown_target_is_a_clear_error() -> None:
    result = CliRunner().invoke(cli, ["transcribe", "no-such-volume"])
    assert result.exit_code != 0 and "neither an image file nor an ingested volume" in result.output


def _catalogue_with_page(home: Path, page_image: Path, truth: list[dict]):
    from tools.ingest.catalogue import BalloonRecord, Catalogue, PageRecord, PanelRecord

    catalogue = Catalogue(home / "catalogue.sqlite")
    volume = catalogue.ensure_volume("synth-1")
    (home / "pages").mkdir(parents=True, exist_ok=True)
    Image.open(page_image).save(home / "pages" / "p1.png")
    page = PageRecord("p1", volume.id, 0, "page_001.png", "pages/p1.png", *Image.open(page_image).size)
    panels = [PanelRecord("p1:0", "p1", 0, 0, 0, page.width, page.height, [])]
    balloons = [
        BalloonRecord(f"p1:b{n}", "p1", "p1:0", n, t["kind"], *t["bbox"], *(t["tail"] or (None, None)))
        for n, t in enumerate(truth[:3])
    ]
    catalogue.add_page(page, panels, balloons)
    return catalogue


@pytest.mark.real
def test_volume_transcription_export_import_and_eval(
    generated_page, isolated_home: Path, tmp_path: Path
) -> None:
    page, truth = generated_page
    _catalogue_with_page(isolated_home, page, truth).close()
    runner = CliRunner()
    first = runner.invoke(cli, ["transcribe", "synth-1", "--engine", "tesseract"])
    assert first.exit_code == 0 and "3 balloons read" in first.output, first.output
    again = runner.invoke(cli, ["transcribe", "synth-1", "--engine", "tesseract"])
    assert "0 balloons read, 3 already transcribed" in again.output  # resumable

    from tools.ingest.catalogue import Catalogue

    with Catalogue(isolated_home / "catalogue.sqlite") as catalogue:
        stored = catalogue.balloons("p1")
    assert [b.text for b in stored] == [t["text"] for t in truth[:3]]
    assert stored[1].speaker is not None and stored[0].speaker is None  # a caption first, then speech

    exported = runner.invoke(cli, ["ocr-set", "export", "synth-1", "--out", str(tmp_path / "fix")])
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in (tmp_path / "fix" / "ocr-set.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and (tmp_path / "fix" / rows[0]["crop"]).is_file()
    rows[0]["text"] = truth[0]["text"]  # what a person's correction looks like
    rows.append({"id": "broken", "crop": "crops/none.png", "text": "X"})
    (tmp_path / "fix" / "ocr-set.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    imported = runner.invoke(
        cli, ["ocr-set", "import", str(tmp_path / "fix" / "ocr-set.jsonl"), "--name", "mine"]
    )
    assert (
        imported.exit_code == 0 and "imported 3 balloons" in imported.output and "skipped" in imported.output
    )

    report = runner.invoke(
        cli,
        [
            "eval",
            "ocr",
            "--set",
            "mine",
            "--engines",
            "tesseract,tesseract?mode=block",
            "--no-clean",
            "--no-speakers",
            "--limit",
            "3",
            "--peppercarrot",
            str(tmp_path / "absent"),
            "--json",
        ],
    )
    assert report.exit_code == 0, report.output
    data = json.loads(report.output[report.output.index("{") :])
    assert set(data["engines"]) == {"tesseract", "tesseract?mode=block", "ensemble"}
    assert data["balloons"] == 3 and data["engines"]["ensemble"]["cer"] < 0.05
    assert set(data["targets"]) == {"cleaned_cer", "ensemble_vs_best", "line_recall"}
    assert "skipped" in data["peppercarrot"]
    assert (isolated_home / "reports" / "ocr.json").is_file()
    table = runner.invoke(
        cli,
        [
            "eval",
            "ocr",
            "--set",
            "mine",
            "--engines",
            "tesseract,tesseract?mode=block",
            "--no-clean",
            "--no-speakers",
            "--limit",
            "2",
            "--peppercarrot",
            str(tmp_path / "absent"),
        ],
    )
    assert table.exit_code == 0 and "Targets" in table.output and "line recall" in table.output


def test_import_of_a_missing_or_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    runner = CliRunner()
    from tools.errors import InputFileError
    from tools.ocr.valset import import_set
    from tools.settings import load_settings

    with pytest.raises(InputFileError, match="no such file"):
        import_set(tmp_path / "none.jsonl", "x", load_settings())
    empty = tmp_path / "empty.csv"
    empty.write_text("id,crop,text\n")
    with pytest.raises(InputFileError, match="no usable row"):
        import_set(empty, "x", load_settings())
    assert runner.invoke(cli, ["eval", "ocr", "--set", "nope", "--no-speakers"]).exit_code != 0


@pytest.mark.real
def test_transcribe_reads_a_lone_panel_image(generated_page, tmp_path: Path) -> None:
    page, truth = generated_page
    panel = next(t["panel"] for t in truth if t["kind"] == "speech")
    in_first_panel = [t for t in truth if t["panel"] == panel]
    from tools.synth import TRUTH_FILE

    panels = json.loads((page.parent / TRUTH_FILE).read_text(encoding="utf-8"))["pages"][page.name]
    x, y, w, h = panels[panel]
    Image.open(page).crop((x - 10, y - 10, x + w + 10, y + h + 10)).save(tmp_path / "panel.png")
    result = CliRunner().invoke(
        cli, ["transcribe", str(tmp_path / "panel.png"), "--engine", "tesseract", "--json"]
    )
    assert result.exit_code == 0, result.output
    balloons = json.loads(result.output)["balloons"]
    assert [b["text"] for b in balloons] == [t["text"] for t in in_first_panel] and balloons
    bx, by = balloons[0]["bbox"][:2]
    assert (
        abs(bx - (in_first_panel[0]["bbox"][0] - x + 10)) < 12
        and abs(by - (in_first_panel[0]["bbox"][1] - y + 10)) < 12
    )
