"""`nuvola chat` driven with scripted input and the scripted fake model: a whole co-writing exchange through
the CLI (outline, a page of dialogue, /edit, a rewrite, /undo, /save, quit, resume, finish, /render), then
the story moves one by one (Ctrl-C, undo to the outline question, rewrites with notes, page counts)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from agent.chat.app import ChatApp
from agent.chat.commands import handle
from agent.chat.sessions import SessionPaths, load_meta
from agent.chat.story import StoryThread
from agent.chat.transcript import Transcript
from cli.main import cli
from tests.graph_fakes import WritingResponder
from tools.models import clear_cache, get_llm
from tools.settings import load_settings

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
FAKE = ["-m", "narrator=fake", "-m", "director=fake", "-m", "voice=fake"]
ROLES = ("narrator", "director", "voice")
NEW_LINE = "ALT, IN NOME DELLA LEGGE!"


@pytest.fixture
def registry_fake():
    """The cached `fake` model the CLI resolves by name, answering in the writers' formats."""
    clear_cache()
    llm = get_llm("fake")
    llm.responder = WritingResponder()
    yield llm
    clear_cache()


def balloons(pages: list[dict]) -> list[str]:
    return [b["text"] for page in pages for t in page["tiers"] for p in t["panels"] for b in p["balloons"]]


def only_session(home: Path) -> SessionPaths:
    folders = [p for p in (home / "chats").iterdir() if p.is_dir()]
    assert len(folders) == 1
    return SessionPaths(folders[0])


