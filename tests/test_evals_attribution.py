"""Attribution: constructed corpora with known answers, the CLI, and a slice of the shared ELTeC corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from evals.attribution import AttributionConfig, attribute
from tests.test_evals_metrics import styled_text

SLICE = {  # two novels each: train on the first, attribute chunks of the second
    "Svevo-Italo": ("Svevo-Italo_Senilita_1898.txt", "Svevo-Italo_Una-vita_1892.txt"),
    "Verga-Giovanni": ("Verga-Giovanni_Tigre-reale_1875.txt", "Verga-Giovanni_Una-peccatrice_1866.txt"),
    "Deledda-Grazia": ("Deledda-Grazia_Canne-al-vento_1913.txt", "Deledda-Grazia_La-via-del-male_1896.txt"),
    "Salgari-Emilio": (
        "Salgari-Emilio_I-misteri-della-giungla-nera_1887.txt",
        "Salgari-Emilio_I-pirati-della-Malesia_1896.txt",
    ),
}


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_corpus(root: Path) -> Path:
    """Authors A, B, C with two 'novels' each (different character names), D with one."""
    root.mkdir(parents=True, exist_ok=True)
    for style, names in (("A", ("Giorgio", "Marta")), ("B", ("Emilio", "Lucia")), ("C", ("Pietro", "Anna"))):
        for k, name in enumerate(names):
            (root / f"Autore-{style}_Romanzo-{k}_190{k}.txt").write_text(
                styled_text(style, 2500, 10 * k, (name,) * 3)
            )
    (root / "Autore-D_Unico_1900.txt").write_text(styled_text("D", 1200, 99, ("Zeno",)))
    return root


def test_attribution_on_constructed_styles_reports_methods_and_skips(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    train, test = tmp_path / "train", tmp_path / "test"
    train.mkdir(), test.mkdir()
    for path in corpus.iterdir():
        (train if "Romanzo-0" in path.name else test).joinpath(path.name).symlink_to(path)
    (test / "Autore-Nuovo_Testo_1950.txt").write_text(styled_text("B", 600, 5))
    (test / "Autore-C_Rotto_1900.txt").write_bytes(b"\xff\xfe non \xe0 utf-8 " * 50)
    report = attribute(train, test, AttributionConfig(chunk_words=250))
    assert report.n_chunks == 30  # three 2,500-word texts, ten chunks each
    # styles that differ only in word rates, 2,500 training words: the rate-based profile and the
    # combination are exact, the author LMs alone (which need more text to see rates) nearly so
    assert report.methods["style_score"].accuracy == 1.0 and report.accuracy == 1.0
    assert report.methods["author_lm"].accuracy >= 0.9
    assert set(report.calibration) == {"combined", "author_lm"}
    assert set(report.baselines) == {"author_lm", "style_score", "burrows_delta", "char_svm"}
    assert all(b.n_chunks == 30 for b in report.baselines.values())
    assert {a: s.n_chunks for a, s in report.per_author.items()} == {
        "Autore-A": 10,
        "Autore-B": 10,
        "Autore-C": 10,
    }
    assert report.skipped_authors == [
        "Autore-D",
        "Autore-Nuovo",
    ]  # no training text: no profile to attribute to
    assert (
        len(report.errors) == 1
        and "Autore-C_Rotto_1900.txt" in report.errors[0]
        and "UTF-8" in report.errors[0]
    )
    assert report.config["chunk_words"] == 250 and report.config["seed"] == 0
    assert report.confusion is not None and sum(map(sum, report.confusion.matrix)) == 30


def test_cli_leave_one_out_json_and_split(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    result = run(
        "eval",
        "attribution",
        "--leave-one-out",
        str(corpus),
        "--chunk-words",
        "500",
        "--json",
        "--out",
        str(tmp_path / "r.json"),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"accuracy", "n_chunks", "per_author", "baselines"} <= set(data)
    assert data["n_chunks"] == 30 and len(data["folds"]) == 2 and data["accuracy"] >= 0.9
    assert all("Autore-D_Unico_1900.txt" in f["train_files"] for f in data["folds"])
    assert json.loads((tmp_path / "r.json").read_text()) == data
    result = run("eval", "split", str(corpus), "--out", str(tmp_path / "folds"))
    assert result.exit_code == 0, result.output
    test_links = sorted(p.name for p in (tmp_path / "folds" / "fold-1" / "test").iterdir())
    assert test_links == [
        "Autore-A_Romanzo-1_1901.txt",
        "Autore-B_Romanzo-1_1901.txt",
        "Autore-C_Romanzo-1_1901.txt",
    ]
    assert (tmp_path / "folds" / "fold-1" / "train" / "Autore-A_Romanzo-0_1900.txt").resolve().is_file()
    table = run(
        "eval",
        "attribution",
        "--train",
        str(tmp_path / "folds" / "fold-1" / "train"),
        "--test",
        str(tmp_path / "folds" / "fold-1" / "test"),
        "--chunk-words",
        "500",
    )
    assert table.exit_code == 0 and "Attribution of 15 chunks of 500 words" in table.output
    assert "calibration" in table.output


def test_cli_attribution_usage_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "attribution", "--train", str(tmp_path)])
    assert result.exit_code == 2 and "--leave-one-out" in result.output


def test_eltec_slice_author_lm_attributes_held_out_novels(shared_dir: Path, tmp_path: Path) -> None:
    corpus = shared_dir / "corpus" / "eltec-ita"
    if not all((corpus / name).is_file() for pair in SLICE.values() for name in pair):
        pytest.skip("the ELTeC-ita novels of the slice are not in ../shared/corpus/eltec-ita")
    train, test = tmp_path / "train", tmp_path / "test"
    train.mkdir(), test.mkdir()
    for first, second in SLICE.values():
        (train / first).symlink_to(corpus / first)
        (test / second).symlink_to(corpus / second)
    report = attribute(train, test, AttributionConfig(chunk_words=2000))
    assert report.n_chunks > 100  # four authors only: the comparison with baselines is the benchmark's
    assert report.accuracy >= 0.95
    assert min(a.accuracy for a in report.per_author.values()) >= 0.9
