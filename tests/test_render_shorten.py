"""The writer's shortener takes only a shorter line in the line's own words (a 270M model often answers with
the budget it was shown, an example's line or invented words: seen in `make demo`)."""

from __future__ import annotations

import pytest

from tools.comic_script import Balloon
from tools.render.shorten import unfaithful, writer_shortener

LINE = "Cerco un carico di fucili. Non so quanto è la provvigione per chi parla?"


def test_a_faithful_shorter_line_is_taken(fake_llm) -> None:
    shorten = writer_shortener(fake_llm)
    fake_llm.enqueue("Quanto è la provvigione?\nBATTUTA: altro")
    assert shorten(Balloon(speaker="Tex", text=LINE), 30) == "Quanto è la provvigione?"
    prompt = fake_llm.prompts[-1]
    assert "al massimo 30 caratteri" in prompt and LINE in prompt


def test_answers_that_are_not_the_lines_words_are_declined(fake_llm) -> None:
    shorten = writer_shortener(fake_llm)
    balloon = Balloon(speaker="Tex", text=LINE)
    fake_llm.enqueue("40", "La lilla ha fatto un uomo.")
    assert shorten(balloon, 30) is None  # the budget, then invented words: the letterer cuts instead
    fake_llm.enqueue("Una risposta decisamente troppo lunga per stare nel limite", "")
    assert shorten(balloon, 20) is None  # too long, then empty
    assert shorten(balloon, 20) is None  # the fake has nothing left: declined, not an error


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("40", "no word"),
        ("74 fucili", "number"),
        ("IMI HA RAGNOLETTO, VIVREM PIU' PERCH'E", "imi"),
        ("Fumo sulla mesa: segnali apache!", "fumo"),
        ("Ma no", "none of the line's content words"),
        ("Non lo so.", "none of the line's content words"),
    ],
)
def test_unfaithful_names_the_cause(answer: str, reason: str) -> None:
    assert reason in (unfaithful(answer, LINE) or "")


@pytest.mark.parametrize("answer", ["Quanto è la provvigione?", "QUANTO E' LA PROVVIGIONE?", "Cerco fucili."])
def test_the_lines_own_words_pass_in_any_case_accent_or_ending(answer: str) -> None:
    assert unfaithful(answer, LINE) is None
    assert unfaithful("Cerco un fucile!", LINE) is None  # another ending of `fucili`
