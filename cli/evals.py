"""`nuvola eval attribution|split|style|voices|all`: the style-fidelity harness from the command line."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from cli.context import AppContext, console, err_console, pass_app
from tools.atomic import write_text_atomic
from tools.errors import NuvolaError

DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def emit_json(data: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if out is not None:
        write_text_atomic(out, text + "\n")
    click.echo(text)


def save_report(data: dict[str, Any], out: Path | None) -> None:
    if out is not None:
        write_text_atomic(out, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        console.print(f"[green]wrote[/] {out}")


@click.command("attribution")
@click.option("--train", "train_dir", type=DIR, help="Folder of Author-Name_Title_Year.txt profiles.")
@click.option("--test", "test_dir", type=DIR, help="Folder of texts to attribute, chunk by chunk.")
@click.option("--leave-one-out", "corpus", type=DIR, help="Instead: hold out one novel per author, in turn.")
@click.option("--chunk-words", default=1000, show_default=True, help="Words per test chunk.")
@click.option(
    "--method",
    "methods",
    multiple=True,
    help="Only these methods (combined, author_lm, style_score, burrows_delta, char_svm).",
)
@click.option(
    "--part",
    type=click.Choice(["all", "dev"]),
    default="all",
    show_default=True,
    help="With --leave-one-out: dev leaves the frozen authors of evals/gt/eltec-ita/attribution_split.json out.",
)
@click.option("--seed", default=None, type=int, help="Random seed (default: settings.seed).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Also save the JSON report here."
)
@pass_app
def eval_attribution(
    app: AppContext,
    train_dir: Path | None,
    test_dir: Path | None,
    corpus: Path | None,
    chunk_words: int,
    methods: tuple[str, ...],
    part: str,
    seed: int | None,
    as_json: bool,
    out: Path | None,
) -> None:
    """Attribute N-word chunks of --test texts to the authors of --train texts (author LMs, profile, baselines)."""
    from evals.attribution import HARNESS, AttributionConfig, attribute, attribute_leave_one_out, load_split

    if chunk_words < 1:
        raise click.BadParameter("must be at least 1", param_hint="--chunk-words")
    paired = train_dir is not None and test_dir is not None
    if (corpus is None) != paired or (corpus is not None and (train_dir or test_dir)):
        raise click.UsageError("give either --train DIR and --test DIR, or --leave-one-out DIR")
    config = AttributionConfig(chunk_words=chunk_words, seed=app.settings.seed if seed is None else seed)
    if methods:
        config.methods = (HARNESS, *[m for m in methods if m != HARNESS]) if HARNESS in methods else methods
    with nullcontext() if as_json else console.status("attributing chunks"):
        if corpus is not None:
            report = attribute_leave_one_out(corpus, config, load_split(), part)
        else:
            assert train_dir is not None and test_dir is not None
            report = attribute(train_dir, test_dir, config)
    if as_json:
        emit_json(report.model_dump(), out)
        return
    print_attribution(report)
    save_report(report.model_dump(), out)


def interval(bounds: tuple[float, float]) -> str:
    return f"[{bounds[0]:.0%}–{bounds[1]:.0%}]"


def print_attribution(report: Any) -> None:
    """Overall top-1 accuracy per method, then per author."""
    names = list(report.methods)
    table = Table(
        title=f"Attribution of {report.n_chunks} chunks of {report.chunk_words} words", title_justify="left"
    )
    table.add_column("author")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("chunks", justify="right")
    table.add_row(
        "[bold]all (top-1)", *[f"[bold]{report.methods[n].accuracy:.1%}" for n in names], str(report.n_chunks)
    )
    table.add_row("95% (novel bootstrap)", *[interval(report.methods[n].interval) for n in names], "")
    for part, results in report.parts.items():
        row = [f"{results[n].accuracy:.1%} {interval(results[n].interval)}" for n in names]
        table.add_row(f"{part} authors", *row, str(next(iter(results.values())).n_chunks))
    table.add_row("mean per author", *[f"{report.methods[n].macro_accuracy:.1%}" for n in names], "")
    for author, score in sorted(report.methods[names[0]].per_author.items()):
        cells = [f"{report.methods[n].per_author[author].accuracy:.0%}" for n in names]
        table.add_row(author, *cells, str(score.n_chunks))
    table.add_row("seconds", *[f"{report.methods[n].seconds:.0f}" for n in names], "")
    console.print(table)
    for name, c in report.calibration.items():
        console.print(
            f"{name} calibration: log-loss {c.log_loss:.3f}, Brier {c.brier:.3f}, ECE {c.ece:.3f}, "
            f"mean top probability {c.mean_confidence:.3f}"
        )
    if report.skipped_authors:
        console.print(f"[yellow]skipped[/] (no training text): {', '.join(report.skipped_authors)}")
    for error in report.errors:
        err_console.print(f"[red]error[/] {error}")


@click.command("split")
@click.argument("corpus", type=DIR)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
def eval_split(corpus: Path, out_dir: Path) -> None:
    """Write leave-one-novel-out folds of CORPUS as fold-K/train and fold-K/test folders of links."""
    from evals.corpus import leave_one_novel_out, list_texts, write_fold_links

    folds = leave_one_novel_out(list_texts(corpus))
    if not folds:
        raise NuvolaError(f"{corpus}: no author has two or more texts, so nothing can be held out")
    for fold, root in zip(folds, write_fold_links(folds, out_dir), strict=True):
        console.print(f"{root}: {len(fold.train)} training texts, {len(fold.test)} held out")
    console.print(f"run: nuvola eval attribution --train {out_dir}/fold-0/train --test {out_dir}/fold-0/test")


@click.command("style")
@click.option(
    "--reference", required=True, help="Folder/file of text, a run, memory:[filters] or catalogue:[VOLUME]."
)
@click.option(
    "--candidates",
    "candidates",
    required=True,
    multiple=True,
    help="Texts, scripts or run folders (repeatable).",
)
@click.option("--background", type=DIR, help="Folder of other Italian text for the style classifier.")
@click.option(
    "--baseline", "baseline", multiple=True, help="The same kind of output from a baseline (e.g. no LoRA)."
)
@click.option(
    "--lm", "lms", multiple=True, help="Perplexity under this model (repeatable), e.g. llamacpp:gemma3-270m."
)
@click.option(
    "--judge", "use_judge", is_flag=True, help="Also ask the `judge` role's model for a rubric verdict."
)
@click.option(
    "--lm-max-tokens", default=4096, show_default=True, help="Tokens of each text scored for perplexity."
)
@click.option("--mfw", default=300, show_default=True, help="Most frequent words for Delta (100–1,000).")
@click.option("--seed", default=None, type=int)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Also save the JSON report here."
)
@pass_app
def eval_style(
    app: AppContext,
    reference: str,
    candidates: tuple[str, ...],
    background: Path | None,
    baseline: tuple[str, ...],
    lms: tuple[str, ...],
    use_judge: bool,
    lm_max_tokens: int,
    mfw: int,
    seed: int | None,
    as_json: bool,
    out: Path | None,
) -> None:
    """Every style metric of each candidate against the reference (and the baseline, if given)."""
    from evals.style_eval import StyleEvalConfig, run_style_eval

    settings = app.settings
    config = StyleEvalConfig(
        mfw=mfw,
        perplexity_models=lms,
        perplexity_max_tokens=lm_max_tokens,
        judge_model=settings.model_for("judge") if use_judge else None,
        series=settings.series,
        seed=settings.seed if seed is None else seed,
    )
    ref, cands, base, bg = load_style_inputs(settings, reference, candidates, baseline, background)
    report = run_style_eval(ref, cands, config, bg, base, str(background or ""))
    if as_json:
        emit_json(report.model_dump(), out)
        return
    print_style(report)
    save_report(report.model_dump(), out)


def load_style_inputs(
    settings: Any,
    reference: str,
    candidates: tuple[str, ...],
    baseline: tuple[str, ...],
    background: Path | None,
) -> tuple[Any, list[Any], list[Any], list[tuple[str, str]]]:
    """The reference sample, candidate and baseline samples, and (profile, text) background texts."""
    from evals.corpus import read_background
    from evals.reference import load_reference
    from evals.samples import load_samples

    runs = settings.home / "runs"
    ref = load_reference(reference, settings)
    cands = [s for item in candidates for s in load_samples(Path(item).expanduser(), runs)]
    base = [s for item in baseline for s in load_samples(Path(item).expanduser(), runs)]
    bg = read_background(background) if background else []
    return ref, cands, base, bg


def print_style(report: Any) -> None:
    ref = report.reference
    self_delta = report.config.get("reference_self_delta")
    console.print(f"reference: {ref.source} ({ref.words} words, {ref.balloons} balloons)")
    if self_delta is not None:
        console.print(f"the reference's own chunks lie at Burrows Δ {self_delta:.3f} from its profile")
    table = Table(title="Style of each candidate", title_justify="left")
    for column in (
        "candidate",
        "words",
        "Burrows Δ",
        "cosine Δ",
        "P(reference)",
        "style rank",
        "P(ref) LM",
        "copied",
        "perplexity",
        "format",
        "judge",
    ):
        table.add_column(column, justify="left" if column == "candidate" else "right")
    for side, rows in (("", report.candidates), ("baseline: ", report.baseline)):
        for c in rows:
            table.add_row(
                side + c.name,
                str(c.words),
                f"{c.burrows_delta:.3f}",
                f"{c.cosine_delta:.3f}" if c.cosine_delta is not None else "-",
                f"{c.style_probability.probability:.2f}" if c.style_probability else "-",
                f"{c.style_score.rank}/{c.style_score.profiles}" if c.style_score else "-",
                f"{c.author_lm.p_reference:.2f}" if c.author_lm else "-",
                f"{c.copied_share:.0%}",
                " / ".join(f"{p.perplexity:.1f}" for p in c.perplexity.values() if p.perplexity) or "-",
                f"{c.format.fidelity:.2f}" if c.format.fidelity is not None else "-",
                f"{c.judge.overall:.2f}" if c.judge else "-",
            )
    console.print(table)
    if report.comparison:
        console.print(
            "candidates − baseline: " + ", ".join(f"{k} {v:+.3f}" for k, v in report.comparison.items())
        )
    for note in report.notes:
        console.print(f"[dim]{note}[/]")


@click.command("voices")
@click.option("--run", "run", required=True, help="A write-issue run folder, run id or script.json.")
@click.option(
    "--reference",
    "reference_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="`NAME: line` file of reference lines (default: memory, else the series profile).",
)
@click.option("--seed", default=None, type=int)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Also save the JSON report here."
)
@pass_app
def eval_voices(
    app: AppContext, run: str, reference_file: Path | None, seed: int | None, as_json: bool, out: Path | None
) -> None:
    """Voice attribution of a run's dialogue: the share of each character's lines that sound like them."""
    from evals.samples import load_samples
    from evals.voices import evaluate_voices

    settings = app.settings
    samples = load_samples(Path(run).expanduser(), settings.home / "runs")
    dialogue = [line for s in samples for line in s.lines]
    report = evaluate_voices(settings, dialogue, reference_file, settings.seed if seed is None else seed)
    if as_json:
        emit_json(report.model_dump(), out)
        return
    print_voices(report)
    save_report(report.model_dump(), out)


def print_voices(report: Any) -> None:
    table = Table(
        title=f"Voices: {report.n_lines} lines, reference from {report.reference_source}",
        title_justify="left",
    )
    for column in ("character", "lines", "sounds like self", "attributed to"):
        table.add_column(column)
    for name, c in report.per_character.items():
        attributed = ", ".join(f"{k} {v}" for k, v in sorted(c.attributed.items(), key=lambda kv: -kv[1]))
        table.add_row(name, str(c.lines), f"{c.share:.0%}", attributed)
    console.print(table)
    line = f"macro accuracy {report.macro_accuracy:.1%} (chance {report.chance:.1%})"
    if report.reference_cv_macro_accuracy is not None:
        line += f"; the reference voices themselves separate at {report.reference_cv_macro_accuracy:.1%}"
    console.print(line)
    if report.copied_lines:
        console.print(
            f"[yellow]{report.copied_lines} line(s) copied from the reference[/] were not attributed"
        )
    if report.skipped_speakers:
        console.print(f"[yellow]no reference lines for[/] {', '.join(report.skipped_speakers)}")
    for note in report.notes:
        console.print(f"[dim]{note}[/]")


@click.command("all")
@click.option(
    "--out",
    "out_dir",
    default=Path("out/eval"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--run", help="The write-issue run for style and voices (default: the latest under NUVOLA_HOME/runs)."
)
@click.option(
    "--reference", help="Style reference (default: memory:, else catalogue:, else the profile's lines)."
)
@click.option("--background", type=DIR, help="Other Italian text for the style classifier.")
@click.option("--lm", "lms", multiple=True, help="Perplexity under this model (repeatable).")
@click.option("--judge", "use_judge", is_flag=True, help="Ask the `judge` role's model for a rubric verdict.")
@click.option("--ocr-set", help="OCR validation set (default: the OCR eval's own default).")
@click.option("--ocr-limit", default=24, show_default=True, help="Balloons the OCR suite reads.")
@click.option(
    "--ocr-clean", is_flag=True, help="Also run the OCR cleaner model (slow on the embedded model)."
)
@click.option("--panel-pages", default=3, show_default=True, help="Generated pages for the panel suite.")
@click.option(
    "--panels-gt",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Real panel ground truth.",
)
@click.option("--panels-images", type=DIR, help="Page images for --panels-gt.")
@click.option(
    "--attribution-corpus", type=DIR, help="Also validate the style score leave-one-novel-out here."
)
@click.option("--chunk-words", default=1000, show_default=True, help="Chunk size for the attribution suite.")
@click.option(
    "--skip", "skip", multiple=True, type=click.Choice(["style", "voices", "ocr", "panels", "attribution"])
)
@click.option("--seed", default=None, type=int)
@pass_app
def eval_all(
    app: AppContext,
    out_dir: Path,
    run: str | None,
    reference: str | None,
    background: Path | None,
    lms: tuple[str, ...],
    use_judge: bool,
    ocr_set: str | None,
    ocr_limit: int,
    ocr_clean: bool,
    panel_pages: int,
    panels_gt: Path | None,
    panels_images: Path | None,
    attribution_corpus: Path | None,
    chunk_words: int,
    skip: tuple[str, ...],
    seed: int | None,
) -> None:
    """Run every eval suite that can run and write report.md, report.html and report.json with plots."""
    from evals.report import write_report
    from evals.suite import SuiteOptions, run_suites

    if bool(panels_gt) != bool(panels_images):
        raise click.UsageError("--panels-gt and --panels-images go together")
    settings = app.settings
    options = SuiteOptions(
        out_dir=out_dir,
        run=run,
        reference=reference,
        background=background,
        lms=lms,
        judge=use_judge,
        ocr_set=ocr_set,
        ocr_limit=ocr_limit,
        ocr_clean=ocr_clean,
        panel_pages=panel_pages,
        panels_gt=panels_gt,
        panels_images=panels_images,
        attribution_corpus=attribution_corpus,
        chunk_words=chunk_words,
        skip=skip,
        seed=settings.seed if seed is None else seed,
    )
    with console.status("running eval suites") as status:
        results, ctx = run_suites(settings, options, lambda name: status.update(f"running the {name} suite"))
        paths = write_report(results, ctx)
    table = Table("suite", "status", "seconds", "note", title="Eval suites", title_justify="left")
    colours = {"ok": "green", "skipped": "yellow", "failed": "red"}
    for r in results:
        table.add_row(r.name, f"[{colours[r.status]}]{r.status}[/]", f"{r.seconds:.1f}", r.reason[:90])
    console.print(table)
    console.print(f"[green]wrote[/] {paths['md']}, {paths['html']} and {paths['json']}")


def register(cli: click.Group) -> None:
    group = cli.commands["eval"]
    for command in (eval_attribution, eval_split, eval_style, eval_voices, eval_all):
        group.add_command(command)  # type: ignore[attr-defined]
