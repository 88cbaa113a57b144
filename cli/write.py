"""`nuvola write-issue`: the story graph from a storyline to script.json/script.md, with progress."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from agent.read.state import READ_STAGES
from agent.write.state import MAX_PAGES, STAGE_NAMES
from cli.context import AppContext, console, pass_app
from cli.ingest import scale_flags, scale_from, volume_bars


class StageProgress:
    """A rich progress bar fed by the graph's node updates (total known once the outline exists)."""

    def __init__(self, progress: Progress, pages: int | None):
        self.progress = progress
        self.task = progress.add_task("starting", total=None)
        self.started = time.perf_counter()
        self.scenes = 0
        self.pages = pages

    def __call__(self, node: str, update: dict[str, Any]) -> None:
        if node == "coordinator":
            return
        if "outline" in update and update["outline"]:
            self.scenes = len(update["outline"])
            self.progress.update(self.task, total=4 + 3 * self.scenes)
        elapsed = time.perf_counter() - self.started
        label = STAGE_NAMES.get(node, node)
        scene = _scene_of(update)
        where = f" · scene {scene + 1}/{self.scenes}" if scene is not None else ""
        self.progress.console.print(f"[green]✓[/] {label}{where} [dim]({elapsed:.1f}s)[/]")
        self.progress.update(self.task, advance=1, description=label + where)


def _scene_of(update: dict[str, Any]) -> int | None:
    for key in ("scene_beats", "scene_pages", "scene_dialogue"):
        if update.get(key):
            return int(next(iter(update[key])))
    return None


def _ask(question: dict[str, Any]) -> str:
    """Show the outline the coordinator asks about and read the user's answer."""
    console.rule(f"[bold]{question.get('title') or 'Scaletta'}")
    for scene in question.get("outline", []):
        console.print(
            f"{scene['index'] + 1}. [bold]{scene['place']}[/], {scene.get('time', '')} — {scene.get('goal', '')}"
        )
    return click.prompt(question["question"], default="", show_default=False)


def quality_rows(script: Any, settings: Any) -> list[tuple[str, str]]:
    """Summary rows: how much of each part a fallback wrote, and the writers' model calls that failed."""
    from agent.runlog import read_run_log
    from agent.runs import RunPaths
    from agent.write.fallback import failed_calls, fallback_summary

    rows = [("written by fallback", fallback_summary(script))]
    if script.run_id:
        failed = failed_calls(read_run_log(RunPaths.of(settings, script.run_id).run_log))
        text = "  ".join(f"{role} {n}/{total}" for role, (n, total) in sorted(failed.items()))
        rows.append(("unusable model outputs", text or "–"))
    return rows


def _summary(script: Any, out: Path, seconds: float, settings: Any) -> Table:
    table = Table(title=f"{script.title} (run {script.run_id})", show_header=False)
    balloons = [b for p in script.panels for b in p.balloons]
    rows = [
        ("pages", str(len(script.pages))),
        ("panels", str(len(script.panels))),
        (
            "balloons / captions",
            f"{sum(b.kind == 'speech' for b in balloons)} / {sum(b.kind == 'caption' for b in balloons)}",
        ),
        *quality_rows(script, settings),
        ("time", f"{seconds:.1f} s"),
        ("script", f"{out / 'script.md'}\n{out / 'script.json'}"),
    ]
    rendered = [out / name for name in ("issue.cbz", "issue.pdf", "index.html") if (out / name).exists()]
    if rendered:
        rows.append(("comic", "\n".join(str(p) for p in rendered)))
    for key, value in rows:
        table.add_row(key, value)
    return table


