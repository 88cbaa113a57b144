"""Reading scans: `nuvola ingest`, `nuvola synth` and `nuvola eval panels`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.context import AppContext, console, pass_app

if TYPE_CHECKING:
    from evals.panels import EvalReport
    from tools.ingest.distributed import ScaleOptions, ScaleSummary
    from tools.ingest.ingest_paths import IngestSummary, PageOutcome


def scale_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--workers N` and `--ray ADDRESS`: read pages as Ray tasks (shared by `ingest` and `read`)."""
    command = click.option(
        "--ray",
        "ray_address",
        metavar="ADDRESS",
        help="Read on this Ray cluster (auto, HOST:6379, ray://HOST:10001); --workers caps pages in flight.",
    )(command)
    return click.option(
        "--workers",
        type=click.IntRange(min=1),
        help="Read pages in parallel on a local Ray of N workers (default: one process).",
    )(command)


def scale_from(workers: int | None, ray_address: str | None) -> ScaleOptions | None:
    """The Ray options for the flags; None (one process, the default) when neither is given."""
    if workers is None and not ray_address:
        return None
    from tools.ingest.distributed import ScaleOptions

    return ScaleOptions(workers=workers, address=ray_address)


class VolumeBars:
    """One progress bar per volume: pages done of the volume's pages, pages/s, the last page."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}
        self._clock: dict[str, tuple[float, int]] = {}

    def volume(self, name: str, total: int) -> None:
        self._tasks[name] = self._progress.add_task(name, total=total, rate="", last="")

    def page(self, volume: str, outcome: PageOutcome) -> None:
        task = self._tasks[volume]
        self._progress.advance(task)
        if outcome.status == "present":  # pages skipped on a re-run do not count towards the rate
            return
        start, done = self._clock.get(volume, (time.perf_counter(), 0))
        self._clock[volume] = (start, done + 1)
        elapsed = time.perf_counter() - start
        rate = f"{done / elapsed:.1f} pages/s" if done and elapsed > 0 else ""
        self._progress.update(task, rate=rate, last=outcome.source[-40:])


@contextmanager
def volume_bars(scale: ScaleOptions | None) -> Iterator[VolumeBars | None]:
    """Per-volume progress bars while reading on Ray; nothing in one process."""
    if scale is None:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
    )
    with Progress(*columns, console=console) as progress:
        yield VolumeBars(progress)


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--volume", help="Put every page into this volume (default: one volume per PATH, named after it)."
)
@click.option("--rtl", is_flag=True, help="Read panels right to left (manga).")
@click.option(
    "--debug",
    "debug_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Save a picture of every detection step of every page into this folder.",
)
@click.option("--no-crops", is_flag=True, help="Do not write panel and balloon crops.")
@scale_flags
@pass_app
def ingest(
    app: AppContext,
    paths: tuple[Path, ...],
    volume: str | None,
    rtl: bool,
    debug_dir: Path | None,
    no_crops: bool,
    workers: int | None,
    ray_address: str | None,
) -> None:
    """Add scanned comics to the catalogue: images, folders, PDF, CBZ/ZIP, CBR/RAR, CB7/7z, IA *_jp2.zip.

    Pages are identified by their pixels, so running it again (or after an interruption) only adds what
    is missing. Files that cannot be read are listed at the end; the others are ingested. With --workers or
    --ray, pages are read by Ray tasks and committed in page order by this process (the same catalogue).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tools.ingest.catalogue import Catalogue
    from tools.ingest.ingest_paths import IngestOptions, ingest_paths
    from tools.ocr.text_regions import configured_text_detector

    options = IngestOptions(
        rtl=rtl, debug_dir=debug_dir, crops=not no_crops, text_detector=configured_text_detector(app.settings)
    )
    scale = scale_from(workers, ray_address)
    if scale is not None:
        _ingest_on_ray(app, paths, volume, options, scale)
        return
    columns = (
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
    )
    with Catalogue.open(app.settings) as catalogue:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("ingest", total=None, rate="", last="")
            clock = {"start": 0.0, "done": 0}

            def on_page(outcome: PageOutcome) -> None:
                progress.advance(task)
                if outcome.status != "present":  # pages skipped on a re-run do not count towards the rate
                    clock["start"] = clock["start"] or time.perf_counter()
                    clock["done"] += 1
                elapsed = time.perf_counter() - clock["start"] if clock["start"] else 0.0
                rate = (
                    f"{(clock['done'] - 1) / elapsed:.1f} pages/s"
                    if elapsed > 0 and clock["done"] > 1
                    else ""
                )
                progress.update(task, rate=rate, last=outcome.source[-40:])

            summary = ingest_paths(
                catalogue,
                paths,
                volume,
                options,
                on_plan=lambda n: progress.update(task, total=n),
                on_page=on_page,
            )
        _print_summary(summary, catalogue)
    if summary.error_count and not summary.added and not summary.present:
        raise SystemExit(1)


