"""References drawn from the catalogue and the memory (contracts 1 and 4), with the fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from evals.reference import MemoryQuery, ReferenceError, load_reference
from evals.voices import evaluate_voices
from memory.ingest import remember_story
from memory.store import MemoryStore
from tests.memory_fixtures import fill_catalogue, load_volume
from tests.test_evals_cli import make_script, write_run
from tools.errors import UnknownVolumeError
from tools.ingest.catalogue import Catalogue
from tools.settings import load_settings
from tools.story.reconstruct import reconstruct_volume

VOLUME = "Tex di prova 1"


@pytest.fixture
def settings(isolated_home: Path):  # type: ignore[no-untyped-def]
    """A home whose catalogue holds the test volume and whose memory remembers it."""
    settings = load_settings(home=isolated_home, models={"embedder": "fake", "narrator": "fake"})
    with Catalogue.open(settings) as catalogue:
        fill_catalogue(catalogue, load_volume())
        story = reconstruct_volume(catalogue, VOLUME, settings, use_llm=False)
    remember_story(MemoryStore.open(settings), story)
    return settings


def test_catalogue_and_memory_references(settings) -> None:  # type: ignore[no-untyped-def]
    pages = load_volume()["pages"]
    catalogue = load_reference("catalogue:", settings)
    assert catalogue.panels_per_page == [len(p["panels"]) for p in pages]
    assert (
        sum(catalogue.balloons_per_panel or [])
        == len(catalogue.balloons)
        == sum(len(b) for p in pages for b in p["panels"])
    )
    assert catalogue.balloons[0].drawn == "ALL'ALBA, AL FORTE..."
    memory = load_reference("memory:", settings)
    spoken = [b for b in memory.balloons if b.speaker]
    assert spoken and all(b.drawn.isupper() or not any(c.isalpha() for c in b.drawn) for b in spoken)
    assert not any("«" in b.text for b in memory.balloons)  # the words of the line, not the embedded document
    tex = load_reference("memory:character=Tex&kind=line", settings)
    assert tex.balloons and {b.speaker for b in tex.balloons} == {"Tex"}
    with pytest.raises(ReferenceError, match="unknown memory filter"):
        MemoryQuery.parse("memory:colour=red")
    with pytest.raises(UnknownVolumeError, match="Tex 999"):
        load_reference("catalogue:Tex 999", settings)


def test_voices_from_memory_and_style_against_the_catalogue(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = [
        ("Tex", "Carson, prepara i cavalli: si parte all'alba."),
        ("Kit Carson", "Le mie vecchie ossa protestano!"),
        ("Tex", "Nessuno sfugge alla legge, Bradley."),
        ("Kit Carson", "Ho una fame da lupo, vecchio mio!"),
    ]
    report = evaluate_voices(settings, lines)
    assert report.reference_source == "memory" and {"Tex", "Kit Carson"} <= set(report.reference_lines)
    assert report.n_lines == 4
    write_run(settings.home, "r1", make_script(lines))
    result = CliRunner().invoke(
        cli,
        [
            "--model",
            "embedder=fake",
            "eval",
            "style",
            "--reference",
            "catalogue:",
            "--candidates",
            "r1",
            "--json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    fmt = json.loads(result.output)["candidates"][0]["format"]
    assert {"balloons_per_panel", "panels_per_page", "words_per_balloon"} <= set(fmt["measures"])
    assert fmt["measures"]["panels_per_page"]["candidate_mean"] == 6.0