@click.command("write-issue")
@click.option("--plot", help="The storyline, in a sentence or two (Italian).")
@click.option("--pages", type=click.IntRange(1, MAX_PAGES), help="How many pages the issue has.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for script.json and script.md.")
@click.option("--cast", help="Comma-separated character names (default: those the plot names).")
@click.option("--seed", type=int, default=None, help="Random seed (default: settings.seed).")
@click.option(
    "--model", "-m", "models", multiple=True, metavar="ROLE=NAME", help="Model for a role, e.g. narrator=..."
)
@click.option("--note", "notes", multiple=True, help="An extra instruction for the writers (repeatable).")
@click.option(
    "--resume", "resume_id", metavar="RUN_ID", help="Continue a stopped run (its plot and pages are kept)."
)
@click.option("--interactive", is_flag=True, help="Let the coordinator ask you about the outline.")
@click.option(
    "--strict", is_flag=True, help="Fail on unusable model output instead of using a logged fallback."
)
@click.option("--no-render", is_flag=True, help="Write the script only; draw nothing.")
@click.option("--no-color", is_flag=True, help="Keep the Bonelli black and white.")
@click.option(
    "--artist", help="Panel art backend: storyboard, remix or diffusers:/path (default: the artist role)."
)
@pass_app
def write_issue_command(
    app: AppContext,
    plot: str | None,
    pages: int | None,
    out: Path | None,
    cast: str | None,
    seed: int | None,
    models: tuple[str, ...],
    notes: tuple[str, ...],
    resume_id: str | None,
    interactive: bool,
    strict: bool,
    no_render: bool,
    no_color: bool,
    artist: str | None,
) -> None:
    """Write a new issue from a storyline: outline, scenes, Bonelli pages, balloons, drawn pages, CBZ/PDF/HTML."""
    from agent.runs import new_run_id
    from agent.write.run import write_issue

    if not resume_id and not (plot and pages and out):
        raise click.UsageError("give --plot, --pages and --out (or --resume RUN_ID)")
    settings = app.override_models(models)
    run_id = resume_id or new_run_id()
    verb = "resuming" if resume_id else "starting"
    console.print(
        f"{verb} run [bold]{run_id}[/] [dim](if it stops: nuvola write-issue --resume {run_id})[/]",
        soft_wrap=True,
    )
    started = time.perf_counter()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        script = write_issue(
            plot,
            pages,
            out,
            cast=[c.strip() for c in cast.split(",")] if cast else None,
            seed=settings.seed if seed is None else seed,
            settings=settings,
            run_id=run_id,
            resume=bool(resume_id),
            constraints=list(notes),
            interactive=interactive,
            ask=_ask if interactive else None,
            strict=strict,
            on_step=StageProgress(progress, pages),
            render={"enabled": not no_render, "color": not no_color, "artist": artist},
        )
    out_dir = Path(out) if out else Path(_stored_out(settings, run_id))
    console.print(_summary(script, out_dir, time.perf_counter() - started, settings))
    if script.fallbacks:
        console.print(
            f"[yellow]{len(script.fallbacks)} part(s) written by a fallback are marked † in script.md[/]"
        )


def _stored_out(settings: Any, run_id: str) -> str:
    import json

    from agent.runs import RunPaths

    return json.loads(RunPaths.of(settings, run_id).request.read_text(encoding="utf-8"))["out_dir"]


@click.command("read")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--volume", help="Put everything into this volume (default: one volume per path).")
@click.option(
    "--engine", "-e", help="OCR engine(s), e.g. tesseract or rapidocr,tesseract (default: the ocr role)."
)
@click.option("--no-llm", is_flag=True, help="Reconstruct with rules only (no narrator model).")
@click.option("--resume", "resume_id", metavar="RUN_ID", help="Continue a stopped reading run.")
@scale_flags
@pass_app
def read_command(
    app: AppContext,
    paths: tuple[Path, ...],
    volume: str | None,
    engine: str | None,
    no_llm: bool,
    resume_id: str | None,
    workers: int | None,
    ray_address: str | None,
) -> None:
    """Read comics into the memory: ingest PATHS, OCR the balloons, find speakers, rebuild the stories."""
    from agent.read.run import read_paths
    from agent.runs import new_run_id

    if not paths and not resume_id:
        raise click.UsageError("give the files or folders to read (or --resume RUN_ID)")
    run_id = resume_id or new_run_id()
    verb = "resuming" if resume_id else "starting"
    console.print(
        f"{verb} reading run [bold]{run_id}[/] [dim](if it stops: nuvola read --resume {run_id})[/]"
    )
    started = time.perf_counter()

    def on_step(node: str, update: dict[str, Any]) -> None:
        if node in READ_STAGES:
            figures = next(iter(update.get("done", {}).values()), None) or update.get("ingest", "")
            console.print(
                f"[green]✓[/] {READ_STAGES[node]} [dim]{_brief(figures)} ({time.perf_counter() - started:.1f}s)[/]"
            )

    scale = scale_from(workers, ray_address)
    with volume_bars(scale) as bars:
        state = read_paths(
            list(paths),
            app.settings,
            volume=volume,
            engine=engine,
            use_llm=not no_llm,
            run_id=run_id,
            resume=bool(resume_id),
            on_step=on_step,
            scale=scale,
            progress=bars,
        )
    console.print(f"read {len(state['volumes'])} volume(s): {', '.join(state['volumes'])}")
    for path, causes in state.get("ingest", {}).get("errors", {}).items():
        console.print(f"[yellow]skipped[/] {path}: {'; '.join(causes)}")


def _brief(figures: Any) -> str:
    if not isinstance(figures, dict):
        return ""
    return ", ".join(f"{k} {v}" for k, v in figures.items() if isinstance(v, int | str) and v != "")[:100]


def register(cli: click.Group) -> None:
    cli.add_command(write_issue_command)
    cli.add_command(read_command)
