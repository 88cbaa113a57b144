"""The style score of generations: per-author LMs fitted on held-out target text and contrast authors,
copied passages cut out, ≥ 500-word samples, and the two real-text controls."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.copies import NgramIndex
from finetune.style_score import (
    MIN_SAMPLE_WORDS,
    pooled_samples,
    profile_label,
    split_tail,
    style_score_report,
)

CORPUS = "corpus/eltec-ita"


def _excerpt(path: Path, start: int, words: int) -> str:
    return " ".join(path.read_text("utf-8").split()[start : start + words])


def test_pending_without_contrast_texts() -> None:
    report = style_score_report(["testo"], [], ["a"], ["b"])
    assert report["scores"] == {} and report["status"].startswith("pending")


def test_pending_when_the_held_out_target_text_is_too_short(tmp_path: Path) -> None:
    other = tmp_path / "Altro-Autore_Libro_1900.txt"
    other.write_text("parole di un altro autore " * 300, encoding="utf-8")
    report = style_score_report(["poche parole tenute da parte"], [other], ["a"], ["b"])
    assert report["scores"] == {} and "has 5 words" in report["status"]


def test_profile_label_is_the_eltec_author(tmp_path: Path) -> None:
    assert profile_label(Path("Verga-Giovanni_Tigre-reale_1875.txt")) == "Verga-Giovanni"
    assert profile_label(tmp_path / "script.txt") == "script"


def test_generations_are_pooled_into_samples_of_at_least_500_words() -> None:
    texts = ["parola " * 200] * 7  # 1,400 words: two samples, the tail joins the last one
    samples = pooled_samples(texts)
    assert [len(s.split()) for s in samples] == [600, 800]
    assert pooled_samples(["poche parole"]) == ["poche parole"]
    assert MIN_SAMPLE_WORDS == 500


def test_copied_runs_of_eight_words_are_found_and_cut() -> None:
    source = "Tex guardò il canyon e disse che la notte sarebbe stata lunga per tutti"
    index = NgramIndex.build([source], 8)
    text = "Poi, all'alba, Tex guardò il canyon e disse che la notte sarebbe stata fredda."
    clean, copied, words = index.remove_copies(text)
    assert copied == 11 and words == 15 and clean.startswith("Poi, all'alba,") and "canyon" not in clean
    assert index.remove_copies("Tex guardò il canyon e poi se ne andò.")[1] == 0  # 5 words only


def test_split_tail_keeps_a_fifth_out() -> None:
    head, tail = split_tail(" ".join(str(i) for i in range(100)))
    assert len(head.split()) == 80 and tail.split()[0] == "80"


def test_texts_in_the_target_style_score_higher_and_controls_bracket_them(shared_dir: Path) -> None:
    corpus = shared_dir / CORPUS
    reference = corpus / "Salgari-Emilio_I-pirati-della-Malesia_1896.txt"  # held-out text of the target
    generated = corpus / "Salgari-Emilio_I-misteri-della-giungla-nera_1887.txt"  # stands in for generations
    contrast = [corpus / "Verga-Giovanni_Tigre-reale_1875.txt", corpus / "Svevo-Italo_Senilita_1898.txt"]
    other = corpus / "Verga-Giovanni_Una-peccatrice_1866.txt"
    if not all(p.is_file() for p in [reference, generated, other, *contrast]):
        pytest.skip("the ELTeC novels this test reads are not in ../shared")
    salgari = [_excerpt(generated, 2000 + 600 * i, 150) for i in range(8)]
    copied = _excerpt(reference, 5000, 40)
    salgari[0] = copied + " " + salgari[0]
    others = [_excerpt(other, 2000 + 600 * i, 150) for i in range(8)]
    report = style_score_report([reference.read_text("utf-8")], contrast, others, salgari)
    scores, details = report["scores"], report["details"]
    assert scores["samples"] == 2 and "2 contrast profile" in report["status"]
    assert scores["adapter"] > 0.5 > scores["base"]
    assert scores["control_target"] > 0.5 > scores["control_other"]
    assert details["adapter"]["copied_words"] >= 30 and details["adapter"]["flagged_samples"] == 1
    assert details["base"]["copied_words"] == 0 and not details["adapter"]["short"]
