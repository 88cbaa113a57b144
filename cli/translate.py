"""`nuvola translate VOLUME_OR_ISSUE --to en`: English editions of read volumes and written issues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.context import AppContext, console, err_console, pass_app
from tools.errors import NuvolaError


def _progress(translation: Any) -> None:
    mark = "[green]✓[/]" if translation.ok else f"[yellow]! {'; '.join(translation.problems)}[/]"
    console.print(
        f"  {translation.unit.key}: {translation.unit.source!r} -> {translation.text!r} "
        f"[dim]({translation.origin})[/] {mark}"
    )


def _correct(app: AppContext, pair: tuple[str, str], target: str) -> None:
    from memory.store import MemoryStore
    from memory.translations import TranslationMemory

    memory = TranslationMemory(MemoryStore.open(app.settings), target)
    memory.correct(pair[0], pair[1])
    console.print(f"correction stored: {pair[0]!r} -> {pair[1]!r} (reused by every later translation)")


def _list_corrections(app: AppContext, target: str) -> None:
    from memory.store import MemoryStore
    from memory.translations import TranslationMemory

    memory = TranslationMemory(MemoryStore.open(app.settings), target)
    rows = memory.corrections()
    console.print(f"{len(rows)} correction(s), {memory.count()} line(s) in the translation memory")
    for hit in rows:
        console.print(f"  {hit.source!r} -> {hit.target!r}")


def _is_issue(target: str) -> bool:
    path = Path(target)
    return path.suffix == ".json" or (path.is_dir() and (path / "script.json").is_file())


def _issue(
    app: AppContext, target: str, out_dir: Path | None, translator: Any, render: dict[str, Any]
) -> Any:
    from cli.render import load_script
    from tools.translate.edition import translate_issue

    path = Path(target)
    script_file = path / "script.json" if path.is_dir() else path
    script = load_script(script_file)
    out = out_dir or script_file.parent / f"{script_file.stem}-en"
    return translate_issue(script, out, translator, progress=_progress, **render)


def _volume(app: AppContext, volume: str, out_dir: Path | None, translator: Any) -> Any:
    from tools.ingest.catalogue import CATALOGUE_FILE, Catalogue
    from tools.translate.edition import translate_volume

    home = Path(app.settings.home)
    if not (home / CATALOGUE_FILE).is_file():
        raise NuvolaError(
            f"{volume!r} is not an issue plan (script.json) and there is no catalogue at "
            f"{home / CATALOGUE_FILE}: ingest and transcribe the volume first"
        )
    with Catalogue.open(app.settings) as catalogue:
        if not catalogue.has_volume(volume):
            names = ", ".join(v.name for v in catalogue.volumes()) or "none"
            raise NuvolaError(
                f"no volume {volume!r} in the catalogue and no such script file; volumes: {names}"
            )
        out = out_dir or home / "editions" / f"{volume}-en"
        if app.settings.memory_dir.is_dir() or app.settings.memory.mode == "server":
            from memory.retrieval import scene_lookup
            from memory.store import MemoryStore

            translator.scene_of = scene_lookup(MemoryStore.open(app.settings), volume)
        return translate_volume(
            catalogue,
            volume,
            out,
            translator,
            series=app.settings.series.title(),
            progress=_progress,
            page_height_cm=_page_height(app),
        )


def _translation_memory(settings: Any, language: str) -> Any:
    """The memory's translations into `language` (what the translator reuses and what corrections teach)."""
    from memory.store import MemoryStore
    from memory.translations import TranslationMemory

    return TranslationMemory(MemoryStore.open(settings), language)


def _page_height(app: AppContext) -> float:
    """The printed page height of the series (its profile's format), for lettering sizes on read pages."""
    from tools.series.profile import load_profile
    from tools.translate.reletter import PAGE_HEIGHT_CM

    size = load_profile(app.settings.series).format.size_cm
    return float(size[1]) if size else PAGE_HEIGHT_CM


