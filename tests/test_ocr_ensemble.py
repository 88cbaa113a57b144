"""ROVER ensemble: alignment, confidence-weighted voting, the lexicon check and the optional arbiter."""

from __future__ import annotations

import pytest
from PIL import Image

from tools.ocr.engine import OcrEngine, OcrLine, OcrResult
from tools.ocr.ensemble import EnsembleEngine, Hypothesis, arbitrate, combine, rover, vote_to_lines
from tools.ocr.lexicon import italian_lexicon
from tools.ocr.normalise import normalise_lettering


def hyp(text: str, conf: float = 0.9, weight: float = 1.0) -> Hypothesis:
    return Hypothesis(text, [conf] * len(text), weight, "test")


class ScriptedEngine(OcrEngine):
    """Answers fixed lines whatever the crop (stands in for an engine with a known error)."""

    def __init__(self, name: str, lines: list[str], conf: float = 0.9):
        self.name, self.lines, self.conf = name, lines, conf

    def read(self, crop: Image.Image, kind: str = "speech") -> OcrResult:
        return OcrResult([OcrLine(t, self.conf) for t in self.lines], self.name)


def test_majority_fixes_one_engines_substitution_insertion_and_deletion() -> None:
    truth = "SATANASSO! QUESTI\nSONO NAVAJOS!"
    readings = [truth, "SATANASS0! QUESTI\nSONO NAVAJOSI!", "SATANASSO! QUEST\nSONO NAVAJOS!"]
    assert rover([hyp(r) for r in readings]).text == truth


def test_confidence_breaks_a_two_way_disagreement() -> None:
    sure, unsure = hyp("TEX, GUARDA!", 0.95), hyp("TEX. GUARDA!", 0.30)
    assert rover([unsure, sure]).text == "TEX, GUARDA!"
    assert rover([hyp("TEX, GUARDA!", 0.3), hyp("TEX. GUARDA!", 0.95)]).text == "TEX. GUARDA!"


def test_weights_scale_votes() -> None:
    assert rover([hyp("KIT"), hyp("KAT"), hyp("KAT", weight=0.2), hyp("KIT")]).text == "KIT"


def test_lexicon_check_prefers_a_known_word_from_any_engine() -> None:
    lexicon = italian_lexicon()
    # The vote lands on MOSDERE (two engines agree on the S), the third engine read a real word.
    votes = [hyp("NON MOSDERE"), hyp("NON MOSDERE"), hyp("NON MORDERE", 0.6)]
    assert rover(votes).text == "NON MOSDERE"
    assert combine(votes, lexicon).text == "NON MORDERE"


def test_vote_keeps_line_structure() -> None:
    vote = rover([hyp("CHI E' STATO?\nQUANTI\nERANO?")] * 2 + [hyp("CHI E' STATO? QUANTI\nERANO?")])
    assert [line.text for line in vote_to_lines(vote)] == ["CHI E' STATO?", "QUANTI", "ERANO?"]


def test_single_and_empty_hypotheses() -> None:
    assert rover([]).text == ""
    assert rover([hyp("TEX")]).text == "TEX"
    assert rover([hyp("TEX"), hyp("TEX"), Hypothesis("", [], 1.0)]).text == "TEX"


def test_arbiter_picks_a_numbered_reading(fake_llm) -> None:
    fake_llm.enqueue(" 2", "forse la prima", " 9")
    readings = ["TEX GUARDA", "TEX, GUARDA!"]
    assert arbitrate(fake_llm, readings) == 1
    assert arbitrate(fake_llm, readings, default=0) == 0  # no number: keep the vote
    assert arbitrate(fake_llm, readings, default=0) == 0  # out of range: keep the vote
    assert "1. TEX GUARDA" in fake_llm.prompts[0] and fake_llm.prompts[0].rstrip().endswith("Numero:")


def test_ensemble_engine_records_members_and_uses_the_arbiter(fake_llm) -> None:
    crop = Image.new("RGB", (40, 20), "white")
    members = [ScriptedEngine("a", ["TEX GUARDA"]), ScriptedEngine("b", ["TEX, GUARDA!"])]

    def pick_exclaimed(prompt: str) -> str:  # answers the number of the reading ending in "!"
        last_block = prompt.rsplit("Letture:", 1)[1]
        return next(line.split(".")[0] for line in last_block.splitlines() if line.endswith("GUARDA!"))

    fake_llm.responder = pick_exclaimed
    result = EnsembleEngine(members, arbiter=fake_llm).read(crop)
    assert result.texts == ["TEX, GUARDA!"]
    assert [m.engine for m in result.members] == ["a", "b"]


@pytest.mark.real
def test_ensemble_of_real_tesseract_fixes_a_flawed_engine() -> None:
    from tools.ocr.samples import draw_balloon
    from tools.ocr.tesseract import TesseractEngine

    sample = draw_balloon(["E' PIU' TARDI DI", "QUANTO CREDI, KIT!"], size=26)
    flawed = ScriptedEngine("flawed", ["E* PIU™ TARDI DL", "QUANTO CREDI. KIT"], conf=0.8)
    single = flawed.read(sample.image)
    ensemble = EnsembleEngine([TesseractEngine(), TesseractEngine(mode="block"), flawed])
    result = ensemble.read(sample.image)
    truth = normalise_lettering(list(sample.lines))
    assert normalise_lettering(single.texts) != truth
    assert normalise_lettering(result.texts) == truth == "È PIÙ TARDI DI QUANTO CREDI, KIT!"


def test_lexicon_check_keeps_an_agreed_name_and_a_word_split_across_lines() -> None:
    lexicon = italian_lexicon()
    # All three read CUERVO (a name the lexicon lacks); one also saw a speck as "co" beside it.
    names = [hyp("IL CUERVO..."), hyp("IL CUERVO..."), hyp("*.. IL CUERVO.. co", 0.8)]
    assert combine(names, lexicon).text == "IL CUERVO..."
    # BRONTO- / LARE is BRONTOLARE hyphenated at the line end, not the unknown BRONTO.
    split = [hyp("SMETTI DI BRONTO-\nLARE, VECCHIO"), hyp("SMETTI DI BRONTO-\nLARE, VECCHIO")]
    split.append(hyp("‘SMETTI DI BRONTO- -\n“LARE, VECCHIO", 0.8))
    assert normalise_lettering(combine(split, lexicon).text.split("\n")) == "SMETTI DI BRONTOLARE, VECCHIO"