def _ingest_on_ray(
    app: AppContext, paths: tuple[Path, ...], volume: str | None, options: Any, scale: ScaleOptions
) -> None:
    """`nuvola ingest --workers/--ray`: pages read by Ray tasks, one bar per volume, the same summary."""
    from tools.ingest.catalogue import Catalogue
    from tools.ingest.distributed import ingest_on_ray

    with Catalogue.open(app.settings) as catalogue:
        with volume_bars(scale) as bars:
            summary = ingest_on_ray(catalogue, paths, volume, options, scale, progress=bars)
        _print_summary(summary, catalogue)
        print_cluster(summary)
    if summary.error_count and not summary.added and not summary.present:
        raise SystemExit(1)


def print_cluster(summary: ScaleSummary) -> None:
    """One line on what Ray did: CPUs, pages in flight, worker processes, OCR left to the OCR stage."""
    deferred = (
        f"; OCR left to the OCR stage on {len(summary.ocr_deferred)} pages" if summary.ocr_deferred else ""
    )
    console.print(
        f"[dim]ray: {summary.cpus} CPUs, up to {summary.window} pages in flight, "
        f"{len(summary.workers_seen)} worker processes{deferred}[/]"
    )


def _print_summary(summary: IngestSummary, catalogue) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    rate = summary.added / summary.seconds if summary.seconds else 0.0
    console.print(
        f"[green]added {summary.added} pages[/] ({summary.panels} panels, {summary.balloons} balloons) in "
        f"{summary.seconds:.1f} s, {rate:.1f} pages/s; {summary.present} already there, "
        f"{summary.duplicates} duplicates, {summary.error_count} errors"
    )
    table = Table("volume", "pages", "panels", "balloons", title="catalogue", title_justify="left")
    for name in summary.volumes:
        stats = catalogue.stats(name)
        table.add_row(name, str(stats.pages), str(stats.panels), str(stats.balloons))
    if summary.volumes:
        console.print(table)
    if summary.errors:
        console.print(f"[red]errors by file ({summary.error_count}):[/]")
        for path, causes in summary.errors.items():
            for cause in causes:
                console.print(f"  {path}: {cause}", markup=False, highlight=False, soft_wrap=True)


@click.command("synth")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--pages", "-n", default=12, show_default=True, help="Number of pages.")
@click.option("--seed", default=0, show_default=True)
@click.option("--degrade", is_flag=True, help="Add a seeded mix of scanner degradations.")
@click.option(
    "--height", default=1600, show_default=True, help="Page height in pixels (width is 16/21 of it)."
)
@click.option(
    "--scan-like",
    is_flag=True,
    help="Pages that look like scans (hand-inked, broken and bleed frames, strips and Franco-Belgian pages, "
    "150-600 dpi, paper and scanner effects); for tuning only. --height and --degrade do not apply.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["bonelli", "franco-belgian", "strip", "splash"]),
    help="With --scan-like: only these page kinds (repeatable; default all).",
)
@pass_app
def synth(
    app: AppContext,
    out_dir: Path,
    pages: int,
    seed: int,
    degrade: bool,
    height: int,
    scan_like: bool,
    kinds: tuple[str, ...],
) -> None:
    """Generate a volume of Bonelli-format pages and its ground truth (truth.json) into OUT_DIR."""
    from tools.synth import generate_volume
    from tools.synth.scanlike import PAGE_KINDS, generate_scan_like

    if pages < 1 or height < 200:
        raise click.BadParameter("need --pages >= 1 and --height >= 200")
    if kinds and not scan_like:
        raise click.BadParameter("--kind needs --scan-like")
    with console.status(f"drawing {pages} pages"):
        if scan_like:
            truth = generate_scan_like(out_dir, pages=pages, seed=seed, kinds=kinds or PAGE_KINDS)
        else:
            truth = generate_volume(out_dir, pages=pages, seed=seed, degrade=degrade, height=height)
    console.print(f"[green]wrote[/] {pages} pages and {truth}")


