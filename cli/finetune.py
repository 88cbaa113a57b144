"""`nuvola finetune style|voice CHARACTER|dialogue|ocr-clean` and `nuvola adapters list|show|add|enable|disable|remove`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.context import AppContext, console, pass_app
from finetune.data.ocr_clean import REAL_READINGS
from tools.models.adapters import (
    AdapterRecord,
    adapter_dir,
    get_adapter,
    list_adapters,
    register_adapter,
    remove_adapter,
    set_adapter_enabled,
)

# Sequences per forward pass (4 x 256 tokens peaks at ~7 GB: the 262k-token vocabulary's logits dominate),
# and passes per step: short pairs take 8 examples a step, in two passes.
DEFAULT_ACCUM = {"style": 1, "voice": 2, "dialogue": 1, "ocr-clean": 2}


def _training_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options every `nuvola finetune` command shares (defaults fit ~15 minutes on a 2-core CPU)."""
    options = [
        click.option(
            "--name", help="Registry name of the adapter (default: style:<series>, voice:<name>, ocr-clean)."
        ),
        click.option("--base", help="Base model to train on (default: the model of the adapter's role)."),
        click.option("--steps", default=60, show_default=True, help="Optimiser steps."),
        click.option("--rank", default=8, show_default=True, help="LoRA rank."),
        click.option("--alpha", default=None, type=float, help="LoRA alpha (default: 2 x rank)."),
        click.option("--lr", default=1e-3, show_default=True, help="Peak learning rate (cosine schedule)."),
        click.option(
            "--batch-size", default=4, show_default=True, help="Sequences per forward pass (memory)."
        ),
        click.option(
            "--grad-accum", default=None, type=int, help="Passes per step (default: 1 style, 2 pairs)."
        ),
        click.option("--block-size", default=256, show_default=True, help="Tokens per training sequence."),
        click.option("--seed", default=None, type=int, help="Random seed (default: settings.seed)."),
        click.option("--max-minutes", default=None, type=float, help="Stop training after this wall time."),
        click.option(
            "--precision",
            type=click.Choice(["auto", "bf16", "fp32"]),
            default="auto",
            show_default=True,
            help="Matmul precision while training (auto: bf16 where the CPU/GPU has it natively).",
        ),
        click.option("--restart", is_flag=True, help="Ignore checkpoints of an earlier run."),
        click.option("--dry-run", is_flag=True, help="Build and show the data set; do not train."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group("finetune")
def finetune_group() -> None:
    """Train LoRA adapters (series style, character voices, OCR cleaning) that the writers pick up."""


def _job(app: AppContext, kind: str, name: str, base: str | None, opts: dict[str, Any]) -> Any:
    from finetune.adapter_job import FinetuneJob
    from finetune.sources import default_base
    from finetune.train import TrainConfig

    seed = app.settings.seed if opts["seed"] is None else opts["seed"]
    config = TrainConfig(
        steps=opts["steps"],
        rank=opts["rank"],
        alpha=opts["alpha"] or 2.0 * opts["rank"],
        lr=opts["lr"],
        batch_size=opts["batch_size"],
        grad_accum=opts["grad_accum"] or DEFAULT_ACCUM[kind],
        block_size=opts["block_size"],
        seed=seed,
        max_minutes=opts["max_minutes"],
        bf16={"auto": None, "bf16": True, "fp32": False}[opts["precision"]],
    )
    return FinetuneJob(
        name=name,
        kind=kind,
        base=base or default_base(app.settings, kind),
        config=config,
        restart=opts["restart"],
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[speed]} tok/s"),
        TimeElapsedColumn(),
        TextColumn("ETA {task.fields[eta]}"),
        console=console,
    )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _run(app: AppContext, job: Any, dataset: Any, dry_run: bool) -> None:
    """Show the data set, then train with a progress bar and print the report's figures."""
    from finetune.adapter_job import example_preview, run_finetune

    summary = dataset.summary()
    console.print(
        f"[bold]{job.name}[/]: {summary['train_examples']} training / {summary['heldout_examples']} held-out examples from {', '.join(summary['sources'])}"
    )
    if dry_run:
        for example in example_preview(dataset.train):
            console.print(example, markup=False)
        return
    _quiet_transformers()
    with _progress() as progress:
        task = progress.add_task(f"training {job.name}", total=job.config.steps, loss="-", speed="-", eta="-")

        def on_step(event: Any) -> None:
            progress.update(
                task,
                completed=event.step,
                total=event.max_steps,
                loss=f"{event.loss:.3f}",
                speed=f"{event.tokens_per_second:.0f}",
                eta=_clock(event.eta_seconds),
            )

        outcome = run_finetune(
            app.settings.home,
            job,
            dataset,
            on_step=on_step,
            status=lambda m: progress.console.print(f"[dim]{m}[/]"),
        )
    _print_outcome(outcome)


def _quiet_transformers() -> None:
    """Only the progress bar and Nuvola's own lines on the terminal (no library bars or deprecation notes)."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")


def _print_outcome(outcome: Any) -> None:
    report = outcome.report
    console.print((outcome.folder / "report.md").read_text("utf-8"), markup=False)
    console.print(f"[green]registered[/] {outcome.record.name} in {outcome.folder} (loss curve: loss.png)")
    ppl = report.get("perplexity") or {}
    if ppl and ppl["ppl_change"] > -0.10:
        console.print(
            "[yellow]held-out perplexity fell by less than 10%: train longer (--steps) or on more text[/]"
        )


@finetune_group.command("style")
@click.option(
    "--source", "sources", multiple=True, help="Text file or folder (.txt/.md/.jsonl); default: the memory."
)
@click.option(
    "--heldout", "heldout", multiple=True, help="File(s) never trained on (default: the last source file)."
)
@click.option(
    "--contrast",
    "contrast",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Texts of other styles (one profile per author/file) for the style score.",
)
@_training_options
@pass_app
def finetune_style(
    app: AppContext,
    sources: tuple[str, ...],
    heldout: tuple[str, ...],
    contrast: tuple[Path, ...],
    name: str | None,
    base: str | None,
    **opts: Any,
) -> None:
    """Learn the series' (or an author's) style: self-supervised on scripts, captions or prose."""
    from finetune.sources import build_style_set

    dataset = build_style_set(app.settings, sources, heldout)
    job = _job(app, "style", name or f"style:{app.settings.series}", base, opts)
    job.contrast = contrast
    _run(app, job, dataset, opts["dry_run"])


@finetune_group.command("voice")
@click.argument("character")
@click.option(
    "--source", "sources", multiple=True, help="Script file/JSONL, `memory` (default) or `story-bank`."
)
@_training_options
@pass_app
def finetune_voice(
    app: AppContext, character: str, sources: tuple[str, ...], name: str | None, base: str | None, **opts: Any
) -> None:
    """Learn one CHARACTER's voice: the scene so far -> their next line."""
    from finetune.sources import build_voice_set

    canonical, dataset = build_voice_set(app.settings, character, sources)
    _run(app, _job(app, "voice", name or f"voice:{canonical}", base, opts), dataset, opts["dry_run"])


