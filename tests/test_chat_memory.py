"""Memory-grounded answers in the chat: a volume read into the catalogue, rebuilt and remembered (Chroma on
disk, hash embedder for speed), then asked about in the chat, with provenance down to the page."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from agent.chat.app import ChatApp
from agent.chat.commands import handle
from memory.ingest import remember_profile, remember_story
from memory.store import MemoryStore
from tests.memory_fixtures import fill_catalogue, load_volume
from tools.ingest.catalogue import Catalogue
from tools.series.profile import load_profile
from tools.settings import load_settings
from tools.story.reconstruct import reconstruct_volume

pytestmark = pytest.mark.real  # Chroma on disk
VOLUME = "Tex di prova 1"


@pytest.fixture
def remembered(isolated_home):
    """NUVOLA_HOME with the test volume remembered, and settings that open that memory."""
    settings = load_settings(models={"embedder": "fake"})
    with Catalogue.open(settings) as catalogue:
        fill_catalogue(catalogue, load_volume())
        story = reconstruct_volume(catalogue, VOLUME, settings, use_llm=False)
    store = MemoryStore.open(settings)
    remember_story(store, story)
    remember_profile(store, load_profile("tex"))
    return settings


def ask(settings, *questions: str) -> str:
    out = io.StringIO()
    app = ChatApp(settings, Console(file=out, width=220, color_system=None))
    session = app.new()
    assert session.store is not None
    for question in questions:
        handle(session, question)
    session.close()
    return out.getvalue()


def test_what_we_know_of_mefisto_comes_with_volume_and_page(remembered):
    said = ask(remembered, "cosa sappiamo di Mefisto?")
    assert "Dal profilo della serie (tools/series/profiles/tex.yaml)" in said
    assert "Dalla memoria" in said and "LE MIE OMBRE" in said.upper()
    assert f"({VOLUME}, p. 8, balloon" in said, "a remembered line shows its volume and page"
    assert "profile:tex" not in said, "the profile is quoted from the profile, not twice from memory"


def test_how_kit_carson_talks_from_the_lines_remembered(remembered):
    said = ask(remembered, "come parla Kit Carson?")
    assert "borbotta e protesta" in said and "Battute che la memoria ricorda" in said
    remembered_part = said.split("Battute che la memoria ricorda")[1]
    assert "BISTECCA" in remembered_part.upper() and f"{VOLUME}, p." in remembered_part


def test_a_topic_outside_the_profile_is_searched_in_memory(remembered):
    said = ask(remembered, "what do we know about the saloon in Tucson?")
    assert "From memory" in said and VOLUME in said
    said = ask(remembered, "cosa sappiamo di Zagor?")
    assert (
        "Non so niente di Zagor" not in said
    )  # memory is open: it answers from what it holds, or says it has nothing
    assert "Dalla memoria" in said or "La memoria non ha niente su Zagor" in said
