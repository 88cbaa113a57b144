"""Benchmark `write-issue`: script quality before/after on four plots and several seeds, and stage timing.

    .venv/bin/python benchmarks/write_issue.py [--seeds 3] [--before REF] [--before-seeds 1] [--after REF]
        [--pages 4] [--other-pages 2] [--dev-only | --frozen-only] [--jobs N] [--stop-after S]
        [-m ROLE=NAME ...] [--adapters DIR] [--out DIR]

Every run is a `nuvola write-issue --no-render` in a fresh NUVOLA_HOME (no memory: the profile alone),
run as a subprocess of the code under test: the working tree ("after"), and with --before REF the same
command on `git archive REF` ("before"); with --after REF the "after" code is `git archive REF` too, so
edits to the working tree during a long run do not reach it. --jobs N runs N write-issues side by side
(llama.cpp decodes on one thread each by default; the seconds per run then count the sharing). The scripts are then measured by evals/script_quality.py
(the same measures as `nuvola eval script`) and pooled per column: the dev plot (the demo's, looked at
while tuning the writers) and three frozen plots (never looked at while changing code), before and after,
beside the real dialogue of held-out ELTeC novels. -m ROLE=NAME reaches every run, so the benchmark runs
unchanged against any `openai:` endpoint. --adapters DIR (a NUVOLA_HOME/adapters folder, e.g. the one `make demo`
trains `dialogue:tex` into) is copied into every run's home, as a user's home holds its trained adapters;
code that does not look for an adapter of that name ignores it. A stage-timing table (LLM time against the rest) follows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # plots.py, also when this file is loaded by path (tests)

from plots import FROZEN_PLOTS  # noqa: E402  (benchmarks/plots.py)

from agent.runlog import read_run_log  # noqa: E402
from evals.intervals import wilson as interval  # noqa: E402

DEV_PLOTS = ("Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano",)
OVERHEAD_TARGET = 0.05


@dataclass
class Run:
    """One write-issue run of one code version."""

    code: str
    split: str
    plot: str
    seed: int
    pages: int
    script: Path
    home: Path
    run_id: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """User + system CPU seconds of the run's process: comparable across loads, unlike `seconds`."""
    error: str = ""


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
    for column in (
        "stage",
        "wall s",
        "LLM s",
        "tools s",
        "other s",
        "calls",
        "attempts",
        "tokens",
        "fallbacks",
    ):
        table.add_column(column, justify="right" if column != "stage" else "left")
    order = ["prepare", "outline", "review", "narrate", "direct", "voice", "deliver"]
    for stage in [s for s in order if s in rows]:
        r = rows[stage]
        other = r["wall"] - r["llm"] - r["tools"]
        table.add_row(
            stage,
            f"{r['wall']:.2f}",
            f"{r['llm']:.2f}",
            f"{r['tools']:.3f}",
            f"{other:.3f}",
            f"{r['calls']:.0f}",
            f"{r['attempts']:.0f}",
            f"{r['tokens']:.0f}",
            f"{r['fallbacks']:.0f}",
        )
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
    figures.add_row(
        "graph + tools + parsing + checkpoints",
        f"{overhead:.2f} s ({share:.1%} of LLM) {verdict}",
        f"≤ {OVERHEAD_TARGET:.0%}",
    )
    figures.add_row(
        "tokens generated", f"{tokens:.0f} ({tokens / llm if llm else 0:.1f} tok/s of LLM time)", ""
    )
    figures.add_row("parts written by fallback", f"{sum(r['fallbacks'] for r in rows.values()):.0f}", "")
    console.print(figures)


def graph_span(events: list[dict[str, Any]]) -> float:
    """Seconds from the first node's start to the last node's end (model loading excluded)."""
    starts = [e["t"] for e in events if e["kind"] == "node_start"]
    ends = [e["t"] for e in events if e["kind"] == "node_end"]
    return max(ends) - min(starts) if starts and ends else 0.0


