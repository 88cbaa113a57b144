"""`nuvola demo`: the main job on the embedded defaults, end to end, with nothing ingested."""

from __future__ import annotations

from pathlib import Path

import click

from agent.cli.context import AppContext, console, pass_app
from prompts import render
from tools.models import get_llm

DEMO_OPENING = "ALL'ALBA, TEX E KIT CARSON"


@click.command("demo")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out/demo"), show_default=True)
@click.option("--seed", default=7, show_default=True)
@pass_app
def demo(app: AppContext, out: Path, seed: int) -> None:
    """Run the main job on the embedded defaults and print where its results are."""
    out.mkdir(parents=True, exist_ok=True)
    llm = get_llm(app.settings.model_for("narrator"))
    prompt = render("demo_caption.j2", opening=DEMO_OPENING)
    console.rule("[bold]Nuvola demo: a caption in the Bonelli manner, streamed from the embedded model")
    console.print(DEMO_OPENING, end="", style="bold")
    pieces: list[str] = []
    for chunk in llm.stream(prompt, max_tokens=60, temperature=0.8, seed=seed, stop=["\n"]):
        pieces.append(chunk)
        console.print(chunk, end="", markup=False)
    console.print()
    target = out / "caption.txt"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(DEMO_OPENING + "".join(pieces).rstrip() + "\n", encoding="utf-8")
    tmp.replace(target)
    console.print(f"[green]wrote[/] {target}")


def register(cli: click.Group) -> None:
    cli.add_command(demo)
