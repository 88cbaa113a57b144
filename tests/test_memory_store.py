"""The Chroma store: idempotent upserts, filters, volume removal, export/import, persistence, embedders."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from memory.errors import EmbedderMismatchError
from memory.records import MemoryRecord, Provenance
from memory.retrieval import search
from memory.store import MemoryStore, StoredRow
from memory.transfer import export_jsonl, import_jsonl
from tools.errors import InputFileError
from tools.settings import load_settings

REPO = Path(__file__).resolve().parents[1]


def _store(home: Path, embedder: str = "fake") -> MemoryStore:
    return MemoryStore.open(load_settings(home=home, models={"embedder": embedder}))


def _line(volume: str, n: int, speaker: str, text: str, addressee: str | None = None) -> MemoryRecord:
    return MemoryRecord(
        kind="line",
        key=f"{volume}#p{n}:b0",
        text=text,
        metadata={"speaker": speaker, "characters": [c for c in (speaker, addressee) if c]},
        provenance=Provenance(
            volume=volume,
            page_index=n,
            page_id=f"p{n}",
            balloon_ids=[f"p{n}:b0"],
            image_path=f"pages/p{n}.png",
        ),
    )


LINES = [
    _line("Tex 1", 0, "Tex", "Carson, sella i cavalli per Tucson.", "Kit Carson"),
    _line("Tex 1", 1, "Kit Carson", "Le mie vecchie ossa protestano, Tex!", "Tex"),
    _line("Tex 1", 2, "Bradley", "Riempiremo di piombo quel ranger!"),
    _line("Tex 2", 0, "Mefisto", "Le mie ombre ti raggiungeranno, Tex Willer!", "Tex"),
    _line("Tex 2", 1, "Tex", "Mefisto, stavolta non scapperai.", "Mefisto"),
]


def test_upsert_is_idempotent_and_only_embeds_new_content(isolated_home: Path) -> None:
    store = _store(isolated_home)
    first = store.upsert(LINES)
    again = store.upsert(LINES + LINES[:2])  # duplicates inside one batch collapse too
    assert (first.added, first.unchanged) == (5, 0)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert store.count("line") == 5


def test_changed_metadata_is_updated_in_place(isolated_home: Path) -> None:
    store = _store(isolated_home)
    store.upsert(LINES)
    changed = LINES[0].model_copy(update={"metadata": {**LINES[0].metadata, "scene_index": 3}})
    report = store.upsert([changed])
    assert (report.added, report.updated) == (0, 1)
    [record] = store.get("line", where={"scene_index": 3})
    assert record.text == LINES[0].text and record.provenance.balloon_ids == ["p0:b0"]


def test_filters_by_character_alias_volume_and_kind(isolated_home: Path) -> None:
    store = _store(isolated_home)
    store.upsert(LINES)
    by_alias = search(store, "ombre", character="Aquila della Notte", k=10)
    assert by_alias and all("Tex" in h.metadata["characters"] for h in by_alias)
    assert {h.provenance.volume for h in search(store, "Tex", volume="Tex 2", k=10)} == {"Tex 2"}
    assert search(store, "Tex", kind="scene") == []
    mefisto = search(store, "ombre", character="Mefisto", kind="line", k=10)
    assert {h.metadata["speaker"] for h in mefisto} == {"Mefisto", "Tex"}


def test_filter_that_matches_nothing_returns_no_hits(isolated_home: Path) -> None:
    store = _store(isolated_home)
    store.upsert([_line("Tex 3", n, "Tex", f"Riga numero {n} del ranger.") for n in range(30)])
    # more records than the post-filter looks at, so Chroma's own filtered search answers: with no rows
    assert store.query("line", text="ranger", where={"volume": "Tex 99"}, k=1) == []
    assert search(store, "ranger", volume="Tex 99", k=1) == []


def test_remove_volume_removes_every_record_of_it_and_nothing_else(isolated_home: Path) -> None:
    store = _store(isolated_home)
    store.upsert(LINES)
    scene = MemoryRecord(
        kind="scene",
        key="Tex 1#0",
        text="Al forte Tex e Carson partono.",
        provenance=Provenance(volume="Tex 1", pages=[0, 2]),
    )
    store.upsert([scene])
    removed = store.remove_volume("Tex 1")
    assert removed["line"] == 3 and removed["scene"] == 1
    assert store.count("scene") == 0
    assert {r.provenance.volume for r in store.get("line")} == {"Tex 2"}


def test_export_import_round_trip_is_equal(isolated_home: Path, tmp_path: Path) -> None:
    store = _store(isolated_home)
    store.upsert(LINES)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    counts = export_jsonl(store, first)
    assert counts["line"] == 5
    other = _store(tmp_path / "other-home")
    assert import_jsonl(other, first) == {"line": 5}
    export_jsonl(other, second)
    assert first.read_text("utf-8") == second.read_text("utf-8")
    hits_a = sorted((h.model_dump() for h in search(store, "ombre Tex", k=5)), key=lambda h: h["text"])
    hits_b = sorted((h.model_dump() for h in search(other, "ombre Tex", k=5)), key=lambda h: h["text"])
    assert hits_a == hits_b


def test_bad_import_names_the_line_and_writes_nothing(isolated_home: Path, tmp_path: Path) -> None:
    store = _store(isolated_home)
    store.upsert(LINES)
    good = tmp_path / "good.jsonl"
    export_jsonl(store, good)
    lines = good.read_text("utf-8").splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*lines[:3], '{"kind": "line", "id": 3}', *lines[3:]]) + "\n", "utf-8")
    fresh = _store(tmp_path / "fresh")
    with pytest.raises(InputFileError, match=r"bad.jsonl: line 4 is not a memory row"):
        import_jsonl(fresh, bad)
    assert fresh.count("line") == 0


def test_import_from_another_embedder_needs_reembed(isolated_home: Path, tmp_path: Path) -> None:
    store = _store(isolated_home)
    store.upsert(LINES[:2])
    dump = tmp_path / "dump.jsonl"
    export_jsonl(store, dump)
    header = json.loads(dump.read_text("utf-8").splitlines()[0])
    header["embedder"] = "st:/elsewhere"
    dump.write_text("\n".join([json.dumps(header), *dump.read_text("utf-8").splitlines()[1:]]), "utf-8")
    target = _store(tmp_path / "t")
    with pytest.raises(EmbedderMismatchError, match="--reembed"):
        import_jsonl(target, dump)
    assert import_jsonl(target, dump, reembed=True) == {"line": 2}
    assert search(target, "ossa", k=1)[0].metadata["speaker"] == "Kit Carson"


def test_memory_built_with_one_embedder_refuses_another(isolated_home: Path) -> None:
    _store(isolated_home).upsert(LINES)
    with pytest.raises(EmbedderMismatchError, match="built with the embedder 'fake'"):
        _store(isolated_home, embedder="st:/some/model").count("line")


def test_memory_persists_across_processes(isolated_home: Path) -> None:
    writer = textwrap.dedent(
        f"""
        import sys; sys.path.insert(0, {str(REPO)!r})
        from memory.records import MemoryRecord, Provenance
        from memory.store import MemoryStore, StoredRow
        from tools.settings import load_settings
        store = MemoryStore.open(load_settings(home={str(isolated_home)!r}, models={{"embedder": "fake"}}))
        store.upsert([MemoryRecord(kind="line", key="V#p0:b0", text="scritto da un altro processo",
                                   metadata={{"speaker": "Tex"}}, provenance=Provenance(volume="V", page_index=0))])
        """
    )
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=120)
    store = _store(isolated_home)
    [hit] = search(store, "scritto da un altro processo", k=1)
    assert hit.text == "Tex: scritto da un altro processo" and hit.provenance.page_index == 0
    store.upsert(LINES[:1])
    assert _store(isolated_home).count("line") == 2


def _random_lines(n: int, seed: int = 3) -> list[StoredRow]:
    """`n` lines with random unit vectors: Tex speaks a third of them, 19 others share the rest."""
    rng = np.random.default_rng(seed)
    speakers = ["Tex", "Kit Carson", "Mefisto", "Tiger Jack"] + [f"Comparsa {i}" for i in range(16)]
    rows = []
    for i in range(n):
        who = speakers[0] if i % 3 == 0 else speakers[i % len(speakers)]  # Tex is common, others rare
        record = MemoryRecord(
            kind="line",
            key=f"V{i % 7}#{i}",
            text=f"battuta {i}",
            metadata={"speaker": who, "characters": [who, "Tex"][: 1 + i % 2], "page_index": i % 40},
            provenance=Provenance(volume=f"V{i % 7}", page_index=i % 40),
        )
        vector = rng.normal(size=16).astype(np.float32)
        rows.append(
            StoredRow(
                record.id,
                "line",
                record.text,
                record.chroma_metadata(),
                (vector / np.linalg.norm(vector)).tolist(),
            )
        )
    return rows


def test_filtered_queries_match_chromas_own_filtering(isolated_home: Path) -> None:
    """Broad filters (tested on the nearest records) and narrow ones (searched among their ids) both give
    Chroma's own filtered answer, for any operator, twice in a row (the second from remembered ids)."""
    rng = np.random.default_rng(4)
    store = _store(isolated_home)
    store.put_rows(_random_lines(600))
    col = store.collection("line")
    filters = [
        {"speaker": "Tex"},  # a third of the lines: the nearest-records path
        {"speaker": "Comparsa 5"},  # a handful: the matching-ids path
        {"volume": "V3"},
        {"characters": {"$contains": "Tex"}},
        {"$and": [{"speaker": "Tex"}, {"page_index": {"$gte": 20}}]},
        {"speaker": {"$in": ["Mefisto", "Kit Carson"]}},
        {"speaker": {"$ne": "Tex"}},
        {"speaker": "Nessuno"},
    ]
    for where in filters:
        for _ in range(3):
            query = rng.normal(size=16).astype(np.float32)
            ours = [r.key for r, _ in store.query("line", embedding=query, where=where, k=10)]
            theirs = col.query(query_embeddings=[query], n_results=10, where=where, include=["metadatas"])
            assert ours == [m["key"] for m in theirs["metadatas"][0]], where


def test_remembered_filters_follow_this_processs_writes(isolated_home: Path) -> None:
    store = _store(isolated_home)
    store.upsert(LINES)
    tex_lines = {"speaker": "Tex"}
    assert len(store.query("line", text="Tucson", where=tex_lines, k=10)) == 2
    store.upsert([_line("Tex 3", 0, "Tex", "Un'altra battuta di Tex.")])
    assert len(store.query("line", text="Tucson", where=tex_lines, k=10)) == 3
    store.remove_volume("Tex 1")
    left = {r.text for r, _ in store.query("line", text="Tucson", where=tex_lines, k=10)}
    assert left == {LINES[4].text, "Un'altra battuta di Tex."}
