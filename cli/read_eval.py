"""`nuvola eval read --gt DIR`: one reading report on pages with ground truth (panels, balloons, text)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.context import AppContext, console, pass_app

if TYPE_CHECKING:
    from evals.read import ReadReport


@click.command("read")
@click.option(
    "--gt",
    "gt_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Pages with ground truth: per-page JSON (Pepper&Carrot format) or a `nuvola synth` folder.",
)
@click.option(
    "--split",
    type=click.Choice(["dev", "frozen", "all"]),
    default="dev",
    show_default=True,
    help="Which pages of the split file to read (real pages only).",
)
@click.option(
    "--splits",
    "splits_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Split file (default: evals/gt/peppercarrot-it/splits.json).",
)
@click.option(
    "--panels-gt",
    "panels_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with panels_<split>.json panel ground truth (default: evals/gt/peppercarrot-it).",
)
@click.option("--engine", help="OCR engine (default: the `ocr` role).")
@click.option(
    "--text-detector",
    type=click.Choice(["rapidocr", "none"]),
    help="Page-level text detector (default: the `text_detector` setting).",
)
@click.option(
    "--reader",
    type=click.Choice(["lines", "detector", "crop"]),
    help="How balloons with detected text lines are read (default: the `balloon_reader` setting).",
)
@click.option("--limit", type=int, help="Read only the first N pages.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder (default: NUVOLA_HOME/reports/read-<split>).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def eval_read(
    app: AppContext,
    gt_dir: Path,
    split: str,
    splits_file: Path | None,
    panels_dir: Path | None,
    engine: str | None,
    text_detector: str | None,
    reader: str | None,
    limit: int | None,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    """Read every page of the --gt folder as `nuvola transcribe` does and score panels (F1), balloons (recall,
    precision), text (CER/WER by page type) and speed; writes report.json and an HTML page per page."""
    from evals.read import evaluate_read, write_html
    from evals.real_pages import GT_DIR, SPLITS_FILE, load_gt_dir
    from tools.atomic import write_text_atomic

    pages = load_gt_dir(
        gt_dir, split, splits_file=splits_file or SPLITS_FILE, panels_dir=panels_dir or GT_DIR
    )
    out = out_dir or Path(app.settings.home) / "reports" / f"read-{pages.split}"
    with console.status(f"reading {len(pages.pages)} pages"):
        settings = app.settings.model_copy(update={"balloon_reader": reader}) if reader else app.settings
        report = evaluate_read(pages, settings, engine=engine, text_detector=text_detector, limit=limit)
    data = report.as_dict()
    write_text_atomic(out / "report.json", json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    html = write_html(report, out)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    print_read(report)
    console.print(f"[green]wrote[/] {html}")


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_read(report: ReadReport) -> None:
    """One table: overall, then per page type."""
    from rich.table import Table

    table = Table(
        "pages",
        "panel F1",
        "baseline F1",
        "balloon R",
        "balloon P",
        "phantoms",
        "CER",
        "WER",
        title=f"reading {report.name} ({report.split}), text detector {report.text_detector}, "
        f"{report.seconds_per_page():.2f} s/page",
        title_justify="left",
    )
    groups = {"all": report.pages, **report.by_type()}
    for name, pages in groups.items():
        panels, baseline = report.panels(pages), report.panels(pages, baseline=True)
        balloons, text = report.balloons(pages), report.text(pages)
        table.add_row(
            f"{name} ({len(pages)})",
            _cell(panels.f1 if panels else None),
            _cell(baseline.f1 if baseline else None),
            _cell(balloons.recall),
            _cell(balloons.precision),
            str(sum(p.phantoms for p in pages)),
            _cell(text.cer if text.chars else None),
            _cell(text.wer if text.words else None),
        )
    console.print(table)
    console.print(f"[dim]{report.provenance}[/]")


def register(cli: click.Group) -> None:
    cli.commands["eval"].add_command(eval_read)  # type: ignore[attr-defined]