@finetune_group.command("dialogue")
@click.option(
    "--max-passages",
    default=None,
    type=int,
    help="Conversations trained on at most (default: all; the steps decide how many are read).",
)
@_training_options
@pass_app
def finetune_dialogue(
    app: AppContext, max_passages: int | None, name: str | None, base: str | None, **opts: Any
) -> None:
    """Learn real Italian dialogue for the voice writer: the training novels' quoted speech (ELTeC split)."""
    from finetune.sources import build_dialogue_set

    seed = app.settings.seed if opts["seed"] is None else opts["seed"]
    dataset = build_dialogue_set(app.settings, max_passages, seed)
    job = _job(app, "dialogue", name or f"dialogue:{app.settings.series}", base, opts)
    console.print(DIALOGUE_NOTICE.format(name=job.name), markup=False)
    _run(app, job, dataset, opts["dry_run"])


DIALOGUE_NOTICE = (
    "note: once registered, {name} writes every balloon whose speaker has no voice adapter. On the dev plot "
    "it made lines more generic (perplexity x0.80, fewer plot words; docs/writing.md), so it is not a "
    "default; `nuvola adapters disable {name}` turns it off."
)


@finetune_group.command("ocr-clean")
@click.option(
    "--source", "sources", multiple=True, help="Text files to letter and misread; default: `story-bank`."
)
@click.option(
    "--ocr-set",
    "ocr_sets",
    multiple=True,
    type=click.Path(path_type=Path),
    help="JSONL of {ocr|lines, text} readings.",
)
@click.option(
    "--engine",
    default=None,
    help="OCR engine that reads the balloons (default: the `ocr` role); `none`: noise only.",
)
@click.option(
    "--eval-set",
    default="generated",
    show_default=True,
    help="OCR validation set measured (`none`: held-out drawn balloons).",
)
@click.option("--heldout-balloons", default=60, show_default=True, help="Balloons measured for CER.")
@click.option(
    "--real-balloons",
    default=REAL_READINGS,
    show_default=True,
    help="Source sentences lettered in drawn balloons and read by the engine for training.",
)
@_training_options
@pass_app
def finetune_ocr_clean(
    app: AppContext,
    sources: tuple[str, ...],
    ocr_sets: tuple[Path, ...],
    engine: str | None,
    eval_set: str,
    heldout_balloons: int,
    real_balloons: int,
    name: str | None,
    base: str | None,
    **opts: Any,
) -> None:
    """Learn to correct OCR readings of lettering (noisy -> clean), measured by CER on held-out balloons."""
    from finetune.sources import build_ocr_set

    seed = app.settings.seed if opts["seed"] is None else opts["seed"]
    with console.status("lettering and reading balloons for the OCR-clean set"):
        dataset = build_ocr_set(
            app.settings, sources, ocr_sets, engine, eval_set, seed, heldout_balloons, real_balloons
        )
    _run(app, _job(app, "ocr-clean", name or "ocr-clean", base, opts), dataset, opts["dry_run"])


