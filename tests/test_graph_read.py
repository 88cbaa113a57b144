"""The reading route on generated pages (Tesseract, Chroma on disk), and writing grounded in what it read."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from agent.read.run import NothingToReadError, read_paths
from agent.runlog import read_run_log
from agent.runs import RunPaths
from agent.write.run import write_issue
from cli.main import cli
from tests.graph_fakes import WritingResponder
from tools.settings import load_settings

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"


@pytest.fixture
def fake_embedder(monkeypatch):
    monkeypatch.setenv("NUVOLA_MODELS__EMBEDDER", "fake")


@pytest.mark.real
def test_read_then_write_grounded_in_memory(tmp_path, fake_embedder, fake_llm):
    pytest.importorskip("tesserocr", reason="tesserocr is not installed")
    from tools.synth import generate_volume

    generate_volume(tmp_path / "albo", pages=2, seed=3, height=1000)
    result = CliRunner().invoke(
        cli, ["read", str(tmp_path / "albo"), "--volume", "albo", "--no-llm"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "read 1 volume(s): albo" in result.output and "memory" in result.output

    run_log = read_run_log(next((load_settings().home / "runs").glob("*/run_log.jsonl")))
    stages = [e["stage"] for e in run_log if e["kind"] == "node_end"]
    assert stages == ["ingest", "ocr:albo", "speakers:albo", "reconstruct:albo", "remember:albo", "finish"]

    fake_llm.responder = WritingResponder()
    write_issue(
        PLOT,
        1,
        tmp_path / "out",
        settings=load_settings(),
        run_id="grounded",
        models={role: fake_llm for role in ("narrator", "director", "voice")},
    )
    events = read_run_log(RunPaths.of(load_settings(), "grounded").run_log)
    assert any(e["kind"] == "memory" and e["status"] == "open" for e in events)
    scenes = [e for e in events if e["kind"] == "tool" and e["tool"] == "similar_scenes"]
    assert scenes and scenes[0]["results"] > 0, "the memory filled by `read` was not consulted"
    assert any("Scene simili già raccontate nella serie" in p for p in fake_llm.prompts)


def test_read_reports_unreadable_input(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(NothingToReadError, match="bad.png"):
        read_paths([bad], load_settings(), use_llm=False)
