"""`nuvola transcribe`, `nuvola ocr-set export|import|list` and `nuvola eval ocr`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from cli.context import AppContext, console, err_console, pass_app
from tools.settings import Settings


def _cleaner(app: AppContext, clean: bool) -> Any:
    if not clean:
        return None
    from tools.ocr.cleaner import configured_cleaner

    return configured_cleaner(app.settings)


@click.command("transcribe")
@click.argument("target")
@click.option(
    "--engine",
    "-e",
    default=None,
    help="OCR engine(s), e.g. tesseract, ensemble, vlm:hf:/dir (default: the `ocr` role).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text (page images only).")
@click.option(
    "--clean/--no-clean", default=False, show_default=True, help="Let the ocr_cleaner model make small edits."
)
@click.option("--speakers/--no-speakers", default=True, show_default=True, help="Attribute speakers.")
@click.option("--force", is_flag=True, help="Volumes: read again balloons that already have a text.")
@click.option(
    "--reader",
    type=click.Choice(["lines", "detector", "crop"]),
    help="How balloons with detected text lines are read (default: the `balloon_reader` setting).",
)
@pass_app
def transcribe(
    app: AppContext,
    target: str,
    engine: str | None,
    as_json: bool,
    clean: bool,
    speakers: bool,
    force: bool,
    reader: str | None,
) -> None:
    """Read the balloons of TARGET: a page or panel image (printed in reading order) or an ingested volume."""
    settings = app.settings.model_copy(update={"balloon_reader": reader}) if reader else app.settings
    cleaner = _cleaner(app, clean)
    if Path(target).is_file():
        _transcribe_image(settings, Path(target), engine, as_json, cleaner, speakers)
    else:
        _transcribe_volume(settings, target, engine, cleaner, speakers, force)


def _transcribe_image(
    settings: Settings, path: Path, engine: str | None, as_json: bool, cleaner: Any, speakers: bool
) -> None:
    from tools.ocr.transcribe import transcribe_page

    items = transcribe_page(path, settings, engine, speakers=speakers, cleaner=cleaner)
    if as_json:
        click.echo(json.dumps({"balloons": [item.as_json() for item in items]}, ensure_ascii=False, indent=1))
        return
    for number, item in enumerate(items, start=1):
        who = "CAPTION" if item.kind == "caption" else (item.speaker or "?")
        click.echo(f"{number:>2} {who}: {item.text}")  # plain: one balloon a line, never wrapped


def _transcribe_volume(
    settings: Settings, volume: str, engine: str | None, cleaner: Any, speakers: bool, force: bool
) -> None:
    from rich.progress import Progress

    from tools.ingest.catalogue import Catalogue
    from tools.ocr.transcribe import transcribe_volume

    with Catalogue.open(settings) as catalogue:
        if not catalogue.has_volume(volume):
            raise click.BadParameter(
                f"{volume!r} is neither an image file nor an ingested volume", param_hint="TARGET"
            )
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"transcribing {volume}", total=None)
            done = transcribe_volume(
                catalogue,
                volume,
                settings,
                engine,
                force=force,
                speakers=speakers,
                cleaner=cleaner,
                progress=lambda n, total: bar.update(task, completed=n, total=total),
            )
    for error in done.errors:
        err_console.print(f"[yellow]skipped page:[/] {error}")
    console.print(
        f"[green]{volume}[/]: {done.read} balloons read, {done.skipped} already transcribed, {done.pages} pages"
    )


@click.group("ocr-set")
def ocr_set_group() -> None:
    """OCR validation sets: export balloons for correction, import corrected sets."""


@ocr_set_group.command("export")
@click.argument("volume")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write."
)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@pass_app
def export_set(app: AppContext, volume: str, out: Path, fmt: str) -> None:
    """Write VOLUME's balloon crops and current best text for a person to correct."""
    from tools.ingest.catalogue import Catalogue
    from tools.ocr.transcribe import crop_balloon, open_page
    from tools.ocr.valset import export_rows

    rows = []
    with Catalogue.open(app.settings) as catalogue:
        for page in catalogue.pages(volume):
            image = open_page(catalogue.image_file(page))
            for balloon in catalogue.balloons(page.id):
                relative = f"crops/{balloon.id.replace(':', '_')}.png"
                (out / "crops").mkdir(parents=True, exist_ok=True)
                crop_balloon(image, balloon.box).save(out / relative)
                rows.append(
                    {
                        "id": balloon.id,
                        "crop": relative,
                        "text": balloon.text or "",
                        "lines": balloon.lines or [],
                        "kind": balloon.kind,
                        "engine": balloon.engine,
                        "confidence": balloon.ocr_confidence,
                    }
                )
    target = export_rows(rows, out, fmt)
    console.print(
        f"[green]wrote[/] {len(rows)} balloons to {target}; correct the `text` column, then `nuvola ocr-set import`"
    )


