"""Reading real pages: panels, balloons and text on the Pepper&Carrot dev and frozen splits, side by side.

    .venv/bin/python benchmarks/read_real.py [--pages ../shared/comics/peppercarrot-it] [--generated 4]

Columns: dev (may be tuned on) and frozen (never looked at while changing code; only scored here), with
95 % bootstrap intervals over pages. In the same run: the contour panel baseline (tools/panels/baseline.py)
and, as the control for balloons and text, the outline-only route (no page-level text detector, as before
issue 15); as the control for the balloon reader, the same route with `balloon_reader = "crop"`; as the
control for captions (lettering that grows no balloon kept when it reads as confident Italian), the same
route with captions off. Controls reuse the product run's text detections (same lines, less time).
Scan-like variants of the dev pages (evals/read_variants.py: 60 % size; grey photocopy scan; black-and-white
scans, binarised or halftoned, turned 0.5-1.5 degrees) are read with and without captions: robustness
checks on tuned pages, not accuracy (`--variants inked,halftone --variants-only` reads only those).
Generated volumes (plain, and scan-like from tools/synth/scanlike.py) are read as smoke rows (figures on
pages we draw are not accuracy). A table by page type follows.
Targets (issue 15, frozen split): panel F1 >= 0.95, balloon recall >= 0.95, CER <= 5 %; generated CER <= 1 %.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from evals.read import PageResult, ReadReport, bootstrap, evaluate_read  # noqa: E402
from evals.read_variants import VARIANTS, write_variants  # noqa: E402
from evals.real_pages import SHARED_PAGES, SPLITS_FILE, load_generated, load_real_pages  # noqa: E402
from tools.settings import load_settings  # noqa: E402

TARGETS = {"panel_f1": 0.95, "balloon_recall": 0.95, "cer": 0.05, "generated_cer": 0.01}
console = Console()
Stat = Callable[[ReadReport, Sequence[PageResult]], float | None]


def _panel_f1(report: ReadReport, pages: Sequence[PageResult], baseline: bool = False) -> float | None:
    score = report.panels(pages, baseline=baseline)
    return score.f1 if score else None


STATS: dict[str, Stat] = {
    "panel_f1": _panel_f1,
    "baseline_panel_f1": lambda r, p: _panel_f1(r, p, baseline=True),
    "balloon_recall": lambda r, p: r.balloons(p).recall,
    "balloon_precision": lambda r, p: r.balloons(p).precision,
    "phantoms": lambda r, p: float(sum(page.phantoms for page in p)),
    "cer": lambda r, p: r.text(p).cer,
    "wer": lambda r, p: r.text(p).wer,
}


def measure(report: ReadReport, rounds: int) -> dict[str, tuple[float | None, tuple[float, float] | None]]:
    """Each statistic over all pages, with a bootstrap interval over pages (none for counts)."""
    out: dict[str, tuple[float | None, tuple[float, float] | None]] = {}
    for name, stat in STATS.items():
        value = stat(report, report.pages)
        interval = None
        if value is not None and name != "phantoms":
            interval = bootstrap(report.pages, lambda pages, s=stat: s(report, pages) or 0.0, rounds=rounds)
        out[name] = (value, interval)
    return out


@contextmanager
def captions_off() -> Iterator[None]:
    """The route without captions (tools/ocr/text_regions.py `reads_as_italian` never true): the control."""
    import tools.ocr.text_regions as text_regions

    saved = text_regions.CAPTION_SCORE
    text_regions.CAPTION_SCORE = float("inf")
    try:
        yield
    finally:
        text_regions.CAPTION_SCORE = saved


def remember_detections(detector: str) -> None:
    """Let the text detector answer a page it has already read from memory (controls reuse the lines)."""
    from tools.ocr.text_regions import get_text_detector

    handle = get_text_detector(detector)
    if handle is None or getattr(handle, "_remembered", False):
        return
    detect, seen = handle.detect, {}

    def remembered(image):  # type: ignore[no-untyped-def]
        key = hashlib.sha1(image.tobytes()).hexdigest() + str(image.size)
        if key not in seen:
            seen[key] = detect(image)
        return seen[key]

    handle.detect = remembered  # type: ignore[method-assign]
    handle._remembered = True  # type: ignore[attr-defined]


def run(page_set, settings, detector: str) -> tuple[ReadReport, float]:  # type: ignore[no-untyped-def]
    """The report and the text detector's own seconds per page."""
    from tools.ocr.text_regions import get_text_detector

    remember_detections(detector)
    handle = get_text_detector(detector)
    before = handle.seconds if handle else 0.0
    with console.status(f"{page_set.name} {page_set.split}, text detector {detector}"):
        report = evaluate_read(page_set, settings, text_detector=detector)
    spent = (handle.seconds - before) if handle else 0.0
    return report, spent / max(1, len(report.pages))