@click.command("translate")
@click.argument("target", required=False)
@click.option(
    "--to", "language", default="en", show_default=True, type=click.Choice(["en"]), help="Target language."
)
@click.option(
    "--model",
    "-m",
    "models",
    multiple=True,
    metavar="ROLE=NAME",
    help="Model override, e.g. translator=openai:http://127.0.0.1:8080/v1#model.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the English edition (default: beside the script, or NUVOLA_HOME/editions).",
)
@click.option(
    "--glossary",
    "glossary_file",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Extra glossary YAML (keep: [...], translate: {...}, phrases: {...}).",
)
@click.option("--no-memory", is_flag=True, help="Do not read or write the translation memory.")
@click.option(
    "--correct",
    nargs=2,
    default=None,
    metavar="ITALIAN ENGLISH",
    help="Store your translation of a line; it is reused from then on.",
)
@click.option("--corrections", "show_corrections", is_flag=True, help="List the stored corrections.")
@click.option("--color/--no-color", default=True, show_default=True, help="Written issues: palette colours.")
@click.option(
    "--dpi", default=150, show_default=True, type=click.IntRange(50, 1200), help="Written issues: DPI."
)
@pass_app
def translate_command(
    app: AppContext,
    target: str | None,
    language: str,
    models: tuple[str, ...],
    out_dir: Path | None,
    glossary_file: Path | None,
    no_memory: bool,
    correct: tuple[str, str] | None,
    show_corrections: bool,
    color: bool,
    dpi: int,
) -> None:
    """Translate TARGET (a read volume's name, or an issue's script.json / run folder) and re-letter it."""
    from tools.translate import make_translator

    settings = app.override_models(models)
    if correct:
        _correct(app, correct, language)
    if show_corrections:
        _list_corrections(app, language)
    if target is None:
        if not (correct or show_corrections):
            raise click.UsageError("give a volume or an issue to translate, or --correct ITALIAN ENGLISH")
        return
    translator = make_translator(
        settings,
        target=language,
        glossary_file=glossary_file,
        translation_memory=None if no_memory else _translation_memory(settings, language),
    )
    console.print(f"translating {target} into {language} with {translator.model_name}")
    if _is_issue(target):
        edition = _issue(app, target, out_dir, translator, {"color": color, "dpi": dpi})
    else:
        edition = _volume(app, target, out_dir, translator)
    _summary(edition)


def _summary(edition: Any) -> None:
    problems = edition.problems
    console.print(
        f"{len(edition.translations)} balloon(s) translated, {len(problems)} with problems left, "
        f"{edition.overflow} overflowing after re-lettering"
    )
    for path in (edition.cbz, edition.pdf, edition.html, edition.out_dir / "translation.json"):
        console.print(f"  {path}")
    if problems:
        err_console.print(
            "[yellow]fix a line with: nuvola translate --correct 'ITALIANO' 'ENGLISH', then run "
            "the translation again[/]"
        )


@click.command("translation")
@click.option(
    "--model",
    "-m",
    "models",
    multiple=True,
    metavar="ROLE=NAME",
    help="Model override, e.g. translator=openai:http://127.0.0.1:8080/v1#model.",
)
@click.option(
    "--pages",
    "pages_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The Pepper&Carrot Italian pages (default: ../shared/comics/peppercarrot-it beside the repo).",
)
@click.option(
    "--split",
    "splits",
    multiple=True,
    type=click.Choice(["dev", "frozen"]),
    help="Splits to score (default: both).",
)
@click.option(
    "--method",
    "methods",
    multiple=True,
    type=click.Choice(["nuvola", "bare", "copy", "official"]),
    help="Methods to run (default: all).",
)
@click.option(
    "--json", "json_out", type=click.Path(path_type=Path), default=None, help="Write the report here."
)
@pass_app
def eval_translation(
    app: AppContext,
    models: tuple[str, ...],
    pages_dir: Path | None,
    splits: tuple[str, ...],
    methods: tuple[str, ...],
    json_out: Path | None,
) -> None:
    """chrF/BLEU, glossary adherence and overflow after re-lettering, Italian -> English, dev and frozen."""
    import json

    from evals.translation import METHODS, format_report, run_eval
    from tools.atomic import write_text_atomic

    settings = app.override_models(models)
    folder = pages_dir or Path(__file__).resolve().parents[2].parent / "shared" / "comics" / "peppercarrot-it"
    if not folder.is_dir():
        raise NuvolaError(f"{folder}: the Pepper&Carrot Italian pages are not there; pass --pages DIR")
    model = settings.model_for("translator")
    report = run_eval(
        model,
        folder,
        splits=splits or ("dev", "frozen"),
        methods=methods or METHODS,
        progress=lambda s: err_console.print(f"[dim]{s.split} {s.method}: done[/]"),
    )
    click.echo(format_report(report))
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(report, ensure_ascii=False, indent=1))
        console.print(f"report: {json_out}")


def register(cli: click.Group) -> None:
    cli.add_command(translate_command)
    cli.commands["eval"].add_command(eval_translation)  # type: ignore[attr-defined]