@click.group("adapters")
def adapters_group() -> None:
    """LoRA adapters registered under NUVOLA_HOME/adapters."""


def _metric_text(record: AdapterRecord) -> str:
    m = record.metrics
    parts = []
    if "ppl_before" in m:
        parts.append(f"ppl {m['ppl_before']} -> {m['ppl_after']} ({m['ppl_change'] * 100:+.1f}%)")
    if "cer_adapter" in m:
        parts.append(f"CER {m['cer_uncleaned']} -> {m['cer_adapter']}")
    if m.get("style"):
        parts.append(f"style {m['style']['base']} -> {m['style']['adapter']}")
    return "; ".join(parts)


@adapters_group.command("list")
@pass_app
def adapters_list(app: AppContext) -> None:
    """Every registered adapter, its base, files and headline figures."""
    records = list_adapters(app.settings.home)
    if not records:
        console.print("no adapters yet: train one with `nuvola finetune style|voice|ocr-clean`")
        return
    table = Table(title=f"Adapters in {app.settings.home / 'adapters'}")
    for column in ("name", "kind", "base", "files", "steps", "on", "measured"):
        table.add_column(column, overflow="fold")
    for r in records:
        files = ", ".join(f for f, present in (("gguf", r.gguf), ("peft", r.peft)) if present)
        table.add_row(
            r.name, r.kind, r.base, files, str(r.steps or "-"), "yes" if r.enabled else "no", _metric_text(r)
        )
    console.print(table)


@adapters_group.command("show")
@click.argument("name")
@pass_app
def adapters_show(app: AppContext, name: str) -> None:
    """Print an adapter's report."""
    record = get_adapter(app.settings.home, name)
    report = record.file(record.report)
    console.print(
        report.read_text("utf-8") if report and report.is_file() else record.model_dump_json(indent=2),
        markup=False,
    )


@adapters_group.command("add")
@click.argument("name")
@click.option(
    "--base", required=True, help="Model name the adapter was trained on, e.g. llamacpp:gemma3-270m."
)
@click.option("--gguf", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="GGUF LoRA file.")
@click.option(
    "--peft",
    "peft_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="peft adapter folder.",
)
@click.option("--kind", default="custom", show_default=True)
@pass_app
def adapters_add(
    app: AppContext, name: str, base: str, gguf: Path | None, peft_dir: Path | None, kind: str
) -> None:
    """Register an adapter trained elsewhere (e.g. on a GPU machine): its files are copied in."""
    if gguf is None and peft_dir is None:
        raise click.UsageError("give --gguf and/or --peft")
    folder = adapter_dir(app.settings.home, name)
    folder.mkdir(parents=True, exist_ok=True)
    if gguf is not None:
        shutil.copyfile(gguf, folder / "adapter.gguf")
    if peft_dir is not None:
        shutil.copytree(peft_dir, folder / "peft", dirs_exist_ok=True)
    record = AdapterRecord(
        name=name,
        kind=kind,
        base=base,
        gguf="adapter.gguf" if gguf else None,
        peft="peft" if peft_dir else None,
    )
    register_adapter(app.settings.home, record)
    console.print(f"[green]registered[/] {name} in {folder}")


@adapters_group.command("enable")
@click.argument("name")
@pass_app
def adapters_enable(app: AppContext, name: str) -> None:
    """Let the writers use the adapter automatically again."""
    set_adapter_enabled(app.settings.home, name, True)
    console.print(f"{name}: enabled")


@adapters_group.command("disable")
@click.argument("name")
@pass_app
def adapters_disable(app: AppContext, name: str) -> None:
    """Keep the adapter but stop the writers from using it automatically."""
    set_adapter_enabled(app.settings.home, name, False)
    console.print(f"{name}: disabled")


@adapters_group.command("remove")
@click.argument("name")
@click.confirmation_option(prompt="Delete this adapter and its files?")
@pass_app
def adapters_remove(app: AppContext, name: str) -> None:
    """Delete an adapter and its files."""
    folder = remove_adapter(app.settings.home, name)
    console.print(f"removed {folder}")


def register(cli: click.Group) -> None:
    cli.add_command(finetune_group)
    cli.add_command(adapters_group)
