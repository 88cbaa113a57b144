"""The reorganised code writes, chats and reads exactly as the code before it (golden files from main)."""

from __future__ import annotations

import json

import pytest

from tests.golden_runs import GOLDEN, chat_scenario, read_scenario, write_scenario


def golden(name: str) -> dict:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def same(result: dict) -> dict:
    """The result as it would be saved (JSON round trip: tuples become lists)."""
    return json.loads(json.dumps(result, ensure_ascii=False, sort_keys=True))


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch):
    monkeypatch.setenv("NUVOLA_MODELS__EMBEDDER", "fake")


def test_write_graph_writes_and_draws_the_golden_script(tmp_path, fake_llm):
    result = same(write_scenario(tmp_path, fake_llm))
    expected = golden("write_seed7.json")
    assert result["script"] == expected["script"]
    assert result["pages"] == expected["pages"]


def test_chat_through_the_cli_saves_the_golden_script(tmp_path):
    assert same(chat_scenario(tmp_path)) == golden("chat_cli.json")


@pytest.mark.real
def test_read_route_reads_the_golden_volume(tmp_path):
    pytest.importorskip("tesserocr", reason="tesserocr is not installed")
    assert same(read_scenario(tmp_path)) == golden("read_albo.json")