def _fmt(value: float | None, interval: tuple[float, float] | None = None, pct: bool = False) -> str:
    if value is None:
        return "-"
    if pct:
        text = f"{100 * value:.1f} %"
        return text + (f" [{100 * interval[0]:.1f}, {100 * interval[1]:.1f}]" if interval else "")
    if interval is None and value == int(value):
        return f"{value:.0f}"  # a count
    text = f"{value:.3f}"
    return text + (f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=Path, default=SHARED_PAGES, help="real pages with per-page GT")
    parser.add_argument("--splits", type=Path, default=SPLITS_FILE)
    parser.add_argument(
        "--generated", type=int, default=4, help="generated pages for the smoke row (0: none)"
    )
    parser.add_argument("--scan-like", type=int, default=4, help="scan-like generated pages (0: none)")
    parser.add_argument("--detector", default="rapidocr", help="text detector of the product route")
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--no-variants", dest="variants", action="store_false", help="skip the dev-page variants"
    )
    parser.add_argument(
        "--variants",
        dest="variant_names",
        default=",".join(VARIANTS),
        help=f"dev-page variants to read, comma-separated (default: {','.join(VARIANTS)})",
    )
    parser.add_argument(
        "--variants-only",
        action="store_true",
        help="read only the dev-page variants (no dev/frozen columns, no generated rows)",
    )
    parser.add_argument(
        "--dev-only",
        action="store_true",
        help="leave the frozen split unscored (while working: it is scored once, at the end)",
    )
    args = parser.parse_args()
    settings = load_settings()
    variants: dict[str, dict] = {}
    results: dict[str, dict] = {}
    speeds: dict[str, tuple[float, float]] = {}
    types: dict[str, dict[str, dict[str, float | int | None]]] = {}
    provenance = ""
    names = tuple(name.strip() for name in args.variant_names.split(",") if name.strip())
    splits = () if args.variants_only else ("dev",) if args.dev_only else ("dev", "frozen")
    if args.pages.is_dir():
        for split in splits:
            pages = load_real_pages(args.pages, split, splits_file=args.splits)
            if split == "frozen":
                provenance = f"{pages.provenance}: {', '.join(p.name for p in pages.pages)}"
            for detector in (args.detector, "none"):
                report, det_s = run(pages, settings, detector)
                results[f"{split}/{detector}"] = measure(report, args.rounds)
                speeds[f"{split}/{detector}"] = (report.seconds_per_page(), det_s)
                types[f"{split}/{detector}"] = by_type(report)
            # control for the balloon reader: the same route reading each balloon's lettering crop
            crop = settings.model_copy(update={"balloon_reader": "crop"})
            report, _ = run(pages, crop, args.detector)
            results[f"{split}/{args.detector}+crop"] = measure(report, args.rounds)
            with captions_off():  # control for captions: the route before them
                report, _ = run(pages, settings, args.detector)
            results[f"{split}/{args.detector}-captions"] = measure(report, args.rounds)
            types[f"{split}/{args.detector}-captions"] = by_type(report)
        if args.variants and names:
            variants = variant_rows(args.pages, args.splits, settings, args.detector, args.rounds, names)
    else:
        console.print(f"[yellow]real pages not found at {args.pages}: real rows skipped[/]")
    generated = {}
    if not args.variants_only:
        generated = smoke_rows(settings, args.generated, args.scan_like, args.detector, args.rounds)
    _print(results, speeds, generated, args.detector, provenance)
    _print_variants(variants)
    _print_types(types, args.detector)
    if args.json:
        from tools.atomic import write_text_atomic

        data = {
            "real": results,
            "speed": speeds,
            "by_type": types,
            "generated": {k: v[0] for k, v in generated.items()},
            "dev_variants": variants,
        }
        write_text_atomic(args.json, json.dumps(data, indent=1, default=list) + "\n")


