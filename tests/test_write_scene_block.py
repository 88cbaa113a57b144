"""When an outline scene's completion may stop early: never before its parse is decided."""

from __future__ import annotations

import pytest

import agent.specialists.narrator as narrator
from agent.write.line_formats import parse_scene
from agent.write.scene_block import scene_settled
from tools.series.profile import load_profile

PROFILE = load_profile("tex")
CAST = ["Tex", "Kit Carson"]
OTHERS = [{"goal": "Tex vuole trovare le armi.", "conflict": "La banda spara.", "turn": "Carson arriva."}]
LONG = (
    "Il capitano dei contrabbandieri ha nascosto le casse di fucili nella vecchia missione e i suoi uomini "
    "sorvegliano il passo giorno e notte, mentre il colonnello aspetta un segnale dal forte che non arriva "
    "mai e la gente del villaggio ha paura"
)
COMPLETIONS = [
    " il confine messicano\nTEMPO: di notte\nPERSONAGGI: Tex, Kit Carson\nOBIETTIVO: Tex cerca i fucili.\n"
    "CONFLITTO: La banda lo aspetta.\nSVOLTA: Carson trova la pista.\nNOTA: altro testo che non conta",
    " A l'inizio del 1890, la riviera di Santa Rita\nTEMPO: il mattino dopo\nPERSONAGGI: Tex e Kit Carson.",
    " In una delle scarse colline a monte di San Miguel. Il cavaliere si trova in una cabina di legno",
    f" il confine\nTEMPO: di notte\nPERSONAGGI: Tex\nOBIETTIVO: Tex cerca i fucili.\nCONFLITTO: {LONG}",
    f" il confine\nTEMPO: di notte\nOBIETTIVO: Tex vuole trovare le armi.\nCONFLITTO: {LONG}\nSVOLTA: x",
    f" il confine\nTEMPO: di notte\nsenza etichetta\nOBIETTIVO: {LONG}",
    f" il confine\nTEMPO:\nOBIETTIVO: {LONG}",
    f" il confine\nTEMPO: {LONG}\nPERSONAGGI: Tex",
    " il fiume\nTEMPO: all'alba\nPERSONAGGI: Tex\nOBIETTIVO: Tex vuole trovare le armi.\nSVOLTA: Carson arriva.",
    " il fiume\nOBIETTIVO: Tex guada il fiume.\nOBIETTIVO: Tex vuole trovare le armi.\nTEMPO: " + LONG,
    " il lago\nTEMPO: in montagna\nPERSONAGGI: Tex\nOBIETTIVO: Tex cerca Kit.\nCONFLITTO: \nSVOLTA: \nCONFLITTO: Kit tace.",
    " il lago\nTEMPO: di notte\nPERSONAGGI: Tex\nOBIETTIVO: \nCon il treno al passaggio del fiume.\n",
    " il lago\nTEMPO: \nPERSONAGGI: Tex\nOBIETTIVO: Tex cerca Kit.\nCONFLITTO: I banditi sparano.\nSVOLTA: Kit fugge.",
]
TAIL = " Tex trova le armi.\nCONFLITTO: La banda spara.\nSVOLTA: Carson arriva."


def outcome(text: str) -> object:
    try:
        return parse_scene("LUOGO:" + text, CAST, PROFILE, OTHERS)
    except ValueError as exc:
        return ("fails", type(exc))


def continued(text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The narrator's continuation of a block without a goal, the model replaced by a fixed tail."""
    monkeypatch.setattr(narrator, "generate_lines", lambda *args, **kwargs: TAIL)
    return narrator._continue_scene(None, "prompt", text, 0, 1, OTHERS)


def decided(outcome_value: object) -> object:
    return "fails" if isinstance(outcome_value, tuple) else outcome_value


@pytest.mark.parametrize("full", COMPLETIONS)
def test_a_settled_prefix_parses_as_the_whole_completion(full, monkeypatch):
    """Every way the narrator reads a block (as is, cut at a copied field, continued) gives the same
    scene, or fails, on the prefix where the stream stops as on the whole completion."""
    for end in range(1, len(full) + 1):
        prefix = full[:end]
        if not scene_settled(prefix, OTHERS):
            continue
        assert decided(outcome(prefix)) == decided(outcome(full)), prefix
        cut_prefix, cut_full = narrator._drop_repeated(prefix, OTHERS), narrator._drop_repeated(full, OTHERS)
        assert decided(outcome(cut_prefix)) == decided(outcome(cut_full)), prefix
        more_prefix, more_full = continued(cut_prefix, monkeypatch), continued(cut_full, monkeypatch)
        assert decided(outcome(more_prefix)) == decided(outcome(more_full)), prefix


def first_settled(text: str) -> int | None:
    return next((end for end in range(1, len(text) + 1) if scene_settled(text[:end], OTHERS)), None)


def test_an_overlong_field_stops_the_stream_before_its_line_ends():
    place = COMPLETIONS[2]
    assert first_settled(place) == 42  # "LUOGO:" + 41 characters of place, the 40-character limit passed
    conflict = COMPLETIONS[3]
    assert first_settled(conflict) == conflict.index("CONFLITTO: ") + len("CONFLITTO: ") + 201
    assert outcome(conflict)[0] == "fails"


def test_a_complete_block_stops_at_its_last_field_line():
    block = COMPLETIONS[0]
    assert first_settled(block) == block.index("\nNOTA") + 1
    assert outcome(block)["turn"] == "Carson trova la pista."


def test_nothing_is_settled_where_the_narrator_might_still_cut_or_continue():
    copied_goal = COMPLETIONS[4]  # the copied goal may be cut, and the long conflict with it
    assert first_settled(copied_goal) is None
    unlabelled = COMPLETIONS[5]  # a continuation would stop at the unlabelled line
    assert first_settled(unlabelled) is None
    assert first_settled(COMPLETIONS[6]) is None  # an empty TEMPO line
    assert first_settled(" il fiume\nTEMPO: all'alba\nPERSONAGGI: Tex") is None


def test_an_optional_field_left_empty_is_left_out_not_a_failed_block():
    """`CONFLITTO: ` with nothing after it (the 270M model's habit once a scene before lacks one) leaves the
    field out; an empty goal still fails, and stops the stream at its line's end."""
    empty_fields = COMPLETIONS[10]
    scene = outcome(empty_fields)
    assert scene["goal"] == "Tex cerca Kit." and scene["conflict"] == "Kit tace." and "turn" not in scene
    assert first_settled(empty_fields) is None  # a later CONFLITTO line could still give the conflict
    empty_goal = COMPLETIONS[11]
    assert outcome(empty_goal)[0] == "fails"
    assert first_settled(empty_goal) == empty_goal.index("OBIETTIVO: \n") + len("OBIETTIVO: \n")
    no_time = outcome(COMPLETIONS[12])
    assert "time" not in no_time and no_time["turn"] == "Kit fugge."


def test_a_block_that_already_fails_is_not_continued(monkeypatch):
    calls = []
    monkeypatch.setattr(narrator, "generate_lines", lambda *args, **kwargs: calls.append(1) or TAIL)
    overlong_time = COMPLETIONS[7]
    assert narrator._continue_scene(None, "prompt", overlong_time, 0, 1, OTHERS) == overlong_time
    assert narrator._continue_scene(None, "prompt", " il fiume\nTEMPO: all'alba", 0, 1, OTHERS).endswith(TAIL)
    assert len(calls) == 1
