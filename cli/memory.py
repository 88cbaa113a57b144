"""`nuvola memory ...` (the Chroma memory) and `nuvola reconstruct VOLUME` (stories from transcripts)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from cli.context import AppContext, console, err_console, pass_app

if TYPE_CHECKING:
    from memory.ingest import IngestReport
    from memory.store import MemoryStore

KIND_CHOICE = click.Choice(["story", "scene", "line", "character", "panel", "passage"])


def _store(app: AppContext) -> MemoryStore:
    from memory.store import MemoryStore

    return MemoryStore.open(app.settings)


@click.group("memory")
def memory_group() -> None:
    """The memory of stories, scenes, lines, characters, panels and prose (Chroma)."""


@memory_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_app
def stats(app: AppContext, as_json: bool) -> None:
    """Records per kind and per volume, and where the memory lives."""
    store = _store(app)
    counts, volumes = store.stats(), store.volumes()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "location": store.location,
                    "embedder": store.embedder,
                    "counts": counts,
                    "volumes": volumes,
                },
                ensure_ascii=False,
            )
        )
        return
    _say(f"memory: [bold]{escape(store.location)}[/] ({app.settings.memory.mode}), embedder {store.embedder}")
    table = Table("volume / source", *counts.keys(), title="Records")
    for volume, per_kind in sorted(volumes.items()):
        table.add_row(escape(volume), *(str(per_kind.get(kind, 0)) for kind in counts))
    table.add_row("[bold]total[/]", *(f"[bold]{n}[/]" for n in counts.values()))
    console.print(table)


@memory_group.command("search")
@click.argument("query")
@click.option("--kind", type=KIND_CHOICE, help="Only records of this kind.")
@click.option("--character", help="Only records about this character (alias accepted).")
@click.option("--volume", help="Only records of this volume or text source.")
@click.option("-k", "k", default=10, show_default=True, type=click.IntRange(1, 200), help="How many hits.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list of hits.")
@pass_app
def search_cmd(
    app: AppContext,
    query: str,
    kind: str | None,
    character: str | None,
    volume: str | None,
    k: int,
    as_json: bool,
) -> None:
    """Search the memory for QUERY (e.g. "chi minaccia Tex?")."""
    from memory.retrieval import search

    hits = search(_store(app), query, kind=kind, character=character, volume=volume, k=k)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps([h.model_dump(mode="json") for h in hits], ensure_ascii=False))
        return
    table = Table("score", "kind", "text", "where", title=f"Memory: {query}")
    for hit in hits:
        table.add_row(
            f"{hit.score:.3f}", hit.kind, escape(" ".join(hit.text.split())[:140]), escape(hit.reference)
        )
    console.print(table if hits else "[yellow]nothing found[/] (is the memory empty? `nuvola memory stats`)")


@memory_group.command("sheet")
@click.argument("name")
@pass_app
def sheet_cmd(app: AppContext, name: str) -> None:
    """A character's sheet: the series profile plus the voice measured in remembered volumes."""
    from memory.retrieval import character_sheet

    sheet = character_sheet(_store(app), None, name)
    console.print(sheet.text(), markup=False, soft_wrap=True)
    for voice in sheet.volumes:
        console.print(
            f"{voice.volume}: {voice.line_count} lines, {voice.avg_sentence_words} words/sentence, "
            f"! {voice.exclamation_rate:.0%}, ? {voice.question_rate:.0%}",
            markup=False,
            soft_wrap=True,
        )


@memory_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-embeddings", is_flag=True, help="Leave vectors out (smaller; import re-embeds).")
@pass_app
def export_cmd(app: AppContext, file: Path, no_embeddings: bool) -> None:
    """Write the whole memory to FILE as JSONL."""
    from memory.transfer import export_jsonl

    counts = export_jsonl(_store(app), file, with_embeddings=not no_embeddings)
    _say(f"[green]exported[/] {sum(counts.values())} records to {escape(str(file))} {_counts(counts)}")


@memory_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reembed", is_flag=True, help="Recompute vectors with the configured embedder.")
@pass_app
def import_cmd(app: AppContext, file: Path, reembed: bool) -> None:
    """Load a JSONL export into the memory (records with the same id are replaced)."""
    from memory.transfer import import_jsonl

    counts = import_jsonl(_store(app), file, reembed=reembed)
    _say(f"[green]imported[/] {sum(counts.values())} records from {escape(str(file))} {_counts(counts)}")


@memory_group.command("remove-volume")
@click.argument("name")
@pass_app
def remove_volume_cmd(app: AppContext, name: str) -> None:
    """Remove every record of volume (or text source) NAME."""
    counts = _store(app).remove_volume(name)
    if not any(counts.values()):
        raise click.ClickException(f"the memory holds nothing of {name!r} (see `nuvola memory stats`)")
    _say(f"[green]removed[/] {sum(counts.values())} records of {escape(repr(name))} {_counts(counts)}")


