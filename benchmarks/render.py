"""Pages that show the story (issue 17): beat -> action accuracy, what the pages draw, lettering, speed.

    .venv/bin/python benchmarks/render.py [--dpi 150] [--images docs/img] [--misses]

1. Beat -> action accuracy by part (figure poses, prop sets, time of day) on the labelled Italian beats:
   evals/data/beats_dev.jsonl (108, the rules were written on it) and evals/data/beats_frozen.jsonl (56,
   labelled and committed before any rule existed, never used to tune). Wilson 95% intervals. In the same run
   two controls: "all stand" (every figure stands, no props, no time) and "before" (the pre-issue storyboard's
   keyword poses: one pose per single-figure panel, no props, no time).
2. On four scripts (tools/render/samples/bench: the demo plot and three others, writer-like plans with empty
   poses): distinct poses per page, panels whose beat names a horse / gun / fall that draw it (read from the
   render plan in render.json: what is visible in the panel), faces covered by balloons, smallest lettering
   (capital height at print size), accent rule (no E' for È), text cuts. "before" is the pre-issue storyboard
   path measured once on the same scripts (tools/render/samples/bench/before.json, commit recorded there).
3. Seconds to render the 4-page demo issue (pages, CBZ, PDF, HTML), pinned to 2 cores where the OS allows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.intervals import wilson as interval  # noqa: E402
from tools.comic_script import IssueScript  # noqa: E402
from tools.render import render_issue  # noqa: E402
from tools.render.beats import BeatAction, BeatParser, FigureAction, load_labelled, score_beats  # noqa: E402
from tools.series.profile import load_series_profile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "tools/render/samples/bench"
SCRIPTS = ("demo", "stage", "navajo", "jail")
TARGETS = {"accuracy": 0.85, "poses_per_page": 4, "glyph_mm": 2.2, "seconds": 10.0}
# What a beat names, read independently of the parser's rules (the same patterns measured the "before" path).
NAMES = {
    "horse": re.compile(r"\bcavall|\bsella\b|\bin sella|galopp|cavalc|diligenza"),
    "gun": re.compile(
        r"\bcolt\b|pistol(?!er)|fucil|winchester|\bspar[aoi]|fa fuoco|fanno fuoco|aprono il fuoco|"
        r"spian|\bmira\b"
    ),
    "fall": re.compile(r"\bcade\b|\bcadono\b|crolla|precipit|stramazz|ucciso|giace|svenuto"),
}
ACCENT_MISS = re.compile(r"(?<!\bPO)(?<!\bMO)[AEIOU]'(?![A-Z])")
# The pre-issue storyboard's pose keywords (tools/render/figures.py before issue 17), mapped to the new names.
OLD_POSES = (
    ("stand", ("mani in alto", "alza le mani", "si arrende")),
    ("aim", ("fucile", "winchester", "carabina")),
    ("aim", ("pistola", "spara", "colt", "revolver", "impugna", "mira", "estrae")),
    ("point", ("indica", "punta il dito", "mostra")),
    ("talk", ("saluta", "agita", "chiama")),
    ("stand", ("fianchi", "braccia conserte", "incrociate", "aspetta")),
)


def wilson(right: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if not total:
        return 0.0, 0.0
    return interval(right, total, z)


def all_stand(text: str, cast: list[str]) -> BeatAction:
    """Control: the figures the plan lists, standing; nothing else."""
    return BeatAction(figures=[FigureAction(name=c) for c in cast])


def before_keywords(text: str, cast: list[str]) -> BeatAction:
    """Control: the old storyboard read one pose from the description for a single-figure panel."""
    pose = "stand"
    if len(cast) == 1:
        lowered = text.lower()
        pose = next(
            (p for p, words in OLD_POSES if any(re.search(rf"\b{re.escape(w)}", lowered) for w in words)),
            "stand",
        )
    return BeatAction(figures=[FigureAction(name=c, pose=pose) for c in cast])


def accuracy_table(show_misses: bool) -> list[str]:
    parser = BeatParser(profile=load_series_profile("tex"))
    rows = [f"{'split':8} {'method':12} {'part':6} {'accuracy':>8} {'95% CI':>15} {'n':>5}  target"]
    for split in ("dev", "frozen"):
        records = load_labelled(ROOT / f"evals/data/beats_{split}.jsonl")
        for method, parse in (("all stand", all_stand), ("before", before_keywords), ("rules", parser.parse)):
            scores = score_beats(records, parse)
            for part, score in scores.items():
                low, high = wilson(score.right, score.total)
                mark = ("ok" if score.accuracy >= TARGETS["accuracy"] else "LOW") if method == "rules" else ""
                rows.append(
                    f"{split:8} {method:12} {part:6} {score.accuracy:8.3f} [{low:.3f}, {high:.3f}] "
                    f"{score.total:5}  {mark}"
                )
                if show_misses and method == "rules" and split == "dev":
                    rows += [f"{'':10}miss: {m}" for m in score.misses]
    return rows


def page_checks(render_json: Path) -> dict[str, Any]:
    """What the render plan says each page draws, and what the lettering did."""
    data = json.loads(render_json.read_text(encoding="utf-8"))
    poses: dict[int, set[str]] = {}
    named = {k: [0, 0] for k in NAMES}
    faces, glyphs, accents, cuts, balloons = 0, [], 0, 0, 0
    descriptions = _descriptions(data)
    for panel in data["panels"]:
        plan, text = panel["plan"], descriptions[panel["id"]].lower()
        visible = set(plan.get("visible", []))
        poses.setdefault(panel["page"], set()).update(v[5:] for v in visible if v.startswith("pose:"))
        drawn = {
            "horse": "horse" in visible,
            "gun": bool({"rifle", "revolver"} & visible) or plan.get("detail") in ("rifle", "revolver"),
            "fall": bool({"pose:fall", "pose:lie"} & visible),
        }
        for key, pattern in NAMES.items():
            if pattern.search(text):
                named[key][0] += 1
                named[key][1] += drawn[key]
        for balloon in panel["balloons"]:
            balloons += 1
            faces += len(balloon["faces_covered"])
            if balloon["kind"] != "sfx":
                glyphs.append(balloon["glyph_mm"])
            accents += any(ACCENT_MISS.search(line) for line in balloon["lines"])
            cuts += "cut" in balloon
    return {
        "poses_per_page": [len(poses[p]) for p in sorted(poses)],
        "horse": named["horse"],
        "gun": named["gun"],
        "fall": named["fall"],
        "faces_covered": faces,
        "min_glyph_mm": min(glyphs),
        "accent_violations": accents,
        "balloons": balloons,
        "cuts": cuts,
    }


def _descriptions(data: dict[str, Any]) -> dict[str, str]:
    script = IssueScript.model_validate(json.loads((BENCH / f"{data['_script']}.json").read_text("utf-8")))
    return {p.id: p.description for p in script.panels}


def render_checks(dpi: int, out: Path) -> dict[str, dict[str, Any]]:
    results = {}
    for name in SCRIPTS:
        script = IssueScript.model_validate(json.loads((BENCH / f"{name}.json").read_text("utf-8")))
        render_issue(script, out / name, dpi=dpi, seed=script.seed)
        manifest = out / name / "render.json"
        data = json.loads(manifest.read_text("utf-8"))
        data["_script"] = name
        manifest.write_text(json.dumps(data), encoding="utf-8")
        results[name] = page_checks(manifest)
    return results


def check_rows(before: dict[str, Any], after: dict[str, dict[str, Any]]) -> list[str]:
    rows = [f"{'script':7} {'check':28} {'before':>16} {'after':>16}  target"]

    def frac(pair: list[int]) -> str:
        return f"{pair[1]}/{pair[0]}"

    for name in SCRIPTS:
        b, a = before[name], after[name]
        rows += [
            f"{name:7} {'distinct poses / page (min)':28} {min(b['poses_per_page']):>16} "
            f"{min(a['poses_per_page']):>16}  >= {TARGETS['poses_per_page']} "
            f"{'ok' if min(a['poses_per_page']) >= TARGETS['poses_per_page'] else 'LOW'} {a['poses_per_page']}",
        ]
        for key in ("horse", "gun", "fall"):
            ok = a[key][1] == a[key][0]
            rows.append(
                f"{name:7} {'names a ' + key + ': drawn':28} {frac(b[key]):>16} {frac(a[key]):>16}  all "
                f"{'ok' if ok else 'MISS'}"
            )
        rows += [
            f"{name:7} {'faces covered by balloons':28} {b['faces_covered']:>16} {a['faces_covered']:>16}  0 "
            f"{'ok' if a['faces_covered'] == 0 else 'FAIL'}",
            f"{name:7} {'smallest capitals (mm)':28} {b['min_glyph_mm']:>16.2f} {a['min_glyph_mm']:>16.2f}  >= 2.2 "
            f"{'ok' if a['min_glyph_mm'] >= TARGETS['glyph_mm'] - 1e-6 else 'LOW'}",
            f"{name:7} {'balloons breaking accent rule':28} {b['accent_violations']:>16} "
            f"{a['accent_violations']:>16}  0 {'ok' if a['accent_violations'] == 0 else 'FAIL'}",
            f"{name:7} {'balloons shortened (reported)':28} {'-':>16} {a['cuts']:>14}/{a['balloons']}",
        ]
    return rows


def timed_render(dpi: int, out: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of a whole 4-page render, on at most 2 cores."""
    pinned = "not pinned"
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))[:2]
        os.sched_setaffinity(0, cores)
        pinned = f"pinned to cores {cores}"
    script = IssueScript.model_validate(json.loads((BENCH / "demo.json").read_text("utf-8")))
    wall, cpu = time.perf_counter(), time.process_time()
    render_issue(script, out, dpi=dpi, seed=script.seed)
    return time.perf_counter() - wall, time.process_time() - cpu, pinned


