"""`nuvola eval read`: the ground-truth loaders (real per-page JSON, splits, generated volumes), page
scoring, intervals, and the command on a small generated set with its JSON and HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from evals.read import FoundBalloon, ReadReport, bootstrap, score_page
from evals.real_pages import load_gt_dir, load_real_pages, load_split
from tools.errors import InputFileError
from tools.synth import generate_volume


def _real_folder(tmp_path: Path) -> Path:
    """Two pages in the Pepper&Carrot per-page format, a split file and a panel GT file."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, balloons in (("X_P01", 1), ("X_P02", 0)):
        page = {
            "image": f"{name}.jpg",
            "page_type": "story",
            "balloons": [
                {"bbox": [10, 10, 50, 40], "body_bbox": [10, 10, 50, 30], "lines": ["CIAO", "TEX!"]}
            ][:balloons],
            "text_blocks_without_balloon": [{"bbox": [0, 0, 5, 5], "ink_bbox": [100, 100, 20, 10]}],
        }
        (folder / f"{name}.json").write_text(json.dumps(page))
    (tmp_path / "splits.json").write_text(json.dumps({"prefix": "X_", "dev": ["P01"], "frozen": ["P02"]}))
    (tmp_path / "panels_dev.json").write_text(json.dumps({"pages": {"X_P01.jpg": [[0, 0, 200, 100]]}}))
    return folder


def test_real_pages_follow_the_split_and_carry_panel_truth(tmp_path: Path) -> None:
    folder = _real_folder(tmp_path)
    assert load_split(tmp_path / "splits.json") == {"dev": ["X_P01"], "frozen": ["X_P02"]}
    dev = load_real_pages(folder, "dev", splits_file=tmp_path / "splits.json", panels_dir=tmp_path)
    assert [p.name for p in dev.pages] == ["X_P01"]
    page = dev.pages[0]
    assert page.panels == [[0, 0, 200, 100]] and page.balloons[0].text == "CIAO TEX!"
    assert page.balloons[0].boxes == [[10, 10, 50, 30], [10, 10, 50, 40]]
    assert page.text_blocks == [[100, 100, 20, 10]]
    frozen = load_real_pages(folder, "frozen", splits_file=tmp_path / "splits.json", panels_dir=tmp_path)
    assert [p.name for p in frozen.pages] == ["X_P02"] and frozen.pages[0].panels is None
    assert "split 'frozen'" in frozen.provenance


def test_bad_ground_truth_names_the_file(tmp_path: Path) -> None:
    folder = _real_folder(tmp_path)
    (folder / "X_P03.json").write_text("{not json")
    with pytest.raises(InputFileError, match="X_P03.json"):
        load_real_pages(folder, "all", splits_file=None, panels_dir=None)
    with pytest.raises(InputFileError, match="unknown split"):
        load_real_pages(folder, "test")
    with pytest.raises(InputFileError, match="not found"):
        load_gt_dir(tmp_path / "missing")


def test_score_page_counts_misses_text_and_phantoms(tmp_path: Path) -> None:
    page = load_real_pages(_real_folder(tmp_path), "dev", splits_file=tmp_path / "splits.json").pages[0]
    found = [
        FoundBalloon([11, 10, 49, 31], "speech", "CIAO TEX", lines=["CIAO", "TEX"]),
        FoundBalloon([100, 100, 20, 10], "caption", "BANG"),  # other lettering: not a phantom
        FoundBalloon([300, 300, 40, 40], "speech", "?"),  # nothing there: a phantom
    ]
    result = score_page(page, [[0, 0, 200, 100]], found, 0.5)
    assert result.matches == [(0, 0)] and result.phantoms == 1
    assert result.errors.char_errors == 1 and result.errors.chars == len("CIAO TEX!")
    missed = score_page(page, [], [], 0.1)
    assert missed.errors.cer == 1.0 and missed.texts == [("CIAO TEX!", "")]
    report = ReadReport("t", "dev", "", "none", [result, missed])
    assert report.balloons().recall == 0.5 and report.balloons().precision == pytest.approx(1 / 3)
    low, high = bootstrap(report.pages, lambda pages: report.balloons(pages).recall, rounds=200)
    assert 0.0 <= low <= 0.5 <= high <= 1.0


def test_eval_read_command_on_generated_pages(tmp_path: Path) -> None:
    generate_volume(tmp_path / "gen", pages=2, seed=7)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "read",
            "--gt",
            str(tmp_path / "gen"),
            "--text-detector",
            "none",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    overall = data["overall"]
    assert data["split"] == "generated" and overall["pages"] == 2
    assert overall["panels"]["f1"] >= 0.9 and overall["balloons"]["recall"] >= 0.9
    assert overall["text"]["cer"] <= 0.05
    assert json.loads((out / "report.json").read_text())["overall"] == overall
    html = (out / "index.html").read_text()
    assert html.count("<img ") == 2 and (out / "page_001.jpg").is_file()


def test_eval_read_rejects_a_folder_without_ground_truth(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["eval", "read", "--gt", str(tmp_path / "empty")])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputFileError) and "no per-page ground truth" in str(
        result.exception
    )


@pytest.mark.real
def test_eval_read_and_transcribe_take_the_balloon_reader(tmp_path: Path) -> None:
    """`--reader` picks how balloons with detected lines are read; the report says which was used."""
    generate_volume(tmp_path / "gen", pages=1, seed=7)
    args = ["eval", "read", "--gt", str(tmp_path / "gen"), "--text-detector", "rapidocr", "--json"]
    result = CliRunner().invoke(cli, [*args, "--reader", "detector", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["balloon_reader"] == "detector" and data["overall"]["text"]["cer"] <= 0.05
    page = next((tmp_path / "gen").glob("*.png"))
    bad = CliRunner().invoke(cli, ["transcribe", str(page), "--reader", "magic"])
    assert bad.exit_code == 2 and "magic" in bad.output