def extract_ref(ref: str, into: Path) -> Path:
    """The tree of git REF, unpacked (no worktree, nothing changed in the repository)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    folder = into / f"code-{ref[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    tar = into / "code.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as handle:
        handle.extractall(folder, filter="data")
    return folder


ENTRY = """
try:
    from cli.main import cli
except ModuleNotFoundError:  # a tree from before issue 18, where the CLI lived in agent/cli
    from agent.cli.main import cli
cli()
"""


def corpus_env() -> dict[str, str]:
    """NUVOLA_CORPUS_DIR for every code version: a tree unpacked by --before/--after lies elsewhere, and
    would otherwise look for the novels beside itself, not find them, and write without its line bank."""
    from tools.dialogue.corpus import corpus_dir

    folder = corpus_dir()
    return {"NUVOLA_CORPUS_DIR": str(folder)} if folder is not None else {}


def run_one(run: Run, code_dir: Path, models: list[str]) -> Run:
    """`nuvola write-issue --no-render` of one code version in its own home; the script path on success."""
    args = [
        sys.executable,
        "-c",
        ENTRY,
        "--home",
        str(run.home),
        "write-issue",
        "--plot",
        run.plot,
        "--pages",
        str(run.pages),
        "--out",
        str(run.script.parent),
        "--seed",
        str(run.seed),
        "--no-render",
    ]
    for model in models:
        args += ["-m", model]
    env = {**os.environ, "PYTHONPATH": str(code_dir), **corpus_env()}
    run.script.parent.mkdir(parents=True, exist_ok=True)
    output, errors = run.script.parent / "write-issue.out", run.script.parent / "write-issue.err"
    start = time.perf_counter()
    with output.open("w", encoding="utf-8") as out, errors.open("w", encoding="utf-8") as err:
        child = subprocess.Popen(args, cwd=code_dir, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own CPU time, not its neighbours'
        child.returncode = os.waitstatus_to_exitcode(status)
    run.seconds = time.perf_counter() - start
    run.cpu_seconds = usage.ru_utime + usage.ru_stime
    if child.returncode or not run.script.is_file():
        text = errors.read_text(errors="replace").strip() or output.read_text(errors="replace").strip()
        run.error = text.splitlines()[-1][:200] if text else "failed"
    runs = sorted((run.home / "runs").glob("*")) if (run.home / "runs").is_dir() else []
    run.run_id = runs[-1].name if runs else ""
    return run


def wilson(n: int, total: int, z: float = 1.96) -> str:
    """The 95% Wilson interval of n/total, as text."""
    if not total:
        return ""
    low, high = interval(n, total, z)
    return f"[{max(0.0, low):.1%}, {min(1.0, high):.1%}]"


def failed_calls(runs: list[Run]) -> dict[str, tuple[int, int]]:
    """Per writer role: (model calls that stayed unusable after their repairs, calls)."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for run in runs:
        for event in read_run_log(run.home / "runs" / run.run_id / "run_log.jsonl"):
            if event.get("kind") == "llm":
                found[event["role"]][1] += 1
                found[event["role"]][0] += event.get("status") == "failed"
    return {role: (n, total) for role, (n, total) in found.items()}


def quality(runs: list[Run], settings: Any) -> tuple[list[Any], Any]:
    from evals.script_quality import evaluate_scripts

    done = [r.script for r in runs if not r.error]
    if not done:
        return [], None
    report = evaluate_scripts(done, settings)
    return report.rows, report


def columns(runs: list[Run]) -> dict[str, list[Run]]:
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(f"{run.code} · {run.split}", []).append(run)
    return groups


