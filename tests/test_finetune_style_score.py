"""The style score of generations: the evals style classifier fitted on the target and contrast authors."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune.style_score import profile_label, style_score_report

CORPUS = "corpus/eltec-ita"


def _excerpt(path: Path, start: int, words: int) -> str:
    return " ".join(path.read_text("utf-8").split()[start : start + words])


def test_pending_without_contrast_texts() -> None:
    report = style_score_report(["testo"], [], ["a"], ["b"])
    assert report["scores"] == {} and report["status"].startswith("pending")


def test_profile_label_is_the_eltec_author(tmp_path: Path) -> None:
    assert profile_label(Path("Verga-Giovanni_Tigre-reale_1875.txt")) == "Verga-Giovanni"
    assert profile_label(tmp_path / "script.txt") == "script"


def test_texts_in_the_target_style_score_higher(shared_dir: Path) -> None:
    pytest.importorskip("evals.style_profile", reason="the evals style classifier is not installed")
    corpus = shared_dir / CORPUS
    target = corpus / "Salgari-Emilio_I-misteri-della-giungla-nera_1887.txt"
    held_out = corpus / "Salgari-Emilio_I-pirati-della-Malesia_1896.txt"
    contrast = [corpus / "Verga-Giovanni_Tigre-reale_1875.txt", corpus / "Svevo-Italo_Senilita_1898.txt"]
    if not all(p.is_file() for p in [target, held_out, *contrast]):
        pytest.skip("the ELTeC novels this test reads are not in ../shared")
    salgari = [_excerpt(held_out, 2000 + 600 * i, 150) for i in range(4)]  # never seen by the classifier
    others = [
        _excerpt(corpus / "Verga-Giovanni_Una-peccatrice_1866.txt", 2000 + 600 * i, 150) for i in range(4)
    ]
    report = style_score_report(
        [target.read_text("utf-8")], contrast, base_texts=others, adapter_texts=salgari
    )
    scores = report["scores"]
    assert scores["samples"] == 4 and "2 contrast profile" in report["status"]
    assert scores["adapter"] > scores["base"] and scores["adapter_pooled"] > scores["base_pooled"]
    assert scores["adapter_wins"] >= 3
