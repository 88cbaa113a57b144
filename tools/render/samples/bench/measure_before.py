"""How before.json was measured: the pre-issue-17 storyboard path on the four bench scripts.

    git archive 58e11e62 tools memory prompts | tar -x -C /tmp/old
    .venv/bin/python tools/render/samples/bench/measure_before.py /tmp/old > tools/render/samples/bench/before.json

The old figures had one stock pose per panel and no face box: poses are the old keyword poses of the figures it
drew, a gun counts as drawn when the old "gun"/"rifle" arm pose was used, and a face is the face part of the old
head box. The checks (what a beat names, accents, capitals) are those of benchmarks/render.py.
"""

# ruff: noqa
import json, re, sys, tempfile, time
from pathlib import Path

OLD = Path(sys.argv[1]).resolve()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(OLD))
from tools.comic_script import IssueScript
from tools.render import render_issue
from tools.render.issue import make_renderer
from tools.render.layout import layout_page, Box
from tools.render.storyboard import figure_placements, FRAMINGS
from tools.render.sketch import Sketch
from tools.render.fonts import lettering_font

HORSE = re.compile(r"\bcavall|\bsella\b|\bin sella|galopp|cavalc|diligenza")
GUN = re.compile(
    r"\bcolt\b|pistol(?!er)|fucil|winchester|\bspar[aoi]|fa fuoco|fanno fuoco|aprono il fuoco|spian|\bmira\b"
)
FALL = re.compile(r"\bcade\b|\bcadono\b|crolla|precipit|stramazz|ucciso|giace|svenuto")
ACCENT = re.compile(r"(?<!\bPO)(?<!\bMO)[AEIOU]'(?![A-Z])")


def cap_mm(px, dpi):
    f = lettering_font(px)
    x0, y0, x1, y1 = f.getbbox("H", anchor="ls")
    return (y1 - y0) / dpi * 25.4


out = {}
for name in ("demo", "stage", "navajo", "jail"):
    script = IssueScript.model_validate(json.loads((HERE / f"{name}.json").read_text()))
    r = make_renderer(
        script,
        color=True,
        artist="storyboard",
        dpi=150,
        seed=7,
        catalogue=None,
        profile=None,
        bonelli_accents=False,
    )
    pages, horse, gun, fall, covered, sizes, accents, balloons = [], [0, 0], [0, 0], [0, 0], 0, [], 0, 0
    for page in script.pages:
        poses = set()
        for slot in layout_page(page, 150):
            p = slot.panel
            sk = Sketch(slot.box.size)
            fr = FRAMINGS.get(p.shot, FRAMINGS["figura intera"])
            drawn = [d.pose for d, _ in figure_placements(sk, p, fr, r.context.profile)] if p.figures else []
            poses |= set(drawn)
            rendered = r.render(p, slot.box.size)
            text = p.description.lower()
            if HORSE.search(text):
                horse[0] += 1
            if GUN.search(text):
                gun[0] += 1
                gun[1] += any(d in ("gun", "rifle") for d in drawn)
            if FALL.search(text):
                fall[0] += 1
            if HORSE.search(text):
                pass
            for b in rendered.balloons:
                balloons += 1
                if b.kind != "sfx":
                    sizes.append(b.shape.block.size)
                accents += any(ACCENT.search(line) for line in b.shape.block.lines)
                for f in rendered.art.figures:
                    hx, hy, hw, hh = f.head  # the old figures had no face box: the face part of the head box
                    face = Box(
                        round(hx + 0.28 * hw), round(hy + 0.42 * hh), round(0.5 * hw), round(0.55 * hh)
                    )
                    if hw and hh and b.box.intersection(face) > 0:
                        covered += 1
        pages.append(len(poses))
    out[name] = {
        "poses_per_page": pages,
        "horse": horse,
        "gun": gun,
        "fall": fall,
        "faces_covered": covered,
        "min_glyph_mm": round(cap_mm(min(sizes), 150), 2),
        "accent_violations": accents,
        "balloons": balloons,
    }
script = IssueScript.model_validate(json.loads((HERE / "demo.json").read_text()))
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    render_issue(script, tmp, dpi=150, seed=7)
    out["demo_seconds"] = round(time.perf_counter() - t0, 2)
    render_issue(script, Path(tmp) / "again", dpi=150, seed=7)
out["measured_with"] = (
    "the pre-issue storyboard path (tools/ at this commit), checks as in benchmarks/render.py"
)
out["commit"] = "58e11e62bf2bb87509e5c0b6d94712d5681052ef"
print(json.dumps(out, indent=1))