def save_images(src: Path, target: Path) -> list[Path]:
    """Small copies of the demo's pages for the docs (palette PNG, 560 px wide)."""
    from PIL import Image

    target.mkdir(parents=True, exist_ok=True)
    saved = []
    for page in sorted((src / "pages").glob("page_*.png"))[::2]:  # pages 1 and 3 of the demo
        image = Image.open(page).convert("RGB")
        image.thumbnail((560, 740))
        path = target / f"render_after_p{page.stem[-1]}.png"
        image.quantize(colors=64).save(path, optimize=True)
        saved.append(path)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--images", type=Path, default=None, help="write the demo's pages here (docs/img)")
    parser.add_argument("--misses", action="store_true", help="list the dev beats the rules get wrong")
    args = parser.parse_args()
    before = json.loads((BENCH / "before.json").read_text("utf-8"))
    print("Beat -> action accuracy (dev: rules written on it; frozen: labelled first, never tuned on)")
    print("\n".join(accuracy_table(args.misses)))
    with tempfile.TemporaryDirectory() as tmp:
        after = render_checks(args.dpi, Path(tmp))
        wall, cpu, pinned = timed_render(args.dpi, Path(tmp) / "timed")
        if args.images:
            for path in save_images(Path(tmp) / "demo", args.images):
                print(f"wrote {path}")
    print(
        f"\nPages at {args.dpi} dpi: before = pre-issue storyboard path (commit {before['commit'][:8]}), "
        "after = this checkout"
    )
    print("\n".join(check_rows(before, after)))
    verdict = "ok" if wall <= TARGETS["seconds"] else "SLOW"
    print(
        f"\nrender 4-page issue (pages+CBZ+PDF+HTML): {wall:.2f} s wall, {cpu:.2f} s CPU ({pinned}); "
        f"before {before['demo_seconds']:.2f} s; target <= {TARGETS['seconds']:.0f} s {verdict}"
    )


if __name__ == "__main__":
    main()