@memory_group.command("add-text")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", required=True, help="Name of this text source (used by remove-volume).")
@click.option("--max-chars", default=800, show_default=True, type=click.IntRange(100, 4000))
@pass_app
def add_text_cmd(app: AppContext, files: tuple[Path, ...], source: str, max_chars: int) -> None:
    """Chunk prose FILES into passages (blank-line paragraphs, then by length) and remember them."""
    from memory.ingest import add_text

    paths = [p for f in files for p in (sorted(f.glob("*.txt")) if f.is_dir() else [f])]
    report = add_text(_store(app), paths, source, max_chars=max_chars)
    _print_report(report, f"passages from {len(paths) - len(report.failed)} file(s) as {source!r}")
    if report.failed:
        raise click.ClickException(f"{len(report.failed)} file(s) could not be read")


@memory_group.group("profile")
def profile_group() -> None:
    """Series profiles (characters, voices, palettes, format)."""


@profile_group.command("list")
def profile_list() -> None:
    """Profiles shipped with Nuvola."""
    from tools.series.profile import available_profiles

    for name in available_profiles():
        click.echo(name)


@profile_group.command("load")
@click.argument("name", default="tex")
@pass_app
def profile_load(app: AppContext, name: str) -> None:
    """Load profile NAME (shipped name or YAML path) into the memory's character records."""
    from memory.ingest import remember_profile
    from tools.series.profile import load_profile

    profile = load_profile(name)
    report = remember_profile(_store(app), profile)
    fmt = profile.format
    facts = [fmt.periodicity, fmt.colour, f"{fmt.size_cm[0]:g}×{fmt.size_cm[1]:g} cm" if fmt.size_cm else ""]
    facts += [
        f"~{fmt.pages} pages" if fmt.pages else "",
        f"{fmt.tiers_per_page} tiers" if fmt.tiers_per_page else "",
    ]
    _say(f"[bold]{escape(profile.title or profile.name)}[/]: " + ", ".join(f for f in facts if f))
    _print_report(report, f"characters of {profile.name!r}: {', '.join(c.name for c in profile.characters)}")


@memory_group.command("serve")
@click.option("--port", type=int, help="Port (default: memory.port from the settings).")
@pass_app
def serve_cmd(app: AppContext, port: int | None) -> None:
    """Run a Chroma server over the memory folder (for memory.mode = "server"); Ctrl-C stops it."""
    cfg = app.settings.memory
    path = app.settings.memory_dir
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    args = [chroma, "run", "--path", str(path), "--host", cfg.host, "--port", str(port or cfg.port)]
    err_console.print(f"running: {' '.join(args)}")
    try:
        raise SystemExit(subprocess.call(args))
    except FileNotFoundError as exc:
        raise click.ClickException(f"the `chroma` command is not installed ({exc})") from exc


@click.command("reconstruct")
@click.argument("volume")
@click.option("--no-llm", is_flag=True, help="Rules and extractive summaries only (no narrator model).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the story as JSON.")
@click.option("--no-remember", is_flag=True, help="Do not store the result in the memory.")
@pass_app
def reconstruct_cmd(app: AppContext, volume: str, no_llm: bool, out: Path | None, no_remember: bool) -> None:
    """Rebuild VOLUME's story from its transcribed pages and remember it."""
    from tools.atomic import write_text_atomic
    from tools.ingest.catalogue import Catalogue
    from tools.story.reconstruct import reconstruct_volume

    with Catalogue.open(app.settings) as catalogue:
        story = reconstruct_volume(catalogue, volume, app.settings, use_llm=not no_llm)
    table = Table(
        "#", "pages", "scene", "cast", "summary", title=f"{escape(volume)}: {len(story.scenes)} scenes"
    )
    for s in story.scenes:
        table.add_row(
            str(s.index + 1),
            f"{s.first_page + 1}-{s.last_page + 1}",
            escape(s.title),
            escape(", ".join(s.cast)),
            escape(s.summary[:120]),
        )
    console.print(table)
    _say(f"[bold]cast:[/] {escape(', '.join(story.cast))}")
    _say(f"[bold]summary ({story.summary_source}):[/] {escape(story.summary)}")
    if out:
        write_text_atomic(out, story.model_dump_json(indent=2))
        _say(f"[green]wrote[/] {escape(str(out))}")
    if not no_remember:
        from memory.ingest import remember_story

        _print_report(remember_story(_store(app), story), f"records of {volume!r}")


def _say(markup: str) -> None:
    """One message line, never hard-wrapped (scripts and tests read it whole)."""
    console.print(markup, soft_wrap=True)


def _counts(counts: dict[str, int]) -> str:
    return "(" + ", ".join(f"{k} {n}" for k, n in counts.items() if n) + ")"


def _print_report(report: IngestReport, what: str) -> None:
    up = report.upsert
    _say(
        f"[green]remembered[/] {escape(what)}: {up.added} new, {up.updated} updated, {up.unchanged} unchanged"
        + (f", {report.removed} stale removed" if report.removed else "")
    )
    for failure in report.failed:
        err_console.print(f"[red]skipped[/] {escape(str(failure))}", soft_wrap=True)


def register(cli: click.Group) -> None:
    cli.add_command(memory_group)
    cli.add_command(reconstruct_cmd)