@click.command("panels")
@click.option(
    "--gt",
    "gt_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Ground truth: {"pages": {"rel/path.png": [[x, y, w, h], ...]}} (reading order).',
)
@click.argument("images_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--rtl", is_flag=True, help="Right-to-left reading order (manga).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option(
    "--baseline", is_flag=True, help="Also score the simple contour baseline on the same pages, side by side."
)
def eval_panels(gt_path: Path, images_dir: Path, rtl: bool, as_json: bool, baseline: bool) -> None:
    """Score panel detection (P/R/F1 at IoU >= 0.5, bootstrap 95% interval over pages) and reading
    order on IMAGES_DIR against --gt."""
    from evals.panels import evaluate_folder

    if as_json:
        report = evaluate_folder(gt_path, images_dir, rtl=rtl, baseline=baseline)
        click.echo(json.dumps(report.as_dict()))
        return
    with console.status("detecting panels"):
        report = evaluate_folder(gt_path, images_dir, rtl=rtl, baseline=baseline)
    _print_report(report)


def _print_report(report: EvalReport) -> None:
    from rich.table import Table

    p, b = report.panels, report.baseline
    columns = ("measure", "nuvola", "contour baseline") if b else ("measure", "value")
    table = Table(*columns, title=f"panels on {p.pages} pages", title_justify="left")

    def row(label: str, value, base=None) -> None:  # type: ignore[no-untyped-def]
        table.add_row(label, value, *([base] if b else []))

    for label, attr in (
        ("precision", "precision"),
        ("recall", "recall"),
        ("F1", "f1"),
        ("reading order (pages)", "reading_order"),
        ("reading order (pairs)", "order_pairs"),
    ):
        row(label, f"{getattr(p, attr):.3f}", f"{getattr(b, attr):.3f}" if b else None)
    row("F1 95% interval (pages)", _interval(p), _interval(b) if b else None)
    row(
        "panels gt / found / matched",
        f"{p.gt} / {p.predicted} / {p.matched}",
        f"{b.gt} / {b.predicted} / {b.matched}" if b else None,
    )
    for kind, (own, base) in report.by_type().items():
        row(
            f"F1 on {kind} pages ({own.pages})",
            f"{own.f1:.3f} {_interval(own)}",
            f"{base.f1:.3f} {_interval(base)}" if base else None,
        )
    if report.balloons is not None:
        bs = report.balloons
        row("balloon precision / recall", f"{bs.precision:.3f} / {bs.recall:.3f}", "-")
    row("seconds per page", f"{report.seconds_per_page:.3f}", f"{report.baseline_seconds_per_page:.3f}")
    console.print(table)
    if p.failed_pages:
        console.print(f"pages with a miss, an extra or a wrong order: {', '.join(p.failed_pages[:20])}")
    for name, cause in report.errors.items():
        console.print(f"[red]error[/] {name}: {cause}")


def _interval(score) -> str:  # type: ignore[no-untyped-def]
    lo, hi = score.f1_interval()
    return f"[{lo:.3f}, {hi:.3f}]"


def register(cli: click.Group) -> None:
    cli.add_command(ingest)
    cli.add_command(synth)
    cli.commands["eval"].add_command(eval_panels)  # type: ignore[attr-defined]
