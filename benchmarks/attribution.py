"""Attribution benchmark: the harness's style score against Burrows' Delta and a char n-gram SVM,
leave-one-novel-out on the shared ELTeC-ita corpus, at 500 / 1,000 / 2,000 / 5,000-word chunks.

    .venv/bin/python benchmarks/attribution.py [--corpus ../shared/corpus/eltec-ita] [--sizes 500,1000,2000,5000]
                                               [--out report.json]

Targets (issue #10): at 1,000 words the style score beats the better baseline by at least 5 points of top-1
accuracy, and the whole run (every fold, every method) takes at most 10 minutes on two cores. Time is
reported twice: wall clock (inflated when other work shares the cores) and this process's CPU time.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evals.attribution import HARNESS, AttributionConfig, attribute_leave_one_out  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "eltec-ita"
TARGET_MARGIN = 0.05
TARGET_SECONDS = 600.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(corpus: Path, size: int) -> dict[str, object]:
    """One leave-one-novel-out run at `size`-word chunks, with its wall and CPU time."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    report = attribute_leave_one_out(corpus, AttributionConfig(chunk_words=size))
    row: dict[str, object] = {
        "chunk_words": size,
        "n_chunks": report.n_chunks,
        **{name: round(result.accuracy, 4) for name, result in report.methods.items()},
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(cpu_seconds() - cpu, 1),
        "report": report.model_dump(),
    }
    best = max(report.baselines.values(), key=lambda r: r.accuracy).accuracy
    row["margin"] = round(report.methods[HARNESS].accuracy - best, 4)
    return row


def print_table(rows: list[dict[str, object]]) -> None:
    head = f"{'words':>6} {'chunks':>6} {'style':>7} {'delta':>7} {'svm':>7} {'margin':>7} {'wall s':>7} {'cpu s':>7}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['chunk_words']:>6} {r['n_chunks']:>6} {r[HARNESS]:>7.1%} {r['burrows_delta']:>7.1%} "
            f"{r['char_svm']:>7.1%} {r['margin']:>+7.1%} {r['wall_s']:>7} {r['cpu_s']:>7}"
        )


def print_targets(rows: list[dict[str, object]]) -> None:
    at_1000 = next((r for r in rows if r["chunk_words"] == 1000), None)
    if at_1000 is None:
        print("target: not measured (1,000-word chunks were not in --sizes)")
        return
    margin_ok = float(at_1000["margin"]) >= TARGET_MARGIN  # type: ignore[arg-type]
    time_ok = float(at_1000["cpu_s"]) <= TARGET_SECONDS  # type: ignore[arg-type]
    print(
        f"target margin ≥ {TARGET_MARGIN:.0%} at 1,000 words: {at_1000['margin']:+.1%} -> {'MET' if margin_ok else 'MISSED'}"
    )
    print(
        f"target time ≤ {TARGET_SECONDS:.0f} s: cpu {at_1000['cpu_s']} s, wall {at_1000['wall_s']} s -> {'MET' if time_ok else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", default="500,1000,2000,5000")
    parser.add_argument("--out", type=Path, help="write every report (with its configuration) as JSON here")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"{args.corpus}: corpus folder not found (pass --corpus)")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(measure(args.corpus, size))
        print(f"measured {size}-word chunks in {rows[-1]['wall_s']} s", file=sys.stderr, flush=True)
    print_table(rows)
    print_targets(rows)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
