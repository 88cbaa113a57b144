"""The diffusion backend on a tiny random pipeline built here: img2img and ControlNet, best-of-N by BCE."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from tools.concept.nets import ElementNet, ElementNetConfig, save_elements
from tools.concept.synthetic import write_concept_set
from tools.errors import ModelLoadError

pytest.importorskip("diffusers")
pytestmark = pytest.mark.real


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One torch thread (fastest on a shared CPU), restored afterwards for other areas' tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests.tiny_models import build_tiny_controlnet, build_tiny_sd

    root = tmp_path_factory.mktemp("tiny-sd")
    torch.manual_seed(0)
    classifier = ElementNet(ElementNetConfig(elements=["tex", "tiger"], width=4, size=32))
    return {
        "sd": build_tiny_sd(root / "sd"),
        "controlnet": build_tiny_controlnet(root / "cn"),
        "classifier": save_elements(classifier, root / "elements.pt"),
        "concept": write_concept_set(root / "concept", panels=2, size=32, seed=3).root,
    }


def test_best_of_n_picks_the_lowest_bce(tiny: dict[str, Path]) -> None:
    from tools.concept.diffusion import DiffusionConfig, DiffusionStylizer, rank_candidates
    from tools.concept.images import letterbox, to_tensor
    from tools.concept.nets import load_elements

    stylizer = DiffusionStylizer(DiffusionConfig(model=tiny["sd"], steps=2, size=32))
    sketch = np.full((32, 40), 255, np.uint8)
    sketch[16, 4:36] = 0
    candidates = stylizer.candidates(sketch, "tex", n=3, seed=7)
    assert len(candidates) == 3 and all(c.shape == (32, 32) and c.dtype == np.uint8 for c in candidates)
    assert np.abs(candidates[0].astype(int) - candidates[1].astype(int)).mean() > 0  # different seeds
    again = stylizer.candidates(sketch, "tex", n=1, seed=7)
    assert np.array_equal(again[0], candidates[0])  # seeded
    classifier = load_elements(tiny["classifier"])
    best, scores = rank_candidates(classifier, candidates, np.array([1.0, 0.0]))
    with torch.no_grad():
        p = torch.sigmoid(classifier(to_tensor([letterbox(c, 32)[0] for c in candidates]))).numpy()
    manual = -(np.log(p[:, 0]) + np.log(1 - p[:, 1]))
    assert np.allclose(scores, manual, rtol=1e-4) and best == int(np.argmin(manual))


def test_missing_pipeline_folder_is_a_load_error(tmp_path: Path) -> None:
    from tools.concept.diffusion import DiffusionConfig, DiffusionStylizer

    with pytest.raises(ModelLoadError, match="no model_index.json"):
        DiffusionStylizer(DiffusionConfig(model=tmp_path)).pipeline()


@pytest.mark.parametrize("control", [False, True])
def test_cli_stylize_with_diffusion_selects_and_reports(
    tiny: dict[str, Path], tmp_path: Path, control: bool
) -> None:
    from cli.main import cli

    out = tmp_path / "out"
    args = [
        "concept",
        "stylize",
        str(tiny["concept"] / "sketches"),
        "--elements",
        str(tiny["concept"] / "script.json"),
        "--out",
        str(out),
        "--classifier",
        str(tiny["classifier"]),
        "--diffusers",
        str(tiny["sd"]),
        "--candidates",
        "2",
        "--diffusion-steps",
        "2",
        "--gen-size",
        "32",
    ]
    if control:
        args += ["--controlnet", str(tiny["controlnet"])]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["backend"].startswith("diffusers:") and len(report["panels"]) == 2
    for choice in report["settings"]["selection"]:
        assert choice["chosen"] == int(np.argmin(choice["bce"]))
    assert report["after"]["mean_bce"] <= report["before"]["mean_bce"] + 1e-6  # best-of-N never does worse
    assert sorted(p.name for p in (out / "panels").iterdir()) == ["p1-t1-1.png", "p1-t1-2.png"]
    script = json.loads((out / "script.json").read_text())
    assert script["pages"][0]["tiers"][0]["panels"][0]["art_path"].endswith("panels/p1-t1-1.png")
