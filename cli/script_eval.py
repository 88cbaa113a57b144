"""`nuvola eval script SCRIPT_JSON...`: does a written issue read as Italian that makes sense?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from cli.context import AppContext, console, pass_app


def _figure(value: float | None, metric: str) -> str:
    if value is None:
        return "–"
    if metric.startswith(("fallback", "unknown", "accents")):
        return f"{value:.1%}"
    if float(value).is_integer() and not metric.startswith(("plot", "voice", "distinct")):
        return f"{value:.0f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def quality_table(rows: list[Any], title: str) -> Table:
    """The report rows as a table: metric, value, target, real held-out dialogue, verdict."""
    table = Table(title=title, title_justify="left")
    for column in ("metric", "value", "target", "real dialogue", "ok", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        verdict = {True: "[green]yes[/]", False: "[red]no[/]", None: "–"}[row.ok]
        table.add_row(
            row.metric,
            _figure(row.value, row.metric),
            row.target,
            _figure(row.reference, row.metric),
            verdict,
            row.detail,
        )
    return table


@click.command("script")
@click.argument(
    "scripts", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-embed", is_flag=True, help="Skip plot adherence (no embedding model).")
@click.option("--no-voices", is_flag=True, help="Skip voice separability.")
@pass_app
def eval_script(
    app: AppContext, scripts: tuple[Path, ...], as_json: bool, no_embed: bool, no_voices: bool
) -> None:
    """Measure script.json file(s): fallbacks, fluency against real held-out dialogue, repeats, leaks, plot."""
    from evals.script_quality import evaluate_scripts

    report = evaluate_scripts(list(scripts), app.settings, embed=not no_embed, voices=not no_voices)
    if as_json:
        click.echo(json.dumps(report.model_dump(), ensure_ascii=False, indent=1))
        return
    console.print(quality_table(report.rows, f"Script quality: {len(report.scripts)} script(s)"))
    console.print(
        f"[dim]real dialogue: {report.reference_lines} quoted lines of held-out novels ({report.reference_rule})[/]"
    )
    for note in report.notes:
        console.print(f"[dim]{note}[/]")


def register(cli: click.Group) -> None:
    cli.commands["eval"].add_command(eval_script)  # type: ignore[attr-defined]
