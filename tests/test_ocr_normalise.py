"""Lettering-aware normalisation: accents vs elisions, hyphenation, OCR confusions, all decided by the lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import InputFileError
from tools.ocr.lexicon import Lexicon, build_lexicon, italian_lexicon, read_hunspell_stems
from tools.ocr.metrics import ErrorCounts, cer, lines_recalled, wer
from tools.ocr.normalise import accented_form, join_lines, normalise_lettering


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["E' PIU' TARDI"], "È PIÙ TARDI"),
        (["COSI' SIA,", "GIA' FATTO!"], "COSÌ SIA, GIÀ FATTO!"),
        (["FINIRA' MALE"], "FINIRÀ MALE"),
        (["PERCHE' NON PARLI?"], "PERCHÉ NON PARLI?"),
        (["BELL'E FATTO"], "BELL'E FATTO"),
        (["L'UOMO DELL'ORO"], "L'UOMO DELL'ORO"),
        (["C'E' QUALCUNO?"], "C'È QUALCUNO?"),
        (["UN PO' DI CAFFE'"], "UN PO' DI CAFFÈ"),
        (["NON MORDE-", "RE!"], "NON MORDERE!"),
        (["DELL'", "ORO"], "DELL'ORO"),
        (["TEX, GUARDA", "LAGGIU'!"], "TEX, GUARDA LAGGIÙ!"),
    ],
)
def test_bonelli_lettering_conventions(lines: list[str], expected: str) -> None:
    assert normalise_lettering(lines) == expected


@pytest.mark.parametrize(
    ("ocr", "expected"),
    [
        ("E*PIU™ TARDI", "È PIÙ TARDI"),  # the seed project's Tesseract reading of E' PIU'
        ("E» VERO", "È VERO"),
        ("E’ TARDI", "È TARDI"),
        ("T0RNA A CASA", "TORNA A CASA"),
        ("|L RANCH", "IL RANCH"),
        ("GIA FATTO", "GIÀ FATTO"),  # a lost apostrophe, restored because GIA is no word and GIÀ is
        ("TEX !", "TEX!"),
        ("AL FORTE. ©", "AL FORTE."),
        (".Oh accidenti", "...Oh accidenti"),  # an opening ellipsis read as one dot
        ("...... domani?", "... domani?"),  # and read with extra dots
        ("E. POI", "E. POI"),
    ],
)
def test_ocr_confusions_are_repaired_to_words(ocr: str, expected: str) -> None:
    assert normalise_lettering([ocr]) == expected


@pytest.mark.parametrize(
    ("ocr", "expected"),
    [
        ("COSÈ VA BENE", "COSÌ VA BENE"),  # the vowel under the accent misread: COSÌ is the one word
        ("PERCHÈ NO?", "PERCHÉ NO?"),  # the accent's slant misread
        ("LA CITTÁ", "LA CITTÀ"),
        ("PERÓ", "PERÒ"),  # the same vowel first (PERÌ is a word too, on another vowel)
    ],
)
def test_wrong_accents_become_the_one_word_the_lexicon_knows(ocr: str, expected: str) -> None:
    assert normalise_lettering([ocr]) == expected


def test_wrong_accent_repair_leaves_words_and_mixed_case() -> None:
    assert normalise_lettering(["NON È COLPA"]) == "NON È COLPA"  # È is a word: kept
    assert normalise_lettering(["DOV'È?"]) == "DOV'È?"
    assert normalise_lettering(["Perchè no"]) == "Perchè no"  # mixed case: not lettering capitals
    assert normalise_lettering(["QWXÈ"]) == "QWXÈ"  # no word on any vowel: left as read
    assert normalise_lettering(["PERÈ"]) == "PERÈ"  # PERÒ and PERÌ: ambiguous, left as read


def test_repairs_stop_where_the_lexicon_says_no() -> None:
    assert normalise_lettering(["CUERVO*"]) == "CUERVO"  # no accented CUERVÒ: only the stray mark goes
    assert normalise_lettering(["PAPA"]) == "PAPA"  # a word already: no accent invented
    assert normalise_lettering(["Pepper, sei là?"]) == "Pepper, sei là?"  # mixed case is kept


def test_accented_form_uses_grave_then_acute() -> None:
    lexicon = italian_lexicon()
    assert accented_form("PIU", lexicon) == "PIÙ"
    assert accented_form("perche", lexicon) == "perché"
    assert accented_form("CASA", lexicon) is None


def test_join_lines_keeps_dashes_of_interrupted_speech() -> None:
    assert join_lines(["MA IO -", "NON CREDO"]) == "MA IO - NON CREDO"
    assert join_lines(["  UNA  ", "", "RIGA"]) == "UNA RIGA"


def test_lexicon_reads_hunspell_stems_and_elisions(tmp_path: Path) -> None:
    dic = tmp_path / "it.dic"
    dic.write_text("3\nè\npo'\ncasa/SF\n", encoding="utf-8")
    words = tmp_path / "words"
    words.write_text("dell'oro\n", encoding="utf-8")
    assert read_hunspell_stems(dic) == ["è", "po'", "casa"]
    lexicon = build_lexicon([words], [dic])
    assert "CASA" in lexicon and "po'" in lexicon and lexicon.is_elision_prefix("DELL")
    assert not lexicon.is_elision_prefix("casa")


def test_missing_lexicon_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="witalian"):
        build_lexicon([tmp_path / "none"], [tmp_path / "none.dic"])


def test_extra_words_join_the_lexicon() -> None:
    lexicon = Lexicon()
    lexicon.add(["Tiger Jack", "Kit Carson"])
    assert "jack" in lexicon and "CARSON" in lexicon


def test_error_rates() -> None:
    assert cer("TEX", "TEX") == 0.0
    assert cer("TEK", "TEX") == pytest.approx(1 / 3)
    assert wer("CIAO TEX", "CIAO KIT") == pytest.approx(0.5)
    counts = ErrorCounts()
    counts.add("TEX", "TEX", ["TEX"], ["TEX"])
    counts.add("KIT", "KIT CARSON", ["KIT"], ["KIT", "CARSON"])
    assert counts.cer == pytest.approx(7 / 13)
    assert counts.line_recall == pytest.approx(2 / 3)
    assert counts.exact_rate == 0.5


def test_line_recall_counts_lost_lines_only() -> None:
    ref = ["TEX, GUARDA", "LAGGIU'!", "ARRIVANO!"]
    assert lines_recalled(["TEX, GUARDA", "LAGGIU'!", "ARRIVANO!"], ref) == 3
    assert lines_recalled(["TEX. GUARDA", "LAGGU'!", "ARRIVANO!"], ref) == 3  # misread is not lost
    assert lines_recalled(["TEX, GUARDA", "ARRIVANO!"], ref) == 2


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("PIÙ IN LÀ C'E UN GUADO", "PIÙ IN LÀ C'È UN GUADO"),
        ("DIMMI DOV'E IL CARICO!", "DIMMI DOV'È IL CARICO!"),
        ("NON C'E.", "NON C'È."),
        ("C'E' UN GUADO", "C'È UN GUADO"),  # the lettered accent, as before
        ("L'ESERCITO E IL FORTE", "L'ESERCITO E IL FORTE"),  # the conjunction, not after an elision
        ("BELL'E FATTO", "BELL'E FATTO"),  # the conjunction after another elision
    ],
)
def test_a_lone_e_after_an_elision_is_the_verb(read: str, expected: str) -> None:
    """Hand lettering loses the accent of È first; after C', DOV', COM', COS' a lone E cannot be the
    conjunction (after BELL' it is)."""
    assert normalise_lettering([read]) == expected


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("NON E COLPA MIA", "NON È COLPA MIA"),
        ("IL CAVALLO SI E AZZOPPATO", "IL CAVALLO SI È AZZOPPATO"),
        ("CHI E STATO?", "CHI È STATO?"),
        ("MA E SORVEGLIATO", "MA E SORVEGLIATO"),  # after MA the conjunction is common: left as read
        ("TEX E CARSON", "TEX E CARSON"),
        ("NONE E SI", "NONE E SI"),  # only the whole word
    ],
)
def test_a_lone_e_after_non_si_che_is_the_verb(read: str, expected: str) -> None:
    assert normalise_lettering([read]) == expected


