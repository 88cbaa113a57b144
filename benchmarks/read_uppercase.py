"""Uppercase lettering on scanned hatched panels (Tex-like, generated): balloons found and CER per reader.

    .venv/bin/python benchmarks/read_uppercase.py [--panels 4] [--dpis 150,200,300] [--seed 0] [--font TTF]

Each condition (dpi x accent style: real accented capitals È/PERCHÉ, or the Bonelli habit E'/PERCHE') is a
volume of `--panels` panels from evals/tex_like.py (dense hatching and solid blacks up to the balloons'
outlines, three balloons lettered by the product's letterer, scanned: turned 0.5-1.5 degrees, soft, noisy,
JPEG), read by the product route (`nuvola transcribe`: outline balloons plus the text detector) with each
balloon reader (`lines`, the default; `detector`; `crop`) on the same detections, and by the outline-only
route as the control. Reported per condition and overall: balloon recall and precision, phantoms
(detections on no balloon), CER and WER end to end (a missed balloon reads as nothing), with a 95 %
bootstrap interval over panels. `--font` letters them in another font (a hand) instead of Comic Neue, to see
how hand lettering reads. Generated panels: these figures are not accuracy on real scans.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from read_real import remember_detections  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from evals.read import PageResult, ReadReport, bootstrap, evaluate_read  # noqa: E402
from evals.real_pages import PageSet, load_generated  # noqa: E402
from evals.tex_like import ACCENTS, write_tex_like  # noqa: E402
from tools.render.fonts import LETTERING_ENV, checked_lettering_file  # noqa: E402
from tools.settings import load_settings  # noqa: E402

READERS = ("lines", "detector", "crop")
console = Console(width=150)


def _row(report: ReadReport, pages: list[PageResult], rounds: int) -> list[str]:
    balloons, text = report.balloons(pages), report.text(pages)
    low, high = bootstrap(pages, lambda p: report.text(p).cer, rounds=rounds)
    phantoms = sum(p.phantoms for p in pages)
    return [
        f"{balloons.recall:.3f} ({balloons.matched}/{balloons.gt})",
        f"{balloons.precision:.3f}",
        str(phantoms),
        f"{100 * text.cer:.1f} % [{100 * low:.1f}, {100 * high:.1f}]",
        f"{100 * text.wer:.1f} %",
    ]


def _print_errors(name: str, route: str, report: ReadReport) -> None:
    for page in report.pages:
        for truth, read in page.texts:
            if truth != read:
                console.print(f"[dim]{name}, {route}, {page.name}:[/] {truth!r} | {read!r}", highlight=False)


def volumes(tmp: Path, panels: int, seed: int, dpis: list[int]) -> dict[str, PageSet]:
    """One generated volume per dpi and accent style."""
    out = {}
    for dpi in dpis:
        for accents in ACCENTS:
            name = f"{dpi} dpi, {accents}"
            truth = write_tex_like(
                tmp / f"{dpi}-{accents}", panels=panels, seed=seed + dpi, dpi=dpi, accents=accents
            )
            out[name] = load_generated(truth)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--panels", type=int, default=4, help="panels per condition (3 balloons each)")
    parser.add_argument("--dpis", default="150,200,300", help="scan resolutions, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--readers", default=",".join(READERS), help="balloon readers, comma-separated")
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--errors", action="store_true", help="print every misread balloon (truth | read)")
    parser.add_argument(
        "--font",
        type=Path,
        help="letter the panels in this font instead of Comic Neue (a hand: Debian fonts-breip's Breip.ttf, "
        "fonts-dkg-handwriting's dkg.ttf); it must draw À È É Ì Ò Ù",
    )
    args = parser.parse_args()
    if args.font:
        os.environ[LETTERING_ENV] = str(args.font)
        checked_lettering_file(args.font.expanduser())
    settings = load_settings()
    readers = [r.strip() for r in args.readers.split(",") if r.strip()]
    remember_detections("rapidocr")
    table = Table(
        "condition",
        "route",
        "recall",
        "precision",
        "phantoms",
        "CER [95 %]",
        "WER",
        title="uppercase lettering on Tex-like scanned panels (generated), lettered in "
        + (args.font.name if args.font else "Comic Neue"),
        title_justify="left",
    )
    every: dict[str, list[tuple[ReadReport, PageResult]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = volumes(Path(tmp), args.panels, args.seed, [int(d) for d in args.dpis.split(",")])
        for name, pages in sets.items():
            routes = [
                (f"text detector, {r} reader", settings.model_copy(update={"balloon_reader": r}), "rapidocr")
                for r in readers
            ]
            routes.append(("outline only", settings, "none"))
            for route, config, detector in routes:
                with console.status(f"{name}: {route}"):
                    report = evaluate_read(pages, config, text_detector=detector, baseline=False)
                table.add_row(name, route, *_row(report, report.pages, args.rounds))
                if args.errors:
                    _print_errors(name, route, report)
                every.setdefault(route, []).extend((report, p) for p in report.pages)
    for route, items in every.items():
        pages = [p for _, p in items]
        merged = ReadReport("all", "generated", "", "", pages, "")
        table.add_row("all", route, *_row(merged, pages, args.rounds), style="bold")
    console.print(table)
    console.print("[dim]generated panels (evals/tex_like.py): smoke figures, not accuracy on real scans[/]")


if __name__ == "__main__":
    main()