def test_co_writing_exchange_saved_then_resumed_and_finished(registry_fake, isolated_home, monkeypatch):
    monkeypatch.setenv("EDITOR", f"sed -i -e 's/^TEX: .*/TEX: {NEW_LINE}/'")
    script = [
        f"{PLOT}. 2 pagine",
        "Aggiungi un tradimento",
        "ok",
        "/page 1",
        "/edit",
        "riscrivi i dialoghi",
        "/undo",
        "/save",
        "/quit",
    ]
    result = CliRunner().invoke(cli, [*FAKE, "chat"], input="\n".join(script) + "\n", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Pagine: 2" in out and "Ecco la scaletta" in out and "Il narratore riscrive la scaletta" in out
    assert any("NOTA: Aggiungi un tradimento" in p for p in registry_fake.prompts), (
        "the note reached the narrator"
    )
    assert "Scena 1 di 2 scritta" in out and "Tavola 1" in out and "Modifica salvata: la tavola 1" in out
    assert "Riscrivo le battute della scena 1" in out and "Annullato: scena 1" in out
    assert "nuvola chat --resume" in out

    paths = only_session(isolated_home)
    meta = load_meta(paths)
    assert meta.stage == "scene 1/2" and meta.written_pages == 1 and meta.pages == 2
    assert meta.undo_labels == ["la scaletta", "la scaletta", "la tavola 1"]
    thread = StoryThread(paths, meta.head)
    values = thread.values
    thread.close()
    assert values["constraints"] == ["Aggiungi un tradimento"] and values["outline_approved"]
    assert list(values["scene_dialogue"]) == ["0"]
    page_one = values["scene_dialogue"]["0"]["pages"]
    assert NEW_LINE in balloons(page_one), "the undo took back the rewrite, not the edit"
    saved = json.loads((paths.root / "script.json").read_text())
    assert len(saved["pages"]) == 1 and NEW_LINE in balloons(saved["pages"])

    turns = Transcript(paths.transcript).turns()
    assert [t.text for t in turns if t.role == "user"] == script
    kinds = [t.kind for t in turns if t.role == "assistant"]
    for kind in (
        "story_start",
        "outline",
        "outline_note",
        "page",
        "edit_saved",
        "undo_done",
        "saved",
        "goodbye",
    ):
        assert kind in kinds, kind

    resumed = CliRunner().invoke(
        cli, [*FAKE, "chat", "--resume", meta.id], input="finisci\n/render\n/quit\n", catch_exceptions=False
    )
    assert resumed.exit_code == 0, resumed.output
    out = resumed.output
    assert f"Riprendo la sessione {meta.id}" in out and NEW_LINE in out.split("tu> finisci")[0]
    assert "L'albo è finito" in out and "disegno: tavole" in out and "issue.cbz" in out
    final = json.loads((paths.root / "script.json").read_text())
    assert [p["number"] for p in final["pages"]] == [1, 2] and final["run_id"] == meta.id
    assert NEW_LINE in balloons(final["pages"][:1])
    assert (paths.render / "issue.cbz").is_file() and len(list((paths.render / "pages").glob("*.png"))) == 2
    assert load_meta(paths).stage == "done"

    listing = CliRunner().invoke(cli, ["chat", "--list"], catch_exceptions=False)
    assert meta.id in listing.output and "done" in listing.output


def test_resume_of_an_unknown_session_is_a_clear_error():
    from agent.chat.sessions import SessionNotFoundError

    result = CliRunner().invoke(cli, ["chat", "--resume", "nope"])
    assert isinstance(result.exception, SessionNotFoundError) and "no chat session 'nope'" in str(
        result.exception
    )


class Driver:
    """A chat session on an in-memory console, with injected models and a scripted editor."""

    def __init__(self, llm, *, editor=None, **options):
        self.out = io.StringIO()
        console = Console(file=self.out, width=200, color_system=None)
        self.editor = editor or (lambda text: None)
        self.app = ChatApp(
            load_settings(), console, models={r: llm for r in ROLES}, editor=self.editor, **options
        )
        self.session = self.app.new()

    def say(self, text: str) -> str:
        start = len(self.out.getvalue())
        outcome = handle(self.session, text, self.app.editor)
        self.session = self.app._switch(self.session, outcome)
        return self.out.getvalue()[start:]

    @property
    def values(self) -> dict:
        return self.session.thread.values


@pytest.fixture
def writer(fake_llm):
    fake_llm.responder = WritingResponder()
    return fake_llm


def test_ctrl_c_stops_the_writing_not_the_session(writer):
    calls = {"balloons": 0}
    answer = writer.responder

    def interrupting(prompt: str) -> str:
        if prompt.rstrip().endswith(("TEX:", "KIT CARSON:")):
            calls["balloons"] += 1
            if calls["balloons"] == 1:
                raise KeyboardInterrupt
        return answer(prompt)

    writer.responder = interrupting
    chat = Driver(writer)
    chat.say(PLOT)
    said = chat.say("ok")
    assert "Fermato" in said and chat.session.stage().kind == "stopped"
    assert "0" in chat.values["scene_pages"] and "0" not in chat.values.get("scene_dialogue", {})
    assert chat.session.meta.stage == "stopped"
    said = chat.say("continua")
    assert "Tavola 1" in said and "0" in chat.values["scene_dialogue"]


def test_undo_to_the_outline_asks_again_and_takes_a_new_answer(writer):
    chat = Driver(writer)
    chat.say(PLOT)
    chat.say("ok")
    assert chat.session.stage().kind == "scene"
    said = chat.say("/undo")
    assert "Annullato" in said and "Ecco la scaletta" in said and chat.session.stage().kind == "outline"
    said = chat.say("Aggiungi un tradimento")
    assert chat.session.stage().kind == "outline", "the old answer (ok) was replayed"
    assert chat.values["constraints"] == ["Aggiungi un tradimento"]
    assert any("NOTA: Aggiungi un tradimento" in p for p in writer.prompts)


def test_a_note_at_a_scene_rewrites_it_with_a_new_seed(writer):
    chat = Driver(writer)
    chat.say(PLOT)
    chat.say("ok")
    first = balloons(chat.values["scene_dialogue"]["0"]["pages"])
    said = chat.say("Kit Carson deve essere più ironico")
    assert "Riscrivo la scena 1 con la nota «Kit Carson deve essere più ironico»" in said
    assert chat.values["constraints"] == ["Kit Carson deve essere più ironico"] and chat.values["seed"] == 1
    assert any(
        "NOTA: Kit Carson deve essere più ironico" in p
        for p in writer.prompts
        if p.splitlines()[-1].startswith("AZIONE:")
    )  # the narrator's beats prompts
    assert balloons(chat.values["scene_dialogue"]["0"]["pages"]) != first
    chat.say("/undo")
    assert balloons(chat.values["scene_dialogue"]["0"]["pages"]) == first and chat.values["seed"] == 0


def test_page_count_at_the_outline_rewrites_it_at_that_length(writer):
    chat = Driver(writer)
    chat.say(PLOT)
    assert chat.values["pages"] == 1
    said = chat.say("2 pagine")
    assert "D'accordo, 2 pagine" in said and chat.session.stage().kind == "outline"
    assert sum(len(s["pages"]) for s in chat.values["outline"]) == 2 and chat.values["pages"] == 2
    said = chat.say("finisci")
    assert chat.session.stage().kind == "done" and len(chat.values["script"]["pages"]) == 2
    assert "Disegnato:" in said and Path(chat.values["rendered"]["cbz"]).is_file()


def test_the_outline_review_limit_is_said_not_hidden(writer):
    chat = Driver(writer)
    chat.say(PLOT)
    chat.say("Più azione")
    chat.say("Più deserto")
    reviews = chat.values["outline_reviews"]
    said = chat.say("Ancora più deserto")
    assert "già riscritto la scaletta 2 volte" in said and chat.values["outline_reviews"] == reviews
    assert chat.session.stage().kind == "outline"


def test_edit_of_the_outline_and_a_rejected_page_edit_kept_as_a_draft(writer):
    edits = []

    def editor(text: str) -> str | None:
        edits.append(text)
        if "TITOLO:" in text:
            return text.replace("TITOLO: ", "TITOLO: LA BANDA DEL CONFINE #").replace(
                "PAGINE: 1", "PAGINE: 2"
            )
        return text.replace("TEX: ", "MEFISTO: ", 1)

    chat = Driver(writer, editor=editor)
    chat.say(PLOT)
    said = chat.say("/edit")
    assert "Modifica salvata: la scaletta" in said and chat.values["title"].startswith("LA BANDA DEL CONFINE")
    assert chat.values["pages"] == 2 and chat.session.stage().kind == "outline"
    chat.say("ok")
    said = chat.say("/edit")
    assert "Non posso accettare la modifica" in said and "'MEFISTO' is not in the cast" in said
    said = chat.say("/edit")
    assert "MEFISTO:" in edits[-1], "the rejected text is reopened"
    said = chat.say("/outline")
    said = chat.say("/edit")
    assert "Le scene sono già scritte" in said


def test_memory_questions_and_the_need_for_a_larger_model_on_the_embedded_default(writer):
    chat = Driver(writer)
    said = chat.say("cosa sappiamo di Mefisto?")
    assert "tools/series/profiles/tex.yaml" in said and "nemico giurato di Tex" in said
    assert "La memoria non contiene ancora nulla" in said
    said = chat.say("How does Kit Carson talk?")
    assert "borbotta e protesta" in said and "The memory holds nothing yet" in said
    said = chat.say("do you think Mefisto should come back?")
    assert (
        "needs a larger chat model" in said and "--model chat=openai:http://127.0.0.1:8080/v1#model" in said
    )


def test_free_chat_streams_from_a_configured_chat_model(writer):
    clear_cache()
    chat_llm = get_llm("fake")
    chat_llm.responder = lambda prompt: "Mefisto torna sempre, ma non troppo presto."
    try:
        chat = Driver(writer, overrides={"chat": "fake"})
        chat.say(PLOT)
        said = chat.say("secondo te Mefisto dovrebbe tornare?")
    finally:
        clear_cache()
    assert "nuvola> Mefisto torna sempre, ma non troppo presto." in said
    prompt = chat_llm.prompts[-1]
    assert (
        PLOT in prompt and "secondo te Mefisto dovrebbe tornare?" in prompt and "Answer in\nItalian" in prompt
    )
    assert (
        Transcript(chat.session.paths.transcript).turns()[-1].text
        == "Mefisto torna sempre, ma non troppo presto."
    )


def test_voice_samples_come_from_the_voice_writer(writer):
    chat = Driver(writer)
    said = chat.say("/voice Kit Carson litiga con un baro")
    assert "Battute di Kit Carson" in said and said.count("KIT CARSON:") == 3
    voice_prompts = [p for p in writer.prompts if p.rstrip().endswith("KIT CARSON:")]
    assert (
        len(voice_prompts) >= 3 and "Kit Carson litiga con un baro" in voice_prompts[0]
    )  # candidates per line
    assert "borbotta e protesta" in voice_prompts[0], "the profile's speech habits condition the writer"
    said = chat.say("/voice Zorro")
    assert "Non conosco Zorro" in said


def test_model_command_switches_a_role_for_the_session(writer):
    chat = Driver(writer)
    said = chat.say("/model narrator openai:http://127.0.0.1:9/v1#big")
    assert "Modello per narrator: openai:http://127.0.0.1:9/v1#big" in said
    assert chat.session.settings.model_for("narrator") == "openai:http://127.0.0.1:9/v1#big"
    assert load_meta(chat.session.paths).models["narrator"] == "openai:http://127.0.0.1:9/v1#big"
    assert "Nessun ruolo" in chat.say("/model nope fake")
    assert "unknown model" in chat.say("/model voice gpt4")


def test_new_story_opens_a_new_session_and_load_comes_back(writer):
    chat = Driver(writer)
    chat.say(PLOT)
    first = chat.session.meta.id
    said = chat.say("nuova storia: Tiger Jack cerca un cavallo rubato nel deserto dell'Arizona")
    assert "Nuova sessione" in said and chat.session.meta.id != first
    assert chat.values["storyline"].startswith("Tiger Jack cerca") and chat.values["cast"] == ["Tiger Jack"]
    said = chat.say(f"/load {first}")
    assert chat.session.meta.id == first and "Ecco la scaletta" in said
    assert "no chat session 'nope'" in chat.say("/load nope")