def by_type(report: ReadReport) -> dict[str, dict[str, float | int | None]]:
    """Per page type: pages, GT balloons, recall, precision, phantoms, CER, seconds per page."""
    out: dict[str, dict[str, float | int | None]] = {}
    for kind, pages in sorted(report.by_type().items()):
        balloons, text = report.balloons(pages), report.text(pages)
        out[kind] = {
            "pages": len(pages),
            "balloons": balloons.gt,
            "recall": balloons.recall if balloons.gt else None,
            "precision": balloons.precision if balloons.predicted else None,
            "phantoms": sum(p.phantoms for p in pages),
            "cer": text.cer if text.chars else None,
            "seconds": sum(p.seconds for p in pages) / len(pages),
        }
    return out


def _print_types(types: dict, detector: str) -> None:  # type: ignore[no-untyped-def]
    if not types:
        return
    table = Table(
        "split / route",
        "page type",
        "pages",
        "GT balloons",
        "recall",
        "precision",
        "phantoms",
        "CER",
        "s/page",
        title="by page type",
        title_justify="left",
    )
    for key, kinds in types.items():
        for kind, row in kinds.items():
            table.add_row(
                key,
                kind,
                str(row["pages"]),
                str(row["balloons"]),
                _fmt(row["recall"]),
                _fmt(row["precision"]),
                str(row["phantoms"]),
                _fmt(row["cer"], pct=True),
                f"{row['seconds']:.2f}",
            )
    console.print(table)


def variant_rows(  # type: ignore[no-untyped-def]
    folder: Path, splits: Path, settings, detector: str, rounds: int, names: tuple[str, ...] = VARIANTS
) -> dict[str, dict]:
    """The dev pages as scans (evals/read_variants.py), with and without captions, and outline only."""
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        dev = load_real_pages(folder, "dev", splits_file=splits)
        for name, pages in write_variants(dev, tmp, names).items():
            report, _ = run(pages, settings, detector)
            rows[f"{name}, {detector}"] = measure(report, rounds)
            with captions_off():
                report, _ = run(pages, settings, detector)
            rows[f"{name}, {detector}, captions off"] = measure(report, rounds)
            report, _ = run(pages, settings, "none")
            rows[f"{name}, outline only"] = measure(report, rounds)
    return rows


def _print_variants(variants: dict[str, dict]) -> None:
    if not variants:
        return
    table = Table(
        "dev variant / route",
        "panel F1 (contour baseline)",
        "balloon recall",
        "precision",
        "phantoms",
        "CER",
        title="dev pages as scans (robustness on tuned pages, not accuracy)",
        title_justify="left",
    )
    for name, stats in variants.items():
        table.add_row(
            name,
            f"{_fmt(*stats['panel_f1'])} ({_fmt(stats['baseline_panel_f1'][0])})",
            _fmt(*stats["balloon_recall"]),
            _fmt(*stats["balloon_precision"]),
            _fmt(*stats["phantoms"]),
            _fmt(*stats["cer"], pct=True),
        )
    console.print(table)


