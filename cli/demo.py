"""`nuvola demo`: the main job on the embedded defaults, end to end, from nothing.

1. generate a small demo volume (synthetic Bonelli pages with original dialogue and ground truth);
2. read it: ingest, panels and balloons, OCR, speakers, story reconstruction, memory;
3. write a new issue from a storyline with the story graph (outline, scenes, pages, balloons);
4. draw, colour and letter it, and deliver CBZ, PDF and an HTML reader.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from cli.context import AppContext, console, pass_app

DEMO_PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
DEMO_VOLUME = "demo-volume"


def _step(title: str) -> float:
    console.rule(f"[bold]{title}")
    return time.perf_counter()


def _done(started: float, what: str) -> None:
    console.print(f"[green]✓[/] {what} [dim]({time.perf_counter() - started:.1f}s)[/]")


def generate_demo_volume(out: Path, pages: int, seed: int) -> Path:
    """Synthetic lettered pages (our own story bank) with their ground truth; returns the folder."""
    from tools.synth import generate_volume

    folder = out / "volume"
    truth = generate_volume(folder, pages=pages, seed=seed)
    return truth.parent


def read_demo_volume(folder: Path, settings: Any) -> dict[str, Any]:
    """The reading route of the story graph over the demo folder."""
    from agent.read.run import read_paths

    return read_paths([folder], settings, volume=DEMO_VOLUME)


def write_demo_issue(out: Path, pages: int, seed: int, settings: Any) -> Any:
    """The writing route: storyline -> IssueScript (script.json, script.md) and the rendered files."""
    from agent.runs import new_run_id
    from agent.write.run import write_issue

    return write_issue(DEMO_PLOT, pages, out, seed=seed, settings=settings, run_id=new_run_id())


@click.command("demo")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out/demo"), show_default=True)
@click.option("--pages", default=4, show_default=True, help="Pages of the new issue.")
@click.option("--volume-pages", default=6, show_default=True, help="Pages of the generated volume to read.")
@click.option("--seed", default=7, show_default=True)
@pass_app
def demo(app: AppContext, out: Path, pages: int, volume_pages: int, seed: int) -> None:
    """Run the main job on the embedded defaults: read a demo volume, then write and draw a new issue."""
    settings = app.settings
    out = out.resolve()
    total = time.perf_counter()
    console.print(f"data home: {settings.home}  ·  output: {out}")

    started = _step("1/3 · a demo volume of synthetic Bonelli pages")
    folder = generate_demo_volume(out, volume_pages, seed)
    _done(started, f"{volume_pages} pages in {folder}")

    started = _step("2/3 · reading it: panels, balloons, OCR, speakers, story, memory")
    state = read_demo_volume(folder, settings)
    _done(started, f"read volume(s): {', '.join(state['volumes'])}")

    started = _step(f"3/3 · writing and drawing a {pages}-page issue")
    console.print(f"[italic]{DEMO_PLOT}[/]")
    script = write_demo_issue(out / "issue", pages, seed, settings)
    _done(started, f"{script.title!r}: {len(script.pages)} pages, {len(script.panels)} panels")
    from cli.write import quality_rows

    for label, value in quality_rows(script, settings):
        console.print(f"{label}: {value}")
    console.print(_paths_table(out / "issue", time.perf_counter() - total))


def _paths_table(issue_dir: Path, seconds: float) -> Table:
    table = Table(title=f"Nuvola demo finished in {seconds:.0f} s", show_header=False)
    for label, name in (
        ("script", "script.md"),
        ("comic (CBZ)", "issue.cbz"),
        ("PDF", "issue.pdf"),
        ("HTML reader", "index.html"),
        ("pages", "pages"),
    ):
        path = issue_dir / name
        table.add_row(label, str(path) if path.exists() else f"[red]missing: {path}[/]")
    return table


def register(cli: click.Group) -> None:
    cli.add_command(demo)