def print_quality(groups: dict[str, list[Run]], settings: Any, console: Console) -> dict[str, Any]:
    from cli.script_eval import _figure

    measured = {name: quality(runs, settings) for name, runs in groups.items()}
    names = [n for n in groups if measured[n][0]]
    if not names:
        console.print("[red]no run wrote a script[/]")
        return {}
    table = Table(title="write-issue script quality (pooled per column)", title_justify="left")
    for column in ("metric", "target", "real dialogue", *names):
        table.add_column(column, overflow="fold")
    first = measured[names[0]][0]
    for i, row in enumerate(first):
        cells = []
        for name in names:
            r = measured[name][0][i]
            mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: ""}[r.ok]
            extra = ""
            if r.metric.startswith("fallback"):
                n, total = (int(x) for x in r.detail.split("/"))
                extra = f" {r.detail} {wilson(n, total)}"
            elif r.metric.startswith("plot"):
                extra = f" (control {_figure(r.reference, r.metric)})"
            cells.append(f"{_figure(r.value, r.metric)}{extra} {mark}")
        reference = (
            "" if row.metric.startswith(("plot", "voice", "fallback")) else _figure(row.reference, row.metric)
        )
        table.add_row(row.metric, row.target, reference, *cells)
    for role in ("narrator", "director", "voice"):
        cells = []
        for name in names:
            n, total = failed_calls(groups[name]).get(role, (0, 0))
            cells.append(f"{n}/{total} {wilson(n, total)}")
        table.add_row(f"failed {role} calls", "", "", *cells)
    cells = [f"{sum(r.seconds for r in groups[n]) / len(groups[n]):.0f} s" for n in names]
    table.add_row("seconds per run", "", "", *cells)
    cells = [f"{sum(r.cpu_seconds for r in groups[n]) / len(groups[n]):.0f} s" for n in names]
    table.add_row("CPU seconds per run", "", "", *cells)
    console.print(table)
    report = measured[names[0]][1]
    console.print(
        f"[dim]real dialogue: {report.reference_lines} quoted lines of held-out novels; {report.reference_rule}[/]"
    )
    return {name: [r.model_dump() for r in measured[name][0]] for name in names}


def fallback_reasons(runs: list[Run]) -> list[tuple[str, str, int]]:
    """(code, reason, count) of the fallbacks' last errors, the reason cut before any quoted text."""
    import re
    from collections import Counter

    found: Counter[tuple[str, str]] = Counter()
    for run in runs:
        if run.error:
            continue
        for note in json.loads(run.script.read_text(encoding="utf-8")).get("fallbacks", []):
            reason = note.get("reason", "")
            reason = reason.split("last error: ")[-1].split(";")[0]
            reason = re.sub(r"\(.*|:.*|'.*", "", reason).strip()[:70]
            found[(run.code, f"{note.get('what', '')}: {reason}")] += 1
    return sorted(((c, r, n) for (c, r), n in found.items()), key=lambda x: (x[0], -x[2]))


def copy_adapters(folder: Path, home: Path) -> None:
    """The registered adapters of `folder` (their manifests and files, not their training work) into `home`."""
    import shutil

    if not any(folder.glob("*/adapter.json")):
        raise SystemExit(f"{folder}: no registered adapter (expected <name>/adapter.json)")
    shutil.copytree(folder, home / "adapters", dirs_exist_ok=True, ignore=shutil.ignore_patterns("work"))


def run_order(codes: list[tuple[str, Path, int]], plots: list[tuple[str, str, int]]) -> list[tuple[Any, ...]]:
    """Seed by seed, then plot by plot, before then after: a run stopped by --stop-after has every plot
    at the first seeds in both columns rather than every seed of the first plots."""
    order = []
    for seed in range(max(seeds for _, _, seeds in codes)):
        for plot in plots:
            order += [(code, folder, seed, plot) for code, folder, seeds in codes if seed < seeds]
    return order


