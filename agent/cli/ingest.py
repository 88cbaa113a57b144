"""Reading scans: `nuvola ingest`, `nuvola synth` and `nuvola eval panels`."""

from __future__ import annotations

from pathlib import Path

import click

from agent.cli.context import AppContext, console, pass_app


@click.command("synth")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--pages", "-n", default=12, show_default=True, help="Number of pages.")
@click.option("--seed", default=0, show_default=True)
@click.option("--degrade", is_flag=True, help="Add a seeded mix of scanner degradations.")
@click.option("--height", default=1600, show_default=True, help="Page height in pixels (width is 16/21 of it).")
@pass_app
def synth(app: AppContext, out_dir: Path, pages: int, seed: int, degrade: bool, height: int) -> None:
    """Generate a volume of Bonelli-format pages and its ground truth (truth.json) into OUT_DIR."""
    from tools.synth import generate_volume

    if pages < 1 or height < 200:
        raise click.BadParameter("need --pages >= 1 and --height >= 200")
    with console.status(f"drawing {pages} pages"):
        truth = generate_volume(out_dir, pages=pages, seed=seed, degrade=degrade, height=height)
    console.print(f"[green]wrote[/] {pages} pages and {truth}")


def register(cli: click.Group) -> None:
    cli.add_command(synth)
