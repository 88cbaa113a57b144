"""The chat's parts on their own: intents by rules, the edit formats and their checks, the language it
answers in, multi-line input, the story stages read from checkpoints."""

from __future__ import annotations

import pytest

from agent.chat.editing import EditError, outline_to_text, page_to_text, text_to_outline, text_to_pages
from agent.chat.freechat import needs_larger_model
from agent.chat.intents import detect, page_count, without_page_count
from agent.chat.messages import detect_language, message
from tools.series.profile import load_profile

TEX = load_profile("tex")


@pytest.mark.parametrize(
    ("text", "kind", "subject"),
    [
        ("ok", "approve", ""),
        ("", "approve", ""),
        ("Va bene!", "approve", ""),
        ("go on", "approve", ""),
        ("cosa sappiamo di Mefisto?", "about", "Mefisto"),
        ("Che cosa sai dello Sceriffo di Tucson?", "about", "Sceriffo di Tucson"),
        ("chi è Aquila della Notte?", "about", "Tex"),
        ("what do we know about Kit Carson?", "about", "Kit Carson"),
        ("come parla Kit Carson?", "speaks", "Kit Carson"),
        ("How does Carson talk?", "speaks", "Kit Carson"),
        ("finisci", "finish", ""),
        ("write the rest", "finish", ""),
        ("4 pagine", "pages", ""),
        ("make it two pages", "pages", ""),
        ("ciao", "greeting", ""),
        ("secondo te Mefisto dovrebbe tornare?", "question", ""),
        ("Kit Carson deve essere più ironico", "text", ""),
    ],
)
def test_intents_by_rules(text, kind, subject):
    intent = detect(text, TEX)
    assert intent.kind == kind and intent.subject == subject


def test_rewrite_intent_carries_its_note_and_target():
    intent = detect("riscrivi la scena: Kit Carson più ironico", TEX)
    assert intent.kind == "rewrite" and intent.note == "Kit Carson più ironico" and not intent.dialogue_only
    intent = detect("riscrivi i dialoghi", TEX)
    assert intent.kind == "rewrite" and intent.note == "" and intent.dialogue_only
    assert detect("rewrite the dialogue with more jokes", TEX).note == "more jokes"
    story = detect("nuova storia: Tiger Jack cerca un cavallo rubato. 3 pagine", TEX)
    assert story.kind == "new_story" and story.pages == 3 and story.note.startswith("Tiger Jack cerca")


def test_page_counts_in_a_storyline():
    text = "Tex e Carson inseguono i contrabbandieri, in 4 pagine."
    assert page_count(text) == 4 and without_page_count(text) == "Tex e Carson inseguono i contrabbandieri."
    assert page_count("una pagina sola") == 1 and page_count("Tex al forte") is None
    intent = detect("Tex e Carson inseguono i contrabbandieri al confine. 2 pagine", TEX)
    assert intent.kind == "text" and intent.pages == 2


def test_language_follows_the_user():
    assert detect_language("what do we know about Mefisto?", "it") == "en"
    assert detect_language("cosa sappiamo di Mefisto?", "en") == "it"
    assert detect_language("ok", "en") == "en" and detect_language("Mefisto", "it") == "it"
    assert message("undo_empty", "en") == "There is nothing to undo."
    assert message("undo_empty", "fr") == message("undo_empty", "it")


def test_only_the_packaged_base_model_is_too_small_to_chat():
    assert needs_larger_model("llamacpp:gemma3-270m") and needs_larger_model(
        "llamacpp:gemma3-270m?lora=/a.gguf"
    )
    assert not needs_larger_model("openai:http://127.0.0.1:8080/v1#qwen")
    assert not needs_larger_model("llamacpp:/models/qwen2.5-7b.gguf")


OUTLINE = [
    {
        "index": 0,
        "title": "Il Confine",
        "place": "IL CONFINE",
        "time": "ALL'ALBA",
        "cast": ["Tex", "Kit Carson"],
        "goal": "Tex cerca la banda.",
        "conflict": "",
        "turn": "Un carro si rovescia.",
        "pages": [1],
    },
    {
        "index": 1,
        "title": "Un Canyon",
        "place": "UN CANYON",
        "time": "DI NOTTE",
        "cast": ["Tex"],
        "goal": "Tex affronta la banda.",
        "conflict": "Sono in dieci.",
        "turn": "",
        "pages": [2, 3],
    },
]


def test_outline_round_trip_and_renumbered_pages():
    text = outline_to_text("LA PISTA", OUTLINE)
    title, outline = text_to_outline(text, TEX)
    assert title == "LA PISTA" and outline == OUTLINE
    edited = text.replace("PAGINE: 2", "PAGINE: 1").replace(
        "PERSONAGGI: Tex\n", "PERSONAGGI: Tex, Aquila della Notte, Carson\n"
    )
    edited += "\nSCENA 3\nLUOGO: il forte\nOBIETTIVO: Tex torna al forte.\n"
    title, outline = text_to_outline(edited, TEX)
    assert [s["pages"] for s in outline] == [[1], [2], [3]] and outline[2]["place"] == "IL FORTE"
    assert outline[1]["cast"] == ["Tex", "Kit Carson"] and outline[2]["time"] == ""


