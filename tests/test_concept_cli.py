"""The concept workflow driven through the CLI on generated pages (tiny, CPU): scenes -> train-elements ->
train-style -> stylize with the Comic Book Loss; the BCE term falls and consistency improves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from cli.main import cli


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One torch thread (fastest on a shared CPU), restored afterwards for other areas' tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # rich wraps long lines


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated data and networks trained by the CLI into a data home."""
    root = tmp_path_factory.mktemp("concept")
    home = root / "home"
    data = root / "data"
    out = run(
        "concept",
        "scenes",
        str(data),
        "--pages",
        "8",
        "--concept-panels",
        "10",
        "--size",
        "48",
        "--seed",
        "2",
    )
    assert "corpus" in out
    labels = str(data / "corpus" / "labels.yaml")
    out = run(
        "--home",
        str(home),
        "concept",
        "train-elements",
        "--labels",
        labels,
        "--size",
        "48",
        "--epochs",
        "15",
        "--width",
        "8",
    )
    assert "held-out scores" in out and "tex" in out and "tiger" in out
    out = run(
        "--home",
        str(home),
        "concept",
        "train-style",
        "--labels",
        labels,
        "--size",
        "48",
        "--epochs",
        "6",
        "--width",
        "8",
    )
    assert "saved" in out
    return {"home": home, "data": data, "root": root}


def test_training_writes_checkpoints_reports_and_plots(trained: dict[str, Path]) -> None:
    concept = trained["home"] / "concept"
    for name in (
        "elements.pt",
        "elements.report.json",
        "elements.losses.png",
        "style.pt",
        "style.losses.png",
    ):
        assert (concept / name).is_file(), name
    report = json.loads((concept / "elements.report.json").read_text())
    assert report["train_panels"] + report["val_panels"] == 48
    assert {s["element"] for s in report["scores"]} == {"tex", "tiger"}
    assert all(0.0 <= s["accuracy"] <= 1.0 for s in report["scores"])


def test_stylize_with_comic_book_loss_improves_consistency(trained: dict[str, Path]) -> None:
    concept = trained["data"] / "concept"
    out = trained["root"] / "stylized"
    text = run(
        "--home",
        str(trained["home"]),
        "concept",
        "stylize",
        str(concept / "sketches"),
        "--elements",
        str(concept / "script.json"),
        "--out",
        str(out),
        "--steps",
        "60",
        "--lr",
        "1e-3",
    )
    assert "consistency before → after" in text
    report = json.loads((out / "report.json").read_text())
    before, after = report["before"], report["after"]
    assert after["mean_bce"] < before["mean_bce"]
    bce = report["history"]["bce"]
    assert len(bce) == 60 and np.mean(bce[-10:]) < np.mean(bce[:10])  # the BCE term falls while training
    for b, a in zip(before["elements"], after["elements"], strict=True):
        gap_before = b["mean_p_present"] - b["mean_p_absent"]
        gap_after = a["mean_p_present"] - a["mean_p_absent"]
        assert gap_after > gap_before, b["element"]
    assert len(list((out / "panels").glob("*.png"))) == 10 and len(list((out / "before").glob("*.png"))) == 10
    for name in ("losses.png", "strip.png", "style-finetuned.pt", "script.json"):
        assert (out / name).is_file(), name
    script = json.loads((out / "script.json").read_text())
    art = script["pages"][0]["tiers"][0]["panels"][0]["art_path"]
    assert Path(art).is_file() and Path(art).parent == (out / "panels").resolve()


def test_stylize_from_a_yaml_prior_goes_on_past_a_bad_sketch(trained: dict[str, Path]) -> None:
    concept = trained["data"] / "concept"
    sketches = trained["root"] / "sketches-with-junk"
    sketches.mkdir()
    for png in sorted((concept / "sketches").glob("*.png"))[:3]:
        (sketches / png.name).write_bytes(png.read_bytes())
    (sketches / "p1-t1-2.png").write_bytes(b"not an image")
    out = trained["root"] / "yaml-out"
    text = run(
        "--home",
        str(trained["home"]),
        "concept",
        "stylize",
        str(sketches),
        "--elements",
        str(concept / "elements.yaml"),
        "--out",
        str(out),
        "--steps",
        "2",
    )
    assert "not a readable image" in text and "p1-t1-2.png" in text
    report = json.loads((out / "report.json").read_text())
    assert report["panels"] == ["p1-t1-1", "p1-t2-1"]
    assert np.array(report["prior"]).shape == (2, 2) and not (out / "script.json").exists()


def test_user_errors_name_the_file_and_the_fix(trained: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("elements: [kit]\npanels: []\n")
    result = CliRunner().invoke(
        cli,
        [
            "--home",
            str(trained["home"]),
            "concept",
            "stylize",
            str(tmp_path),
            "--elements",
            str(bad),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code != 0 and "not known to the classifier" in str(result.exception)
    result = CliRunner().invoke(
        cli,
        [
            "--home",
            str(tmp_path / "empty-home"),
            "concept",
            "stylize",
            str(tmp_path),
            "--elements",
            str(bad),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert "train-elements" in str(result.exception)
    result = CliRunner().invoke(cli, ["concept", "train-elements"])
    assert result.exit_code == 2 and "exactly one of --labels" in result.output


def test_label_from_the_catalogue_and_from_reference_drawings(tmp_path: Path) -> None:
    from tools.concept.images import save_gray
    from tools.concept.labels import load_labels
    from tools.ingest.catalogue import BalloonRecord, Catalogue, PageRecord, PanelRecord

    home = tmp_path / "home"
    save_gray(home / "pages" / "p.png", np.full((60, 120), 255, np.uint8))
    cat = Catalogue(home / "catalogue.sqlite")
    vol = cat.ensure_volume("tex-001")
    cat.add_page(
        PageRecord("p", vol.id, 0, "p.png", "pages/p.png", 120, 60),
        [PanelRecord("p:1", "p", 0, 0, 0, 60, 60, []), PanelRecord("p:2", "p", 1, 60, 0, 60, 60, [])],
        [
            BalloonRecord("p:b1", "p", "p:1", 0, "speech", 10, 5, 20, 10, speaker="Bill"),
            BalloonRecord("p:b2", "p", "p:2", 1, "speech", 70, 5, 20, 10, speaker="AQUILA DELLA NOTTE"),
        ],
    )
    cat.close()
    base = ["--home", str(home), "concept", "label", "--from-catalogue", "tex-001"]
    # the series profile knows "Aquila della Notte" is Tex; aliases rename a speaker or a profile name
    out = run(*base, "--alias", "Bill=villain", "--alias", "Tex=hero", "--out", str(tmp_path / "cat.yaml"))
    assert "2 panels (villain 1, hero 1)" in out
    labels = load_labels(tmp_path / "cat.yaml")
    assert [p.elements for p in labels.panels] == [["villain"], ["hero"]]
    crops = str(home / "concept" / "crops")
    assert Path(labels.panels[1].image).is_file() and crops in labels.panels[1].image
    result = CliRunner().invoke(cli, [*base, "--alias", "Bill", "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "NAME=ELEMENT" in result.output

    for folder in ("tex", "none"):
        save_gray(tmp_path / "refs" / folder / "a.png", np.full((8, 8), 255, np.uint8))
    out = run("concept", "label", "--refs", str(tmp_path / "refs"), "--out", str(tmp_path / "refs.yaml"))
    assert "2 panels (tex 1)" in out
    assert all(Path(p.image).is_absolute() for p in load_labels(tmp_path / "refs.yaml").panels)
