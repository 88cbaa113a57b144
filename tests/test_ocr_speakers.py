"""Speaker attribution: address cues, figure constraints, captions, and accuracy on generated pages."""

from __future__ import annotations

import numpy as np
import pytest

from tools.ocr.speakers import (
    BalloonContext,
    CastMember,
    addressed,
    aimed_figure,
    attribute_speakers,
    cast_from_profile,
    evaluate_speakers,
    mentioned,
)

CAST = [
    CastMember("Tex", ["Willer"]),
    CastMember("Kit Carson", ["Carson"]),
    CastMember("Kit Willer", ["Kit"]),
]


def balloon(text: str, panel: int = 0, figure: int | None = None, kind: str = "speech") -> BalloonContext:
    return BalloonContext((0, 0, 100, 50), panel, kind, text, figure=figure)


def test_address_and_mention_cues() -> None:
    assert addressed("TEX, GUARDA LAGGIÙ!", CAST) == {"Tex"}
    assert addressed("GRAZIE, CARSON.", CAST) == {"Kit Carson"}
    assert addressed("ANDIAMO AL FORTE.", CAST) == set()
    assert mentioned("IL FIGLIO DI WILLER È QUI", CAST) == {"Tex"}


def test_a_name_addressed_is_not_the_speaker_and_answers_next() -> None:
    guesses = attribute_speakers(
        [balloon("CARSON, SELLA I CAVALLI."), balloon("SEMPRE IO, EH?", panel=1)], CAST
    )
    assert guesses[0].speaker != "Kit Carson"
    assert guesses[1].speaker == "Kit Carson"
    assert 0 < guesses[1].confidence <= 1


def test_figures_tie_and_separate_speakers_within_a_panel() -> None:
    same = attribute_speakers([balloon("CARSON, ANDIAMO.", figure=1), balloon("SUBITO!", figure=1)], CAST)
    assert same[0].speaker == same[1].speaker
    other = attribute_speakers([balloon("ANDIAMO.", figure=1), balloon("SUBITO!", figure=2)], CAST)
    assert other[0].speaker != other[1].speaker


def test_captions_have_no_speaker_and_no_cast_means_unknown() -> None:
    guesses = attribute_speakers([balloon("INTANTO, AL FORTE...", kind="caption"), balloon("CIAO!")], CAST)
    assert guesses[0].speaker is None and guesses[1].speaker is not None
    assert attribute_speakers([balloon("CIAO!")], [])[0].speaker is None


def test_tail_aims_at_the_figure_below_it() -> None:
    figures = [(0, 200, 40, 120), (300, 200, 40, 120)]
    assert aimed_figure((250, 0, 200, 100), (320, 150), figures) == 1
    assert aimed_figure((0, 0, 200, 100), (30, 150), figures) == 0


def test_profile_cast_has_aliases_and_vocabulary() -> None:
    cast = cast_from_profile("tex", extra=["Caporale Briggs"])
    tex = next(m for m in cast if m.name == "Tex")
    assert "Aquila della Notte" in tex.aliases and tex.vocabulary
    assert cast[-1].name == "Caporale Briggs"


@pytest.mark.real
def test_speaker_accuracy_is_measured_on_generated_pages() -> None:
    from tools.settings import load_settings

    report = evaluate_speakers(load_settings(), pages=1)
    assert report["with_figures"]["balloons"] > 0
    assert 0.0 <= report["with_figures"]["accuracy"] <= 1.0
    assert isinstance(report["baseline_always_first_cast_member"], float)
    assert np.isfinite(report["dialogue_only"]["accuracy"])


def test_choose_from_list_llm_step(fake_llm) -> None:
    from tools.ocr.speakers import llm_choice

    fake_llm.enqueue(" Kit Carson", " Gandalf")
    assert llm_choice(fake_llm, CAST, [(None, "ANDIAMO.")], "HO FAME!") == "Kit Carson"
    assert llm_choice(fake_llm, CAST, [], "HO FAME!") is None  # not a cast name: no vote
    prompt = fake_llm.prompts[0]
    assert "Tex, Kit Carson, Kit Willer" in prompt and prompt.rstrip().endswith('Battuta: "HO FAME!"\nParla:')
    fake_llm.responder = lambda prompt: "Kit Willer"
    guesses = attribute_speakers([balloon("ANDIAMO."), balloon("SUBITO!", panel=1)], CAST, fake_llm)
    assert guesses[0].speaker == "Kit Willer"  # the model's pick outweighs the cast-order prior
    assert attribute_speakers([balloon("ANDIAMO.")], CAST)[0].speaker == "Tex"  # without it, the prior wins
