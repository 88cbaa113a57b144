"""`nuvola render SCRIPT_JSON --out DIR`: draw, colour, letter and package a plan without the writers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from cli.context import AppContext, console, err_console, pass_app
from tools.errors import InputFileError


def load_script(path: Path) -> Any:
    """The IssueScript in `path`; a missing, unreadable or invalid file is an InputFileError naming it."""
    from pydantic import ValidationError

    from tools.comic_script import IssueScript

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(path, f"cannot read it ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"not JSON: {exc}") from exc
    try:
        script = IssueScript.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputFileError(
            path, f"not an issue script: {where}: {first['msg']} ({exc.error_count()} error(s))"
        ) from exc
    for panel in script.panels:  # user art is found beside the script
        if panel.art_path and not Path(panel.art_path).expanduser().is_absolute():
            panel.art_path = str(path.parent / panel.art_path)
    return script


@click.command("render")
@click.argument("script_json", type=click.Path(path_type=Path))
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder for the comic files."
)
@click.option("--color/--no-color", default=True, show_default=True, help="Palette colours, or Bonelli B/W.")
@click.option(
    "--artist", default=None, help="storyboard, remix or diffusers:/path (default: the artist role)."
)
@click.option("--dpi", default=150, show_default=True, type=click.IntRange(50, 1200), help="Pixels per inch.")
@click.option("--seed", default=None, type=int, help="Random seed (default: the script's).")
@click.option("--bonelli-accents", is_flag=True, help="Letter accented capitals as E', A', ... (È -> E').")
@pass_app
def render_command(
    app: AppContext,
    script_json: Path,
    out_dir: Path,
    color: bool,
    artist: str | None,
    dpi: int,
    seed: int | None,
    bonelli_accents: bool,
) -> None:
    """Render SCRIPT_JSON (an issue plan) into DIR: pages/*.png, issue.cbz, issue.pdf, index.html."""
    from memory.retrieval import art_lookups
    from tools.render import render_issue

    script = load_script(script_json)
    artist = artist or app.settings.model_for("artist")
    from agent.context import open_archives

    catalogue, store = open_archives(
        app.settings, artist, lambda note: err_console.print(f"[yellow]{note}[/]")
    )
    started = time.perf_counter()
    with console.status(f"rendering {len(script.pages)} page(s) with the {artist} artist..."):
        result = render_issue(
            script,
            out_dir,
            color=color,
            artist=artist,
            dpi=dpi,
            seed=script.seed if seed is None else seed,
            catalogue=catalogue,
            bonelli_accents=bonelli_accents,
            **art_lookups(store),
        )
    seconds = time.perf_counter() - started
    console.print(
        f"[green]rendered[/] {len(result.pages)} page(s) in {seconds:.1f}s "
        f"({seconds / len(result.pages):.2f}s a page)"
    )
    for label, path in (
        ("CBZ", result.cbz),
        ("PDF", result.pdf),
        ("HTML", result.html),
        ("pages", result.pages[0].parent),
    ):
        console.print(f"  {label:5} {path}")
    fallbacks = [p for p in result.panels if p.source.startswith("storyboard (fallback")]
    for report in fallbacks:
        err_console.print(f"[yellow]panel {report.id}: {report.source}[/]")


def register(cli: click.Group) -> None:
    cli.add_command(render_command)