def smoke_rows(settings, pages: int, scan_pages: int, detector: str, rounds: int) -> dict:  # type: ignore[no-untyped-def]
    """Generated volumes (plain, and scan-like with and without the detector): smoke figures, not accuracy."""
    from tools.synth import generate_volume
    from tools.synth.scanlike import generate_scan_like

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        if pages:
            truth = generate_volume(Path(tmp) / "plain", pages=pages, seed=21)
            report, _ = run(load_generated(truth), settings, detector)
            rows[f"generated, {detector}"] = (measure(report, rounds), report.seconds_per_page())
        if scan_pages:
            truth = generate_scan_like(Path(tmp) / "scan", pages=scan_pages, seed=31)
            for route in (detector, "none"):
                report, _ = run(load_generated(truth), settings, route)
                rows[f"generated scan-like, {route}"] = (measure(report, rounds), report.seconds_per_page())
    return rows


def _print(results: dict, speeds: dict, generated: dict, detector: str, provenance: str) -> None:  # type: ignore[no-untyped-def]
    if not results and not generated:  # `--variants-only`: no empty table
        return
    table = Table(
        "measure", "dev", "frozen", "target (frozen)", title="reading real pages", title_justify="left"
    )

    def row(label: str, key: str, route: str, target: str = "", pct: bool = False) -> None:
        cells = []
        for split in ("dev", "frozen"):
            value, interval = results.get(f"{split}/{route}", {}).get(key, (None, None))
            cells.append(_fmt(value, interval, pct))
        table.add_row(label, *cells, target)

    if results:
        row("panel F1 (nuvola)", "panel_f1", detector, ">= 0.95")
        row("panel F1 (contour baseline)", "baseline_panel_f1", detector, "below nuvola")
        off = f"{detector}-captions"
        row(f"balloon recall (text detector {detector})", "balloon_recall", detector, ">= 0.95")
        row("balloon recall (captions off: control)", "balloon_recall", off)
        row("balloon recall (outline only: control)", "balloon_recall", "none")
        row(f"balloon precision ({detector})", "balloon_precision", detector)
        row("balloon precision (captions off)", "balloon_precision", off)
        row("balloon precision (outline only)", "balloon_precision", "none")
        row(f"phantom detections, no lettering ({detector})", "phantoms", detector)
        row("phantom detections (captions off)", "phantoms", off)
        row("phantom detections (outline only)", "phantoms", "none")
        row(f"CER end to end ({detector}, line reader)", "cer", detector, "<= 5 %", pct=True)
        row("CER end to end (captions off: control)", "cer", off, "", pct=True)
        row(f"CER end to end ({detector}, crop reader: control)", "cer", f"{detector}+crop", "", pct=True)
        row("CER end to end (outline only)", "cer", "none", "", pct=True)
        row(f"WER end to end ({detector})", "wer", detector, "", pct=True)
        for route in (detector, "none"):
            cells = [
                f"{speeds[f'{s}/{route}'][0]:.2f} (text det. {speeds[f'{s}/{route}'][1]:.2f})"
                if f"{s}/{route}" in speeds
                else "-"
                for s in ("dev", "frozen")
            ]
            table.add_row(f"s/page, whole reading ({route})", *cells, "report")
    for name, (stats, seconds) in generated.items():
        table.add_row(
            f"{name} (smoke): panel F1 / balloon recall / precision / CER",
            f"{_fmt(stats['panel_f1'][0])} / {_fmt(stats['balloon_recall'][0])} / "
            f"{_fmt(stats['balloon_precision'][0])} / {_fmt(stats['cer'][0], pct=True)}",
            f"{seconds:.2f} s/page",
            "CER <= 1 %" if name.startswith("generated,") else "",
        )
    console.print(table)
    if provenance:
        console.print(
            f"[dim]frozen split provenance: {provenance.replace(chr(39) + 'dev' + chr(39), 'frozen')}[/]"
        )
    console.print(
        "[dim]intervals: 95 % bootstrap over pages; CER/WER end to end (a missed balloon reads as nothing)[/]"
    )


if __name__ == "__main__":
    main()
