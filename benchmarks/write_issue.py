"""Benchmark `write-issue`: a run on the configured (default: embedded) models, timed from its run log.

    .venv/bin/python benchmarks/write_issue.py [--pages 4] [--seed 0] [-m ROLE=NAME ...] [--keep DIR]

Prints wall time per stage, LLM time against everything else (graph, checkpoints, parsing, tools; the
target is at most 5% of LLM time), tokens generated and how many parts fell back.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.run import RunPaths, write_issue  # noqa: E402
from agent.runlog import read_run_log  # noqa: E402
from tools.settings import load_settings, parse_model_overrides  # noqa: E402

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
OVERHEAD_TARGET = 0.05


def stage_of(event: dict[str, Any]) -> str:
    return str(event.get("stage", "")).split(":")[0].split("#")[0] or "setup"


def summarise(events: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per stage: node wall time, LLM seconds, tool seconds, tokens, calls, attempts, fallbacks."""
    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for event in events:
        row = rows[stage_of(event)]
        kind = event["kind"]
        if kind == "node_end":
            row["wall"] += event["seconds"]
        elif kind == "llm":
            row["llm"] += event["seconds"]
            row["tokens"] += event["tokens"]
            row["calls"] += 1
            row["attempts"] += event["attempts"]
        elif kind == "tool":
            row["tools"] += event["seconds"]
        elif kind == "fallback":
            row["fallbacks"] += 1
        elif kind in ("model_load", "lexicon_load"):
            row["load"] += event["seconds"]
    return rows


def report(rows: dict[str, dict[str, float]], total: float, graph_wall: float, console: Console) -> None:
    table = Table(title="write-issue benchmark")
    for column in ("stage", "wall s", "LLM s", "tools s", "other s", "calls", "attempts", "tokens", "fallbacks"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    order = ["prepare", "outline", "review", "narrate", "direct", "voice", "deliver"]
    for stage in [s for s in order if s in rows]:
        r = rows[stage]
        other = r["wall"] - r["llm"] - r["tools"]
        table.add_row(stage, f"{r['wall']:.2f}", f"{r['llm']:.2f}", f"{r['tools']:.3f}", f"{other:.3f}",
                      f"{r['calls']:.0f}", f"{r['attempts']:.0f}", f"{r['tokens']:.0f}", f"{r['fallbacks']:.0f}")
    console.print(table)
    llm = sum(r["llm"] for r in rows.values())
    load = rows["setup"]["load"] if "setup" in rows else 0.0
    tokens = sum(r["tokens"] for r in rows.values())
    overhead = graph_wall - llm
    figures = Table(title="totals", show_header=True)
    for column in ("figure", "value", "target"):
        figures.add_column(column)
    share = overhead / llm if llm else float("nan")
    verdict = "[green]ok[/]" if share <= OVERHEAD_TARGET else "[red]over[/]"
    figures.add_row("wall time, whole run", f"{total:.1f} s", "")
    figures.add_row("model + lexicon load", f"{load:.2f} s", "")
    figures.add_row("graph run (first node to deliver)", f"{graph_wall:.1f} s", "")
    figures.add_row("LLM time", f"{llm:.1f} s", "")
    figures.add_row("graph + tools + parsing + checkpoints", f"{overhead:.2f} s ({share:.1%} of LLM) {verdict}", f"≤ {OVERHEAD_TARGET:.0%}")
    figures.add_row("tokens generated", f"{tokens:.0f} ({tokens / llm if llm else 0:.1f} tok/s of LLM time)", "")
    figures.add_row("parts written by fallback", f"{sum(r['fallbacks'] for r in rows.values()):.0f}", "")
    console.print(figures)


def graph_span(events: list[dict[str, Any]]) -> float:
    """Seconds from the first node's start to the last node's end (model loading excluded)."""
    starts = [e["t"] for e in events if e["kind"] == "node_start"]
    ends = [e["t"] for e in events if e["kind"] == "node_end"]
    return max(ends) - min(starts) if starts and ends else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=PLOT)
    parser.add_argument("-m", "--model", action="append", default=[], metavar="ROLE=NAME")
    parser.add_argument("--keep", type=Path, help="write the script here (default: a temporary folder)")
    args = parser.parse_args()
    console = Console(width=150)
    home = Path(tempfile.mkdtemp(prefix="nuvola-bench-"))
    settings = load_settings(home=home, models=parse_model_overrides(args.model))
    out = args.keep or home / "out"
    start = time.perf_counter()
    script = write_issue(args.plot, args.pages, out, seed=args.seed, settings=settings, run_id="bench")
    total = time.perf_counter() - start
    events = read_run_log(RunPaths.of(settings, "bench").run_log)
    console.print(f"{script.title}: {len(script.pages)} pages, {len(script.panels)} panels -> {out / 'script.md'}")
    console.print(f"models: {', '.join(f'{k}={v}' for k, v in script.models.items())}")
    report(summarise(events), total, graph_span(events), console)


if __name__ == "__main__":
    main()
