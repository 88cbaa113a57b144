"""Reading scans: panel and balloon quality on generated pages (clean and degraded), ingest speed per
core with a per-stage breakdown, balloon recall on real pages (Pepper&Carrot), and optionally the same
panel figures on your own ground-truth folder.

    .venv/bin/python benchmarks/ingest.py [--pages 200] [--seed 2024] [--gt GT.json --images DIR]

Generated sets are cached under --workdir (default out/bench-ingest) and reused when their settings match.
Speed is CPU time of this single process with OpenCV on one thread, so it reads as pages/s per core and
does not depend on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from evals.panels import EvalReport, evaluate_folder, match_alternatives  # noqa: E402

PEPPERCARROT = REPO.parent / "shared" / "comics" / "peppercarrot-it"
TARGETS = {"panel_f1_clean": 0.98, "panel_f1_degraded": 0.95, "balloon_recall": 0.95, "pages_per_core_s": 5.0}
console = Console(highlight=False)


def generated_set(folder: Path, pages: int, seed: int, height: int, degrade: bool) -> Path:
    """truth.json of a generated set, drawn again only when its settings changed."""
    from tools.synth import generate_volume

    truth = folder / "truth.json"
    if truth.is_file():
        meta = json.loads(truth.read_text())["meta"]
        if (meta["pages"], meta["seed"], meta["height"], bool(meta["degrade"])) == (
            pages,
            seed,
            height,
            degrade,
        ):
            return truth
    return generate_volume(folder, pages=pages, seed=seed, degrade=degrade, height=height)


def speed(folder: Path, pages: int) -> tuple[float, dict[str, float], int]:
    """Ingest `pages` pages into a scratch home: pages per CPU second and CPU seconds per page per stage."""
    import cv2

    from tools.ingest.catalogue import Catalogue
    from tools.ingest.ingest_paths import ingest_paths

    cv2.setNumThreads(1)
    files = sorted(folder.glob("page_*.png"))[:pages]
    with tempfile.TemporaryDirectory() as home, Catalogue(Path(home) / "catalogue.sqlite") as cat:
        start = time.process_time()
        summary = ingest_paths(cat, files, volume="bench")
        cpu = time.process_time() - start
    per_stage = {k: v / max(1, summary.added) for k, v in summary.cpu_stages.items()}
    return summary.added / cpu, per_stage, summary.added


def peppercarrot_balloons(folder: Path) -> tuple[float, float, int] | None:
    """Balloon recall and precision on the real pages (a detection counts if it matches the balloon's
    body box or its box with the tail at IoU >= 0.5)."""
    from PIL import Image

    from tools.panels import analyse_page

    if not folder.is_dir():
        return None
    gt_total = found_total = matched = 0
    for meta in sorted(folder.glob("*.json")):
        data = json.loads(meta.read_text())
        gt = [(b["body_bbox"], b["bbox"]) for b in data["balloons"]]
        found = [b.box for b in analyse_page(Image.open(folder / data["image"])).balloons]
        gt_total, found_total = gt_total + len(gt), found_total + len(found)
        matched += len(match_alternatives(gt, found))
    return matched / max(1, gt_total), matched / max(1, found_total), gt_total


def _row(table: Table, label: str, value: float, target: float | None, fmt: str = "{:.3f}") -> bool:
    ok = target is None or value >= target
    status = "" if target is None else "[green]met[/]" if ok else "[red]MISSED[/]"
    table.add_row(label, fmt.format(value), "" if target is None else f">= {target:g}", status)
    return ok


def _quality_rows(table: Table, name: str, report: EvalReport, f1_target: float) -> bool:
    p, b = report.panels, report.balloons
    ok = _row(table, f"panel F1, {name} ({p.pages} pages)", p.f1, f1_target)
    table.add_row(f"  panel precision / recall, {name}", f"{p.precision:.3f} / {p.recall:.3f}", "", "")
    _row(table, f"  reading order (pages all right), {name}", p.reading_order, None)
    if b is not None:
        ok &= _row(table, f"balloon recall, {name}", b.recall, TARGETS["balloon_recall"])
        table.add_row(f"  balloon precision, {name}", f"{b.precision:.3f}", "", "")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=200, help="generated pages per set (clean, degraded)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--height", type=int, default=1600)
    parser.add_argument("--speed-pages", type=int, default=40)
    parser.add_argument("--workdir", type=Path, default=REPO / "out" / "bench-ingest")
    parser.add_argument("--gt", type=Path, help="your own GT.json (panels) ...")
    parser.add_argument("--images", type=Path, help="... and the folder its paths are relative to")
    parser.add_argument("--peppercarrot", type=Path, default=PEPPERCARROT)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    clean_dir, rough_dir = args.workdir / f"clean-{args.seed}", args.workdir / f"degraded-{args.seed}"
    with console.status(f"generating {args.pages} clean and {args.pages} degraded pages (cached)"):
        with ProcessPoolExecutor(2) as pool:
            jobs = [
                pool.submit(generated_set, d, args.pages, args.seed + i, args.height, bool(i))
                for i, d in enumerate((clean_dir, rough_dir))
            ]
            clean_truth, rough_truth = (job.result() for job in jobs)
    with console.status("scoring clean pages"):
        clean = evaluate_folder(clean_truth, clean_dir)
    with console.status("scoring degraded pages"):
        rough = evaluate_folder(rough_truth, rough_dir)
    with console.status("timing ingest"):
        rate, stages, timed = speed(clean_dir, args.speed_pages)
    with console.status("real pages"):
        real = peppercarrot_balloons(args.peppercarrot)

    table = Table(
        "measure", "value", "target", "", title="Reading scans (benchmarks/ingest.py)", title_justify="left"
    )
    ok = _quality_rows(table, "clean", clean, TARGETS["panel_f1_clean"])
    ok &= _quality_rows(table, "degraded", rough, TARGETS["panel_f1_degraded"])
    ok &= _row(
        table,
        f"ingest speed, pages/s per core ({timed} pages, {args.height} px)",
        rate,
        TARGETS["pages_per_core_s"],
        "{:.2f}",
    )
    for stage, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        table.add_row(f"  {stage}", f"{seconds * 1000:.1f} ms/page", "", "")
    if real is None:
        table.add_row("Pepper&Carrot balloons", "skipped (pages not in ../shared)", "", "")
    else:
        table.add_row(
            f"Pepper&Carrot balloon recall / precision ({real[2]} balloons)",
            f"{real[0]:.3f} / {real[1]:.3f}",
            "(report)",
            "",
        )
    if args.gt and args.images:
        own = evaluate_folder(args.gt, args.images)
        table.add_row(
            f"your GT: panel P / R / F1 ({own.panels.pages} pages)",
            f"{own.panels.precision:.3f} / {own.panels.recall:.3f} / {own.panels.f1:.3f}",
            "",
            "",
        )
        table.add_row("your GT: reading order", f"{own.panels.reading_order:.3f}", "", "")
    console.print(table)
    console.print("[green]all targets met[/]" if ok else "[red]some targets missed[/]")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
