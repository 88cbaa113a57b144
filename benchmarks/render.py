"""Rendering speed, stage by stage, in seconds per page (target: the whole offline path ≤ 2 s/page on 2 cores).

    .venv/bin/python benchmarks/render.py [--dpi 150] [--repeat 2]

Stages are timed on the shipped sample plan (3 pages, 15 panels): storyboard drawing, remix drawing (from a
catalogue holding the sample rendered once in B/W), palette colouring, lettering, then the full
`render_issue` (pages + CBZ + PDF + HTML) with each artist. Lettering quality: the share of balloons at the
largest font size, the smallest size used, and overflows (text outside its balloon: must be 0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.ingest.catalogue import Catalogue  # noqa: E402
from tools.models.image import ArtContext  # noqa: E402
from tools.render import render_issue  # noqa: E402
from tools.render.archive import archive_rendered_issue  # noqa: E402
from tools.render.colorist import PaletteColorist  # noqa: E402
from tools.render.layout import layout_page  # noqa: E402
from tools.render.letterer import Letterer, LetterStyle  # noqa: E402
from tools.render.palette import PaletteBook, load_series_profile  # noqa: E402
from tools.render.remix import RemixArtist, RemixError  # noqa: E402
from tools.render.samples import load_sample  # noqa: E402
from tools.render.storyboard import StoryboardArtist  # noqa: E402

TARGET_PER_PAGE = 2.0


def stage_times(dpi: int, catalogue: Catalogue, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds per page of each stage, and lettering figures."""
    script, profile = load_sample(), load_series_profile("tex")
    book, colorist, letterer = PaletteBook(profile), PaletteColorist(), Letterer(LetterStyle(dpi=dpi))
    storyboard, remix = StoryboardArtist(), RemixArtist()
    totals = dict.fromkeys(("storyboard", "remix", "colour", "letter"), 0.0)
    sizes: list[int] = []
    overflows = fallbacks = 0
    for _ in range(repeat):
        context = ArtContext(profile=profile, catalogue=catalogue)
        remix.prepare(context)
        for page in script.pages:
            for slot in layout_page(page, dpi):
                t0 = time.perf_counter()
                art = storyboard.draw(slot.panel, slot.box.size, context)
                t1 = time.perf_counter()
                try:
                    remix.draw(slot.panel, slot.box.size, context)
                except RemixError:  # every matching source used: render_issue draws a storyboard here
                    fallbacks += 1
                t2 = time.perf_counter()
                image = colorist.colorize(art, slot.panel, book)
                t3 = time.perf_counter()
                placed = letterer.letter(image, slot.panel, art.figures, art.free_boxes, art.label_boxes)
                t4 = time.perf_counter()
                for key, seconds in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                    totals[key] += seconds
                sizes += [p.shape.block.size for p in placed if p.kind != "sfx"]
                overflows += sum(not p.text_inside() for p in placed)
    pages = len(script.pages) * repeat
    top = LetterStyle(dpi=dpi).sizes()[0]
    quality = {"at_largest": sum(s == top for s in sizes) / max(1, len(sizes)), "smallest": min(sizes),
               "largest": top, "overflows": overflows, "remix_fallbacks": fallbacks / repeat}
    return {k: v / pages for k, v in totals.items()}, quality


def full_render(dpi: int, artist: str, catalogue: Catalogue | None, out: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds per page of a whole render (the CPU figure is what a busy machine hides)."""
    script = load_sample()
    wall, cpu = time.perf_counter(), time.process_time()
    render_issue(script, out, artist=artist, dpi=dpi, catalogue=catalogue)
    pages = len(script.pages)
    return (time.perf_counter() - wall) / pages, (time.process_time() - cpu) / pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        render_issue(load_sample(), root / "scans", color=False, dpi=args.dpi)
        catalogue = Catalogue(root / "home" / "catalogue.sqlite")
        archive_rendered_issue(catalogue, root / "scans", "sample")
        stages, quality = stage_times(args.dpi, catalogue, args.repeat)
        full = {
            "render_issue, storyboard (all files)": full_render(args.dpi, "storyboard", None, root / "sb"),
            "render_issue, remix (all files)": full_render(args.dpi, "remix", catalogue, root / "rx"),
        }
    print(f"Rendering at {args.dpi} dpi, sample plan of 3 pages, {args.repeat} run(s) per stage")
    print(f"{'stage':40} {'s/page':>8} {'cpu s/p':>8} {'target':>8}")
    for name, seconds in stages.items():
        print(f"{name:40} {seconds:8.3f}")
    for name, (seconds, cpu) in full.items():
        verdict = "ok" if seconds <= TARGET_PER_PAGE else "SLOW"
        print(f"{name:40} {seconds:8.3f} {cpu:8.3f} {TARGET_PER_PAGE:8.1f}  {verdict}")
    print(f"lettering: {quality['at_largest']:.0%} of balloons at the largest size ({quality['largest']} px), "
          f"smallest used {quality['smallest']} px, overflows {quality['overflows']} (must be 0)")
    print(f"remix: {quality['remix_fallbacks']:.0f} of 15 panels found no unused source with their cast "
          "(drawn as storyboards)")


if __name__ == "__main__":
    main()
