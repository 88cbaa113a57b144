"""Repairs of hand-lettered capitals (tools/ocr/hand_repairs.py) and where normalise_lettering applies them.

The misreadings below are the ones the line reader made on Tex-like panels lettered in a hand (Breip)."""

from __future__ import annotations

import pytest

from tools.ocr.hand_repairs import (
    confusion_repair,
    repair_hand_lettering,
    series_words,
    split_repair,
    unpaired_quotes,
)
from tools.ocr.lexicon import italian_lexicon
from tools.ocr.normalise import normalise_lettering


@pytest.fixture(scope="module")
def lexicon():
    return italian_lexicon()


@pytest.mark.parametrize(
    ("read", "meant"),
    [("CIORNI", "GIORNI"), ("CIUDICE", "GIUDICE"), ("MIGUO", "MIGLIO"), ("VOGUA", "VOGLIA"), ("NOL", "NOI")],
)
def test_one_confusion_swapped_when_it_alone_makes_a_word(lexicon, read, meant):
    assert confusion_repair(read, lexicon) == meant


def test_long_words_may_take_two_swaps(lexicon):
    assert confusion_repair("SURVECLIATO", lexicon) == "SORVEGLIATO"  # U read for O, C for G
    assert confusion_repair("IWUTILE", lexicon) == "INUTILE"  # N read W
    assert confusion_repair("MONTALES", lexicon) is None  # a name no two swaps make a word of


def test_a_confusion_with_two_words_is_left_as_read(lexicon):
    assert confusion_repair("USTO", lexicon) is None  # VISTO and LISTO
    assert confusion_repair("QWXZ", lexicon) is None


def test_run_together_words_split_towards_function_words(lexicon):
    assert split_repair("DINOI", lexicon) == "DI NOI"
    assert split_repair("CHETIVEDO", lexicon) == "CHE TI VEDO"  # not CHETI VEDO
    assert split_repair("DIMILLEDOLLARI", lexicon) == "DI MILLE DOLLARI"
    assert split_repair("YAKIMA", lexicon) is None  # YAK I MA: short rare words do not count
    assert split_repair("UNALTRA", lexicon) is None  # not UN AL TRA: three function words make no split


def test_an_elision_that_lost_its_apostrophe(lexicon):
    assert split_repair("ALLALBA", lexicon) == "ALL'ALBA"
    assert split_repair("QUELLUOMO", lexicon) == "QUELL'UOMO"
    assert split_repair("DELLORO", lexicon) is None  # DELL'ORO or DEL LORO: left as read
    assert (
        normalise_lettering(["IL TRENO ARRIVERÀ ALLALBA, PUNTUALE."])
        == "IL TRENO ARRIVERÀ ALL'ALBA, PUNTUALE."
    )


def test_words_known_to_the_lexicon_or_the_series_are_never_touched(lexicon):
    keep = series_words()
    assert {"pard", "saloon", "tucson"} <= keep
    text = "PARD, IL SALOON DI TUCSON È CHIUSO. HASKELL E CUERVO, GRRR!"
    assert repair_hand_lettering(text, lexicon, keep) == text
    assert repair_hand_lettering("PARD", lexicon) == "PARO"  # what the series words prevent


def test_unpaired_quotes_are_specks_paired_ones_stay():
    assert unpaired_quotes('"GIÀ, E NESSUNO HA "VOGLIA') == "GIÀ, E NESSUNO HA VOGLIA"
    assert unpaired_quotes('MIGLIO " E CI SIAMO') == "MIGLIO E CI SIAMO"
    assert unpaired_quotes('HA DETTO "MANI IN ALTO" E POI') == 'HA DETTO "MANI IN ALTO" E POI'
    assert unpaired_quotes('E" LA PRIMA VOLTA') == 'E" LA PRIMA VOLTA'  # the accent repair's: È


def test_normalise_applies_them_to_capital_lettering_only():
    assert normalise_lettering(["SEMBRA CHE IL CIUDICE", "SIA PIÙ SPAVENTATO DI NOL,"]) == (
        "SEMBRA CHE IL GIUDICE SIA PIÙ SPAVENTATO DI NOI,"
    )
    assert (
        normalise_lettering(["È LA PRIMA VOLTA CHETIVEDO ESITARE."])
        == "È LA PRIMA VOLTA CHE TI VEDO ESITARE."
    )
    assert normalise_lettering(['"GIÀ, E NESSUNO HA "VOGUA']) == "GIÀ, E NESSUNO HA VOGLIA"
    assert normalise_lettering(['E" LA PRIMA VOLTA']) == "È LA PRIMA VOLTA"
    assert normalise_lettering(["PERÈ"]) == "PERÈ"  # the accent repair's question, not a split
    assert normalise_lettering(["il ciudice"]) == "il ciudice"  # not lettering capitals: as read


def test_lettering_is_spaced_after_marks_but_not_inside_an_ellipsis():
    assert normalise_lettering(["UNA CAMERA?È UN FURTO!"]) == "UNA CAMERA? È UN FURTO!"
    assert normalise_lettering(["PARTITO.È TARDI"]) == "PARTITO. È TARDI"
    assert normalise_lettering(["...ed ora il tocco finale!"]) == "...ed ora il tocco finale!"
    assert normalise_lettering(["Sì...perfetto!"]) == "Sì...perfetto!"
    assert normalise_lettering(["3.5 DOLLARI"]) == "3.5 DOLLARI"
