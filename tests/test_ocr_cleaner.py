"""The LLM post-corrector may only make small edits that fix unknown words; otherwise the input stays."""

from __future__ import annotations

import pytest

from tools.ocr.cleaner import OcrCleaner


def test_small_fix_of_an_unknown_word_is_accepted(fake_llm) -> None:
    fake_llm.enqueue(" NON MORDERE LA MANO!")
    result = OcrCleaner(fake_llm).clean("NON MOSDERE LA MANO!")
    assert result.accepted and result.text == "NON MORDERE LA MANO!" and result.distance == 1
    assert fake_llm.prompts[0].rstrip().endswith("Testo OCR: NON MOSDERE LA MANO!\nTesto corretto:")


def test_large_rewrite_is_refused(fake_llm) -> None:
    fake_llm.enqueue(" TEX WILLER CAVALCA VERSO IL FORTE DEFIANCE")
    result = OcrCleaner(fake_llm).clean("TEX, ARRIVAN0!")
    assert not result.accepted and result.text == "TEX, ARRIVAN0!" and result.reason == "edit too large"


def test_an_edit_that_fixes_no_word_is_refused(fake_llm) -> None:
    fake_llm.enqueue("NON MOSDERE LE MANO!")
    result = OcrCleaner(fake_llm).clean("NON MOSDERE LA MANO!")
    assert not result.accepted and result.text == "NON MOSDERE LA MANO!"


def test_known_text_is_not_sent_to_the_model(fake_llm) -> None:
    result = OcrCleaner(fake_llm).clean("È PIÙ TARDI DI QUANTO CREDI, KIT!")
    assert not result.accepted and fake_llm.prompts == []


def test_lower_case_answers_are_upper_cased_for_capital_lettering(fake_llm) -> None:
    fake_llm.enqueue("non mordere la mano!")
    assert OcrCleaner(fake_llm).clean("NON MOSDERE LA MANO!").text == "NON MORDERE LA MANO!"


@pytest.mark.real
def test_packaged_gemma_cleaner_never_breaks_a_known_bound() -> None:
    from tools.models import get_llm

    cleaner = OcrCleaner(get_llm("llamacpp:gemma3-270m"))
    text = "QUEL BANDIT0 FINIRÀ MALE!"
    result = cleaner.clean(text)
    assert result.distance <= cleaner.edit_bound(text) or result.text == text
    assert result.text in {text, result.proposed}


def test_a_mark_in_doubt_sends_known_words_to_the_model(fake_llm) -> None:
    fake_llm.enqueue(" CERCHIAMO UN UOMO CON UN MANTELLO NERO. FORSE L'HAI VISTO PASSARE.")
    result = OcrCleaner(fake_llm).clean("CERCHIAMO UN UOMO CON UN MANTELLO NERO FORSE L'HAI VISTO PASSARE")
    assert result.accepted and result.text.endswith("NERO. FORSE L'HAI VISTO PASSARE.")


def test_a_speck_read_as_a_stop_is_removed(fake_llm) -> None:
    fake_llm.enqueue(" DICONO CHE GLI UOMINI DEL CUERVO CONOSCONO IL DESERTO.")
    result = OcrCleaner(fake_llm).clean("DICONO CHE GLI. UOMINI DEL CUERVO CONOSCONO IL DESERTO.")
    assert result.accepted and result.text == "DICONO CHE GLI UOMINI DEL CUERVO CONOSCONO IL DESERTO."


def test_a_marks_only_answer_must_remove_a_doubt(fake_llm) -> None:
    fake_llm.enqueue(" ERA CON LA SCORTA, DEI CARRI")  # a comma added, the missing closing mark still missing
    result = OcrCleaner(fake_llm).clean("ERA CON LA SCORTA DEI CARRI")
    assert not result.accepted and result.reason == "no mark in doubt fixed"


def test_a_mark_in_doubt_does_not_license_changing_letters(fake_llm) -> None:
    fake_llm.enqueue(" ERA CON LA SCORTA DEI CAVALLI.")
    result = OcrCleaner(fake_llm).clean("ERA CON LA SCORTA DEI CARRI")
    assert not result.accepted and result.text == "ERA CON LA SCORTA DEI CARRI"