def run_all(order: list[tuple[Any, ...]], out: Path, args: Any, console: Console) -> list[Run]:
    """Every run of `order`, `args.jobs` at a time; after --stop-after seconds no new run starts."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()

    def one(index: int, code: str, code_dir: Path, seed: int, plot: tuple[str, str, int]) -> Run | None:
        split, text, pages = plot
        if args.stop_after and time.perf_counter() - started > args.stop_after:
            console.print(f"[yellow]--stop-after: {code} {split} seed {seed} of {text[:40]!r} not run[/]")
            return None
        name = f"{code}-{split}-{index}-s{seed}"
        run = Run(code, split, text, seed, pages, out / name / "script.json", out / name / "home", "")
        if args.adapters:
            copy_adapters(args.adapters, run.home)
        run_one(run, code_dir, args.model)
        status = f"[red]{run.error}[/]" if run.error else "ok"
        console.print(f"{name}: {pages} pages, {run.seconds:.0f} s ({run.cpu_seconds:.0f} CPU s), {status}")
        return run

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        done = list(pool.map(lambda item: one(item[0], *item[1]), enumerate(order)))
    return [run for run in done if run is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per plot for the working tree")
    parser.add_argument("--before", metavar="REF", help="also run this git ref (the code before a change)")
    parser.add_argument("--before-seeds", type=int, default=1, help="seeds per plot for --before")
    parser.add_argument(
        "--after", metavar="REF", help="run this git ref as 'after' (default: the working tree)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="write-issue runs side by side")
    parser.add_argument("--pages", type=int, default=4, help="pages of the dev (demo) plot's issues")
    parser.add_argument("--other-pages", type=int, default=2, help="pages of the frozen plots' issues")
    parser.add_argument("--dev-only", action="store_true", help="only the dev plot (while tuning)")
    parser.add_argument("--frozen-only", action="store_true", help="only the frozen plots (a second process)")
    parser.add_argument("-m", "--model", action="append", default=[], metavar="ROLE=NAME")
    parser.add_argument(
        "--adapters", type=Path, metavar="DIR", help="adapters folder copied into every run's home"
    )
    parser.add_argument(
        "--stop-after", type=float, help="start no new run after this many seconds (then score)"
    )
    parser.add_argument(
        "--out", type=Path, help="keep runs and the JSON report here (default: a temp folder)"
    )
    args = parser.parse_args()
    console = Console(width=200)
    out = args.out or Path(tempfile.mkdtemp(prefix="nuvola-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    codes = [("after", extract_ref(args.after, out) if args.after else REPO, args.seeds)]
    if args.before:
        codes.insert(0, ("before", extract_ref(args.before, out), args.before_seeds))
    plots = [] if args.frozen_only else [("dev", p, args.pages) for p in DEV_PLOTS]
    if not args.dev_only:
        plots += [("frozen", p, args.other_pages) for p in FROZEN_PLOTS]
    runs = run_all(run_order(codes, plots), out, args, console)
    from tools.settings import load_settings, parse_model_overrides

    settings = load_settings(home=out / "eval-home", models=parse_model_overrides(args.model))
    figures = print_quality(columns(runs), settings, console)
    reasons = Table(title="why fallbacks fired", title_justify="left")
    for column in ("code", "part: last error", "count"):
        reasons.add_column(column)
    for code, reason, count in fallback_reasons(runs):
        reasons.add_row(code, reason, str(count))
    console.print(reasons)
    after = [r for r in runs if r.code == "after" and not r.error]
    if after:
        events = [e for r in after for e in read_run_log(r.home / "runs" / r.run_id / "run_log.jsonl")]
        report(
            summarise(events),
            sum(r.seconds for r in after),
            sum(graph_span(read_run_log(r.home / "runs" / r.run_id / "run_log.jsonl")) for r in after),
            console,
        )
    (out / "report.json").write_text(
        json.dumps(
            {
                "runs": [r.__dict__ | {"script": str(r.script), "home": str(r.home)} for r in runs],
                "quality": figures,
                "adapters": sorted(p.parent.name for p in args.adapters.glob("*/adapter.json"))
                if args.adapters
                else [],
            },
            ensure_ascii=False,
            indent=1,
            default=str,
        )
    )
    console.print(f"runs and report.json in {out}")


if __name__ == "__main__":
    main()