def test_outline_edit_problems_are_listed():
    text = (
        outline_to_text("LA PISTA", OUTLINE)
        .replace("LUOGO: UN CANYON", "LUOGO:")
        .replace("PAGINE: 1", "PAGINE: zero")
    )
    with pytest.raises(EditError) as caught:
        text_to_outline(text + "\nBLA BLA\n", TEX)
    problems = " | ".join(caught.value.problems)
    assert "scene 2: LUOGO is empty" in problems and "PAGINE must be a whole number" in problems
    assert "not a field ('BLA BLA')" in problems


def _page() -> dict:
    panel = {
        "id": "p1-t1-1",
        "shot": "campo lungo",
        "description": "Tex scruta il deserto.",
        "setting": "IL CONFINE",
        "time_of_day": "day",
        "figures": [{"name": "Tex", "x": 0.5, "pose": ""}],
        "scene": 0,
        "balloons": [
            {"kind": "caption", "speaker": None, "text": "ALL'ALBA..."},
            {"kind": "speech", "speaker": "Tex", "text": "NESSUNO IN VISTA."},
        ],
    }
    other = {**panel, "id": "p1-t2-1", "balloons": [{"kind": "speech", "speaker": "Tex", "text": "ANDIAMO."}]}
    third = {**panel, "id": "p1-t3-1", "balloons": []}
    return {"number": 1, "tiers": [{"panels": [panel]}, {"panels": [other]}, {"panels": [third]}]}


def test_page_edit_changes_lines_shot_and_speakers():
    page = _page()
    text = page_to_text(page)
    assert text_to_pages(text, [page], ["Tex", "Kit Carson"], TEX) == [page]
    edited = text.replace(
        "TEX: NESSUNO IN VISTA.", "TEX: nessuno in vista.\nCarson: Neanche una bistecca!"
    ).replace("[p1-t2-1] campo lungo", "[p1-t2-1] primo piano")
    [result] = text_to_pages(edited, [page], ["Tex", "Kit Carson"], TEX)
    first, second = result["tiers"][0]["panels"][0], result["tiers"][1]["panels"][0]
    assert [b["text"] for b in first["balloons"]] == [
        "ALL'ALBA...",
        "NESSUNO IN VISTA.",
        "NEANCHE UNA BISTECCA!",
    ]
    assert first["balloons"][2]["speaker"] == "Kit Carson" and {f["name"] for f in first["figures"]} == {
        "Tex",
        "Kit Carson",
    }
    assert second["shot"] == "primo piano"


def test_page_edit_problems_are_listed():
    page = _page()
    text = page_to_text(page)
    wrong = text.replace("TEX: ANDIAMO.", "MEFISTO: RIDI PURE!").replace(
        "[p1-t3-1] campo lungo", "[p1-t3-1] zoom"
    )
    with pytest.raises(EditError) as caught:
        text_to_pages(wrong, [page], ["Tex"], TEX)
    problems = " | ".join(caught.value.problems)
    assert "'MEFISTO' is not in the cast (Tex)" in problems and "unknown shot 'zoom'" in problems
    with pytest.raises(EditError, match="the panels must stay the same"):
        text_to_pages(text.replace("[p1-t3-1]", "[p9-t9-9]"), [page], ["Tex"], TEX)
    with pytest.raises(EditError, match="longer than 140"):
        text_to_pages(text.replace("TEX: ANDIAMO.", "TEX: " + "ANDIAMO " * 30), [page], ["Tex"], TEX)


def test_multi_line_input_alt_enter_and_backslash(tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from agent.chat.terminal import PromptReader

    with create_pipe_input() as pipe:
        reader = PromptReader(tmp_path / "history.txt", ["/help"], input=pipe, output=DummyOutput())
        pipe.send_text("Tex arriva al forte.\x1b\rPoi riparte.\r")
        assert reader.read("tu> ") == "Tex arriva al forte.\nPoi riparte."
        pipe.send_text("prima riga \\\rseconda riga\r")
        assert reader.read("tu> ") == "prima riga \nseconda riga"
    assert "Tex arriva al forte." in (tmp_path / "history.txt").read_text()


def test_plain_reader_echoes_and_ends_at_eof():
    import io

    from agent.chat.terminal import PlainReader

    echo = io.StringIO()
    reader = PlainReader(io.StringIO("uno \\\ndue\nok\n"), echo)
    assert reader.read("tu> ") == "uno \ndue" and reader.read("tu> ") == "ok" and reader.read("tu> ") is None
    assert echo.getvalue() == "tu> uno \\\n... due\ntu> ok\n"