@ocr_set_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name of the validation set (NUVOLA_HOME/ocr-sets/NAME).")
@pass_app
def import_set(app: AppContext, file: Path, name: str) -> None:
    """Read a corrected JSONL/CSV back as a validation set for `nuvola eval ocr --set NAME`."""
    from tools.ocr.valset import import_set as do_import

    ocr_set, problems = do_import(file, name, app.settings)
    for problem in problems:
        err_console.print(f"[yellow]{problem}[/]")
    console.print(f"[green]imported[/] {len(ocr_set.samples)} balloons as set {name!r} ({ocr_set.root})")


@ocr_set_group.command("list")
@pass_app
def list_sets(app: AppContext) -> None:
    """The validation sets under NUVOLA_HOME/ocr-sets."""
    from tools.ocr.valset import available_sets

    for name in available_sets(app.settings) or ["(none yet: `nuvola eval ocr` builds `generated`)"]:
        console.print(name)


@click.command("ocr")
@click.option(
    "--set", "set_name", default=None, help="Validation set (default: generated, built on first use)."
)
@click.option(
    "--engines", default=None, help="Comma-separated engines to compare and vote (default: the ensemble)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report.")
@click.option("--clean/--no-clean", default=True, show_default=True, help="Score the ocr_cleaner step too.")
@click.option("--speakers/--no-speakers", default=True, show_default=True, help="Report speaker accuracy.")
@click.option("--limit", type=int, default=None, help="Only the first N balloons.")
@click.option(
    "--peppercarrot",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Real pages folder.",
)
@pass_app
def eval_ocr(
    app: AppContext,
    set_name: str | None,
    engines: str | None,
    as_json: bool,
    clean: bool,
    speakers: bool,
    limit: int | None,
    peppercarrot: Path | None,
) -> None:
    """CER and WER per engine, for the ensemble and after cleaning, with the issue's targets."""
    from rich.progress import Progress

    from evals.ocr import run_ocr_eval

    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task("reading balloons", total=None)
        report = run_ocr_eval(
            app.settings,
            set_name,
            engines=engines,
            clean=clean,
            limit=limit,
            peppercarrot=peppercarrot,
            speakers=speakers,
            progress=lambda n, total: bar.update(task, completed=n, total=total),
        )
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    print_report(report)


def print_report(report: dict[str, Any]) -> None:
    """The eval as tables: engines, targets, real lettering, speakers."""
    table = Table(title=f"OCR on set {report['set']!r} ({report['balloons']} balloons)")
    for column in ("engine", "CER", "WER", "raw CER", "line recall", "exact", "balloons/s"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for name, row in report["engines"].items():
        table.add_row(
            name,
            f"{row['cer']:.2%}",
            f"{row['wer']:.2%}",
            f"{row['raw_cer']:.2%}" if row["raw_cer"] is not None else "-",
            f"{row['line_recall']:.2%}",
            f"{row['exact']:.0%}",
            str(row["balloons_per_s"] or "-"),
        )
    console.print(table)
    targets = Table(title="Targets")
    for column in ("target", "value", "met"):
        targets.add_column(column)
    for row in report["targets"].values():
        targets.add_row(row["what"], f"{row['value']:.4f}", "[green]yes[/]" if row["met"] else "[red]no[/]")
    console.print(targets)
    pepper = report.get("peppercarrot", {})
    if "skipped" in pepper:
        console.print(f"[dim]Pepper&Carrot: skipped ({pepper['skipped']})[/]")
    else:
        cers = ", ".join(f"{name} {row['cer']:.2%}" for name, row in pepper["engines"].items())
        console.print(f"Pepper&Carrot real lettering, CER: {cers}")
    if "speakers" in report:
        s = report["speakers"]
        console.print(
            f"Speakers on generated pages: {s['with_figures']['accuracy']:.0%} with figures, "
            f"{s['dialogue_only']['accuracy']:.0%} dialogue only, baseline {s['baseline_always_first_cast_member']:.0%} "
            f"({s['with_figures']['balloons']} balloons, {s['cast']} names)"
        )


def register(cli: click.Group) -> None:
    cli.add_command(transcribe)
    cli.add_command(ocr_set_group)
    cli.commands["eval"].add_command(eval_ocr)  # type: ignore[attr-defined]


__all__ = ["register"]