def test_the_verb_contexts_hold_in_the_novels(shared_dir):
    """Each word of VERB_E_AFTER is followed by the verb è at least 95 % of the times it is followed by
    è or e, 50 times or more, in the ELTeC novels the list was counted on."""
    import re

    from tools.ocr.normalise import VERB_E_AFTER

    counts = {word.lower(): [0, 0] for word in VERB_E_AFTER}
    pattern = re.compile(r"(\w+)\s+(e|è|é)\b(?!')")
    for path in sorted((shared_dir / "corpus" / "eltec-ita").glob("*.txt")):
        for match in pattern.finditer(path.read_text(encoding="utf-8").lower()):
            if match.group(1) in counts:
                counts[match.group(1)][match.group(2) == "e"] += 1
    for word, (verb, conjunction) in counts.items():
        assert verb >= 50 and verb >= 0.95 * (verb + conjunction), (word, verb, conjunction)


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("PERO LE TRACCE PORTANO AL CONFINE", "PERÒ LE TRACCE PORTANO AL CONFINE"),
        ("COSI IMPARERAI", "COSÌ IMPARERAI"),
        ("LO FARO DOMANI", "LO FARÒ DOMANI"),
        ("pero no", "pero no"),  # sentence case keeps what it reads
        ("LO SUPERO", "LO SUPERO"),  # only the whole word
    ],
)
def test_words_speech_almost_always_accents_get_their_accent_in_capitals(read: str, expected: str) -> None:
    assert normalise_lettering([read]) == expected


def test_the_usual_accents_hold_in_the_novels_speech(shared_dir):
    """Each word of ACCENT_USUAL is at least 95 % of its pair's uses (accented or not), 50 times or more,
    in the quoted speech of the ELTeC novels."""
    import re

    from tools.dialogue.corpus import quoted_speech
    from tools.ocr.normalise import ACCENT_USUAL

    accented = {word.lower() for word in ACCENT_USUAL}
    plain = {word: word.translate(str.maketrans("àèéìòù", "aeeiou")) for word in accented}
    counts: dict[str, int] = dict.fromkeys([*accented, *plain.values()], 0)
    for path in sorted((shared_dir / "corpus" / "eltec-ita").glob("*.txt")):
        speech = " ".join(quoted_speech(path.read_text(encoding="utf-8"))).lower()
        for token in re.findall(r"(?<![\w'’])[^\W\d_]+(?![\w'’])", speech):
            if token in counts:
                counts[token] += 1
    for word in accented:
        usual, other = counts[word], counts[plain[word]]
        assert usual >= 50 and usual >= 0.95 * (usual + other), (word, usual, other)


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("NO! non ci pensare nemmenol", "NO! non ci pensare nemmeno!"),  # ! read as l after small letters
        ("ecco il mio bel", "ecco il mio bel"),  # a word that ends in l stays
        ("gli ingredienti per ' la Gara", "gli ingredienti per la Gara"),  # a lone apostrophe is noise
        ("un po ' di pane", "un po' di pane"),  # ... or the apocope's own
    ],
)
def test_sentence_case_exclamation_and_lone_apostrophes(read: str, expected: str) -> None:
    assert normalise_lettering([read]) == expected
