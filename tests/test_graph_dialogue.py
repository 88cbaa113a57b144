"""The voice writer's dialogue tools: lettering, sentence case for prompts, repeats, meta words, the line
bank of real speech and the ranker of candidate lines."""

from __future__ import annotations

import pytest

from agent.write.fallback import failed_calls
from agent.write.line_formats import letter, parse_balloon, sentence_case
from agent.write.rerank import LineRanker
from tools.dialogue.bank import LineBank, usable_line
from tools.dialogue.ngram import TrigramLM


def test_lettering_keeps_accents_and_prompts_get_ordinary_case():
    assert letter("Perche' e' qui? Un po' di pazienza, città.") == "PERCHÉ È QUI? UN PO' DI PAZIENZA, CITTÀ."
    assert (
        sentence_case("E' TARDI, KIT CARSON! ANDIAMO.", ["Kit Carson", "Tex"])
        == "È tardi, Kit Carson! Andiamo."
    )


def test_balloons_reject_meta_words_and_near_repeats_and_stop_at_the_quote():
    assert parse_balloon(" «Andiamo, Carson!» disse Tex.", []) == "ANDIAMO, CARSON!"
    with pytest.raises(ValueError, match="comic"):
        parse_balloon(" C'è una scena?", [])
    with pytest.raises(ValueError, match="repeats"):
        parse_balloon(" Andiamo, Carson! Presto!", [], earlier=["ANDIAMO CARSON, PRESTO!!"])
    assert parse_balloon(" Il fiume è lontano.", [], earlier=["ANDIAMO, CARSON!"]) == "IL FIUME È LONTANO."


def test_line_bank_keeps_short_clean_lines_and_finds_answers():
    bank = LineBank.from_lines(
        [
            "Dove sono i cavalli?",
            "I cavalli sono nella stalla.",
            "Eugenia, vieni qui!",
            "Sì.",
            "Le tracce vanno verso il fiume.",
            "Non lo so, signore, non ho visto nessuno.",
        ]
    )
    assert "Sì." not in bank.lines and not usable_line("Vieni, Eugenia, vieni.")
    found = bank.similar("Tex chiede dove sono i cavalli", k=1, answer=True)
    assert found == ["I cavalli sono nella stalla."]
    assert bank.similar("Tex chiede dove sono i cavalli", k=0) == []


def test_ranker_prefers_fluent_lines_about_the_situation():
    lm = TrigramLM.fit(
        ["Il fiume è lontano. Andiamo al fiume. I cavalli sono stanchi. Il sole tramonta."] * 3, 1
    )
    ranker = LineRanker("Tex guarda il fiume al tramonto.", model=lm)
    assert ranker.best(["Fiume il lontano è.", "Il fiume è lontano."]) == "Il fiume è lontano."
    assert ranker.best(["I cavalli sono stanchi.", "Il fiume è lontano."]) == "Il fiume è lontano."


def test_failed_calls_are_counted_per_role():
    events = [
        {"kind": "llm", "role": "voice", "status": "failed"},
        {"kind": "llm", "role": "voice", "status": "ok"},
        {"kind": "tool"},
        {"kind": "llm", "role": "narrator", "status": "ok"},
    ]
    assert failed_calls(events) == {"voice": (1, 2), "narrator": (0, 1)}


def test_a_third_identical_shot_is_varied_not_thrown_away():
    from agent.specialists.director import _parse_varied, varied_shot
    from agent.write.context import WriteContext
    from tools.series.profile import load_profile
    from tools.settings import load_settings

    ctx = WriteContext(settings=load_settings(), profile=load_profile("tex"))
    same = [{"shot": "primo piano", "speakers": ["Tex"], "figures": ["Tex"]}] * 2
    plan = _parse_varied(
        ctx,
        "INQUADRATURA: primo piano\nPARLANO: Kit Carson",
        ["Tex", "Kit Carson"],
        "Carson parla.",
        same,
        "p1-t2-1",
    )
    assert plan["shot"] == varied_shot("primo piano") != "primo piano" and plan["speakers"] == ["Kit Carson"]
    assert [e["kind"] for e in ctx.log.drain()] == ["shot_varied"]
    with pytest.raises(ValueError, match="PARLANO"):
        _parse_varied(ctx, "INQUADRATURA: primo piano", ["Tex"], "", same, "p1-t2-2")
