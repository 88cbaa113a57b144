"""Prose into passages: chunking rules, `nuvola memory add-text` on the shared corpus, bad files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from memory.passages import chunk_prose, paragraphs, split_long
from memory.store import MemoryStore
from tools.settings import load_settings

PROSE = """CAPITOLO I.

La mia fanciullezza fu libera e gagliarda, e il ricordo
torna a me come un sogno.

Breve.

Un paragrafo lungo. """ + " ".join(f"Frase numero {i} di un lungo racconto." for i in range(40))


def test_paragraphs_join_wrapped_lines() -> None:
    parts = paragraphs(PROSE)
    assert parts[1] == "La mia fanciullezza fu libera e gagliarda, e il ricordo torna a me come un sogno."
    assert len(parts) == 4


def test_long_paragraphs_split_at_sentence_ends_within_the_limit() -> None:
    pieces = split_long(paragraphs(PROSE)[-1], 300)
    assert len(pieces) > 3 and all(len(p) <= 300 for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    giant = "parola " * 200
    assert all(len(p) <= 100 for p in split_long(giant.strip(), 100))


def test_short_paragraphs_merge_into_their_neighbour() -> None:
    chunks = chunk_prose(PROSE, max_chars=300, min_chars=120)
    assert chunks[0].startswith("CAPITOLO I.\nLa mia fanciullezza")
    assert all(len(c) <= 300 for c in chunks)
    assert "".join(chunks).count("Frase numero 39") == 1


def test_add_text_remembers_passages_and_a_bad_file_does_not_stop_the_batch(
    shared_dir: Path, isolated_home: Path, tmp_path: Path
) -> None:
    novel = shared_dir / "corpus" / "eltec-ita" / "Aleramo-Sibilla_Una-donna_1907.txt"
    excerpt = tmp_path / novel.name  # the first chapters only: the whole novel takes a while to embed
    excerpt.write_text(novel.read_text("utf-8")[:12000], "utf-8")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("perché è così".encode("latin-1"))
    env = {"NUVOLA_MODELS__EMBEDDER": "fake"}
    args = ["memory", "add-text", str(excerpt), str(bad), str(tmp_path / "missing.txt"), "--source", "eltec"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1
    assert "latin1.txt: not UTF-8 text" in result.output and "missing.txt: no such file" in result.output
    store = MemoryStore.open(load_settings(home=isolated_home, models={"embedder": "fake"}))
    passages = store.get("passage")
    assert len(passages) == len(chunk_prose(excerpt.read_text("utf-8")))
    assert {p.provenance.source for p in passages} == {excerpt.name}
    again = CliRunner().invoke(cli, ["memory", "add-text", str(excerpt), "--source", "eltec"], env=env)
    assert again.exit_code == 0 and "0 new" in again.output
    removed = CliRunner().invoke(cli, ["memory", "remove-volume", "eltec"], env=env)
    assert removed.exit_code == 0 and store.count("passage") == 0
