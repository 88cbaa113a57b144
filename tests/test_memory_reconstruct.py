"""Narrative reconstruction from a transcribed volume filled through the Catalogue API (fake models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from memory.ingest import remember_story
from memory.store import MemoryStore
from tests.memory_fixtures import fill_catalogue, load_volume
from tools.errors import UnknownVolumeError
from tools.ingest.catalogue import Catalogue
from tools.settings import load_settings
from tools.story.reconstruct import NothingTranscribedError, reconstruct_volume, vocative
from tools.story.summarise import parse_sentence, parse_verdict


@pytest.fixture
def settings(isolated_home: Path):
    return load_settings(home=isolated_home, models={"embedder": "fake", "narrator": "fake"})


@pytest.fixture
def catalogue(settings):
    with Catalogue.open(settings) as cat:
        fill_catalogue(cat, load_volume())
        yield cat


VOLUME = "Tex di prova 1"


def test_rules_find_cue_scenes_and_the_cast_change(catalogue, settings) -> None:
    story = reconstruct_volume(catalogue, VOLUME, settings, use_llm=False)
    spans = [(s.first_page, s.last_page) for s in story.scenes]
    assert spans == [(0, 0), (1, 1), (2, 3), (4, 4), (5, 6), (7, 7)]
    assert [s.place for s in story.scenes[:3]] == ["forte", "Tucson", "pista"]
    assert (story.scenes[0].time, story.scenes[4].time, story.scenes[4].place) == ("alba", "sera", "saloon")
    assert story.scenes[5].cue == "" and story.scenes[5].cast[:2] == ["Mefisto", "Yama"]
    assert all(s.summary_source == "extractive" and s.summary for s in story.scenes)


def test_lines_keep_provenance_speakers_and_addressees(catalogue, settings) -> None:
    story = reconstruct_volume(catalogue, VOLUME, settings, use_llm=False)
    threat = next(ln for ln in story.lines if "ammazzerò" in ln.text)
    assert threat.text == "Ti ammazzerò con le mie mani, Tex!"
    assert threat.lettering == "TI AMMAZZERÒ CON LE MIE MANI, TEX!"
    assert (threat.speaker, threat.addressee, threat.page_index) == ("Bradley", "Tex", 5)
    page = catalogue.pages(VOLUME)[5]
    assert threat.page_id == page.id and threat.image_path == page.image_path
    assert threat.balloon_id in {b.id for b in catalogue.balloons(page.id)}
    assert {ln.speaker for ln in story.lines if ln.speaker} >= {"Kit Carson", "Kit Willer", "Tiger Jack"}
    assert story.cast[0] == "Tex"


def test_character_voices_measure_the_lines(catalogue, settings) -> None:
    story = reconstruct_volume(catalogue, VOLUME, settings, use_llm=False)
    voices = {v.name: v for v in story.characters}
    kit = voices["Kit Willer"]
    assert kit.line_count == 4 and "papà" in kit.frequent_expressions
    assert kit.exclamation_rate == 0.5 and kit.question_rate == 0.25
    carson = voices["Kit Carson"]
    assert carson.line_count == 5 and carson.addressees["Tex"] == 4
    assert 1 <= len(voices["Tex"].voice_samples) <= 5
    assert all(s.speaker == "Tex" for s in voices["Tex"].voice_samples)


def test_narrator_model_confirms_breaks_and_writes_summaries(catalogue, settings, fake_llm) -> None:
    def answer(prompt: str) -> str:
        if prompt.rstrip().endswith("Cambio di scena:"):
            return " NO"
        if prompt.rstrip().endswith("Trama:"):
            return " Tex sventa l'agguato di Bradley e lo affronta nel saloon di Tucson."
        return " I personaggi parlano e la vicenda va avanti.\nScena: altro"

    fake_llm.responder = answer
    story = reconstruct_volume(catalogue, VOLUME, settings, llm=fake_llm)
    assert len(story.scenes) == 5  # the model kept Mefisto's page in the saloon scene
    assert all(s.summary_source == "llm" for s in story.scenes)
    assert story.scenes[0].summary == "I personaggi parlano e la vicenda va avanti."
    assert story.summary_source == "llm" and "Bradley" in story.summary
    assert sum("Cambio di scena:" in p for p in fake_llm.prompts) == 1


def test_unusable_model_answers_fall_back_to_rules_and_extracts(catalogue, settings, fake_llm) -> None:
    fake_llm.responder = lambda prompt: " boh"
    story = reconstruct_volume(catalogue, VOLUME, settings, llm=fake_llm)
    assert len(story.scenes) == 6
    assert all(s.summary_source == "extractive" for s in story.scenes)
    assert story.summary_source == "extractive"


def test_untranscribed_and_unknown_volumes_are_clear_errors(settings) -> None:
    with Catalogue.open(settings) as cat:
        fill_catalogue(cat, load_volume(), transcribe=False)
        with pytest.raises(NothingTranscribedError, match="no transcribed balloons"):
            reconstruct_volume(cat, VOLUME, settings, use_llm=False)
        with pytest.raises(UnknownVolumeError):
            reconstruct_volume(cat, "Tex 999", settings, use_llm=False)


def test_remembering_twice_is_idempotent_and_a_new_transcript_replaces_the_old(catalogue, settings) -> None:
    store = MemoryStore.open(settings)
    story = reconstruct_volume(catalogue, VOLUME, settings, use_llm=False)
    first = remember_story(store, story)
    assert first.upsert.added == first.upsert.by_kind["line"] + 1 + 6 + len(story.characters) + len(
        story.panels
    )
    again = remember_story(store, story)
    assert again.upsert.added == 0 and again.removed == 0
    lines_before = store.count("line")
    balloon = next(ln for ln in story.lines if "Provaci pure" in ln.text).balloon_id
    catalogue.set_transcript(balloon, "PROVACI, SE HAI CORAGGIO.", ["PROVACI, SE HAI CORAGGIO."], 0.9, "test")
    changed = remember_story(store, reconstruct_volume(catalogue, VOLUME, settings, use_llm=False))
    assert changed.removed >= 1 and store.count("line") == lines_before
    texts = {r.metadata.get("line") for r in store.get("line")}
    assert "Provaci, se hai coraggio." in texts and "Provaci pure." not in texts


def test_vocatives_name_the_addressee() -> None:
    names = {"tex": "Tex", "tex willer": "Tex", "carson": "Kit Carson"}
    assert vocative("Ti ammazzerò, Tex Willer!", names) == "Tex"
    assert vocative("Carson, sella i cavalli.", names) == "Kit Carson"
    assert vocative("Tex Willer sarà mio.", names) is None


def test_cli_reconstructs_remembers_and_searches(catalogue, isolated_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"NUVOLA_MODELS__EMBEDDER": "fake"}
    out = tmp_path / "story.json"
    result = runner.invoke(cli, ["reconstruct", VOLUME, "--no-llm", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "6 scenes" in result.output and "remembered" in result.output
    assert json.loads(out.read_text("utf-8"))["volume"] == VOLUME
    result = runner.invoke(
        cli, ["memory", "search", "ammazzerò con le mie mani", "--kind", "line", "-k", "3", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert hits[0]["text"] == "Bradley: Ti ammazzerò con le mie mani, Tex!"
    assert {"text", "kind", "score", "provenance"} <= set(hits[0])
    assert hits[0]["provenance"]["page_index"] == 5 and hits[0]["provenance"]["image_path"].startswith(
        "pages/"
    )
    result = runner.invoke(cli, ["memory", "stats", "--json"], env=env)
    assert json.loads(result.output)["counts"]["scene"] == 6
    result = runner.invoke(cli, ["memory", "remove-volume", VOLUME], env=env)
    assert result.exit_code == 0 and "removed" in result.output
    result = runner.invoke(cli, ["memory", "remove-volume", VOLUME], env=env)
    assert result.exit_code != 0 and "holds nothing" in result.output


def test_narrator_answers_are_validated() -> None:
    assert parse_verdict(" SÌ, cambia luogo") is True and parse_verdict("no") is False
    with pytest.raises(ValueError):
        parse_verdict("forse")
    assert (
        parse_sentence(" Al forte Tex convince Carson a partire\nScena: x")
        == "Al forte Tex convince Carson a partire."
    )
    for bad in (
        "Troppo corto.",
        "Scena: AL FORTE. TEX: Sella i cavalli.",
        "Il piano è pronto. YAMA: Sì, padre.",
    ):
        with pytest.raises(ValueError):
            parse_sentence(bad)
