"""Punctuation doubts of a balloon reading: what OCR gets wrong once every word is known."""

from __future__ import annotations

import pytest

from tools.ocr.punctuation import marks_only_edit, punctuation_doubts


@pytest.mark.parametrize(
    "reading",
    [
        "GRAZIE, TEX",  # closing mark lost
        "LUI SAPRÀ COSA FARE,",  # a stop read as a comma
        "IL CONFINE BRUCERÀ:",
        "SMETTI DI BRONTOLARE, VECCHIO.MIO.",  # a speck between two words read as a glued stop
        "DICONO CHE GLI. UOMINI DEL CUERVO CONOSCONO IL DESERTO.",  # no sentence ends on an article
        "AIUTAMI A: TIRARLO GIÙ DI SELLA.",
    ],
)
def test_misread_marks_are_in_doubt(reading: str) -> None:
    assert punctuation_doubts(reading)


@pytest.mark.parametrize(
    "lettering",
    [
        "È PIÙ TARDI DI QUANTO CREDI, KIT!",
        "UNA DOZZINA... IL CAPO PORTAVA UN MANTELLO NERO...",
        "CIAO, KIT. TIGER, CHE COSA DICONO LE TRACCE?",
        "«FERMI TUTTI!»",
        "NON SO CHE DIRE... E TU?",
        "SONO LE 10.30, TEX.",
    ],
)
def test_well_lettered_balloons_are_not(lettering: str) -> None:
    assert punctuation_doubts(lettering) == []


def test_marks_only_edits_change_punctuation_spacing_or_accents() -> None:
    assert marks_only_edit("E UN SOLDATO DELLA CAVALLERIA AIUTAMI", "È UN SOLDATO DELLA CAVALLERIA. AIUTAMI")
    assert marks_only_edit("VECCHIO.MIO", "VECCHIO MIO")
    assert not marks_only_edit("DEI CARRI", "DEI CAVALLI")
    assert not marks_only_edit("GRAZIE TEX", "GRAZIE, TEX, AMICO")
