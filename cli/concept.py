"""`nuvola concept ...`: restyle users' concept sketches into the series' look, consistently across panels.

nuvola concept scenes OUT                     generated corpus + concept sketches with two elements
nuvola concept label --from-catalogue VOL     a labelling file from speaker attribution (edit it)
nuvola concept train-elements --labels FILE   element classifiers (held-out accuracy/AUC per element)
nuvola concept train-style --labels FILE      the style network, self-supervised on the corpus
nuvola concept stylize SKETCH_DIR --elements FILE --out DIR
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.context import AppContext, console, pass_app
from tools.errors import InputFileError


def concept_dir(app: AppContext) -> Path:
    """Where trained concept networks live by default: NUVOLA_HOME/concept/."""
    return app.settings.home / "concept"


def split_names(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@contextmanager
def training_progress(description: str) -> Iterator[Any]:
    """Yields an on_step(step, total, losses) callback drawing a rich progress bar from the first step on
    (so loading errors print alone)."""
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[losses]}"),
        TimeElapsedColumn(),
    ]
    progress = Progress(*columns, console=console)
    task = progress.add_task(description, total=None, losses="")

    def on_step(step: int, total: int, losses: dict[str, float]) -> None:
        if not progress.live.is_started:
            progress.start()
        text = "  ".join(f"{k} {v:.4f}" for k, v in losses.items())
        progress.update(task, completed=step, total=total, losses=text)

    try:
        yield on_step
    finally:
        if progress.live.is_started:
            progress.stop()


@click.group("concept")
def concept_group() -> None:
    """Concept art to comic art: element classifiers, a style network, Comic Book Loss fine-tuning."""


@concept_group.command("scenes")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--pages", default=40, show_default=True, help="Corpus pages (six panels each).")
@click.option("--concept-panels", default=24, show_default=True, help="Pencil concept sketches to draw.")
@click.option(
    "--elements", default="tex,tiger", show_default=True, help="Recurring elements: tex, tiger, fort."
)
@click.option("--size", default=128, show_default=True, help="Panel height in pixels.")
@click.option("--seed", default=0, show_default=True)
def scenes_cmd(out: Path, pages: int, concept_panels: int, elements: str, size: int, seed: int) -> None:
    """Generate an ink corpus and pencil concept sketches with recurring elements (our own art)."""
    from tools.concept.synthetic import write_concept_set, write_corpus

    names = split_names(elements) or []
    try:
        corpus = write_corpus(out / "corpus", pages, names, size, seed)
        concept = write_concept_set(out / "concept", concept_panels, names, size, seed + 1)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--elements") from exc
    console.print(f"[green]corpus[/] {len(corpus.pages)} pages, labels {corpus.labels}, truth {corpus.truth}")
    console.print(
        f"[green]concept[/] sketches {concept.sketches}, priors {concept.elements}, script {concept.script}"
    )


@concept_group.command("label")
@click.option(
    "--from-catalogue", "volume", help="Label the panels of this ingested volume by their speakers."
)
@click.option(
    "--refs",
    type=click.Path(path_type=Path, file_okay=False),
    help="Reference drawings: DIR/<element>/*.png.",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Labelling file to write (YAML).")
@click.option("--elements", help="Comma-separated elements to keep (default: every speaker found).")
@click.option(
    "--alias", "aliases", multiple=True, metavar="NAME=ELEMENT", help="Map a speaker name to an element."
)
@click.option(
    "--profile", help="Series profile whose aliases name the elements (default: the settings' series)."
)
@pass_app
def label_cmd(
    app: AppContext,
    volume: str | None,
    refs: Path | None,
    out: Path,
    elements: str | None,
    aliases: tuple[str, ...],
    profile: str | None,
) -> None:
    """Write an element-labels file to review and edit before `train-elements`."""
    from tools.concept.labels import labels_from_catalogue, labels_from_references, save_labels

    if bool(volume) == bool(refs):
        raise click.UsageError("give exactly one of --from-catalogue VOLUME or --refs DIR")
    if refs is not None:
        labels = labels_from_references(refs)
        labels = labels.model_copy(
            update={
                "panels": [
                    p.model_copy(update={"image": str((refs / p.image).resolve())}) for p in labels.panels
                ]
            }
        )
    else:
        from tools.ingest.catalogue import Catalogue

        bad = [pair for pair in aliases if "=" not in pair]
        if bad:
            raise click.BadParameter(f"expected NAME=ELEMENT, got {bad[0]!r}", param_hint="--alias")
        alias_map = dict(pair.split("=", 1) for pair in aliases)
        crops = concept_dir(app) / "crops" / str(volume)
        labels = labels_from_catalogue(
            Catalogue.open(app.settings),
            str(volume),
            app.settings.home,
            crops,
            split_names(elements),
            alias_map,
            profile_names(profile or app.settings.series),
        )
    save_labels(labels, out)
    counts = labels.matrix().sum(axis=0).astype(int)
    summary = ", ".join(f"{e} {c}" for e, c in zip(labels.elements, counts, strict=True))
    console.print(
        f"[green]wrote[/] {out}: {len(labels.panels)} panels ({summary}); review it, then train-elements"
    )


@concept_group.command("train-elements")
@click.option(
    "--labels", "labels_file", type=click.Path(path_type=Path, dir_okay=False), help="Element-labels YAML."
)
@click.option(
    "--refs",
    type=click.Path(path_type=Path, file_okay=False),
    help="Reference drawings: DIR/<element>/*.png.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Checkpoint (default: $NUVOLA_HOME/concept/elements.pt)."
)
@click.option("--size", default=128, show_default=True, help="Square input side in pixels.")
@click.option("--epochs", default=30, show_default=True)
@click.option("--width", default=16, show_default=True, help="Channels of the first stage.")
@click.option("--val-fraction", default=0.2, show_default=True, help="Held out for accuracy/AUC.")
@click.option("--seed", default=0, show_default=True)
@click.option("--threads", type=int, help="torch CPU threads (default: $NUVOLA_TORCH_THREADS or 1).")
@pass_app
def train_elements_cmd(
    app: AppContext,
    labels_file: Path | None,
    refs: Path | None,
    out: Path | None,
    size: int,
    epochs: int,
    width: int,
    val_fraction: float,
    seed: int,
    threads: int | None,
) -> None:
    """Train the element classifiers and report held-out accuracy and AUC per element."""
    from finetune.concept.elements import ElementTrainConfig, load_labelled, train_elements
    from tools.atomic import write_text_atomic
    from tools.concept.labels import labels_from_references, load_labels
    from tools.concept.nets import limit_threads, save_elements
    from tools.concept.plots import plot_losses

    if bool(labels_file) == bool(refs):
        raise click.UsageError("give exactly one of --labels FILE or --refs DIR")
    limit_threads(threads)
    labels, base = (
        (load_labels(labels_file), labels_file.parent)
        if labels_file
        else (labels_from_references(refs), refs)
    )
    images, targets, skipped = load_labelled(labels, base, size)
    for message in skipped:
        console.print(f"[yellow]skipped[/] {message}")
    repeats = max(1, 64 // len(images))  # a handful of reference drawings: more augmented draws per epoch
    config = ElementTrainConfig(
        size=size, epochs=epochs, width=width, val_fraction=val_fraction, seed=seed, repeats=repeats
    )
    with training_progress("element classifiers") as on_step:
        result = train_elements(images, targets, labels.elements, config, on_step)
    out = out or concept_dir(app) / "elements.pt"
    report = {**result.report(), "skipped": skipped, "labels": str(labels_file or refs)}
    save_elements(result.net, out, report)
    write_text_atomic(out.with_suffix(".report.json"), json.dumps(report, indent=1))
    plot_losses(result.history.series, out.with_suffix(".losses.png"), "element classifiers")
    table = Table("element", "held-out accuracy", "AUC", "positives", "negatives", title="held-out scores")
    for s in result.scores:
        table.add_row(s.element, fmt(s.accuracy), fmt(s.auc), str(s.positives), str(s.negatives))
    console.print(table)
    console.print(
        f"[green]saved[/] {out} (report {out.with_suffix('.report.json').name}, "
        f"loss plot {out.with_suffix('.losses.png').name})"
    )


def profile_names(name: str) -> Any:
    """speaker -> the series profile's name for that character, lower case (its own name if unknown)."""
    from tools.series.profile import load_profile

    series = load_profile(name)

    def canonical(speaker: str) -> str:
        character = series.find(speaker)
        return (character.name if character else speaker).casefold()

    return canonical


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@concept_group.command("train-style")
@click.option(
    "--labels",
    "labels_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Panels of an element-labels YAML.",
)
@click.option(
    "--images", type=click.Path(path_type=Path, file_okay=False), help="A folder of corpus panel images."
)
@click.option(
    "--classifier",
    type=click.Path(path_type=Path),
    help="Element classifier for the Gram features "
    "(default: $NUVOLA_HOME/concept/elements.pt if present, else a fixed random feature net).",
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Checkpoint (default: $NUVOLA_HOME/concept/style.pt)."
)
@click.option("--size", default=128, show_default=True, help="Square side (256 recommended on GPU).")
@click.option("--epochs", default=20, show_default=True)
@click.option("--width", default=16, show_default=True)
@click.option("--style-weight", default=0.5, show_default=True, help="Weight of the Gram style term in S_j.")
@click.option("--seed", default=0, show_default=True)
@click.option("--threads", type=int, help="torch CPU threads (default: $NUVOLA_TORCH_THREADS or 1).")
@pass_app
def train_style_cmd(
    app: AppContext,
    labels_file: Path | None,
    images: Path | None,
    classifier: Path | None,
    out: Path | None,
    size: int,
    epochs: int,
    width: int,
    style_weight: float,
    seed: int,
    threads: int | None,
) -> None:
    """Train the style network on (sketchified panel -> panel) pairs of the corpus."""
    from finetune.concept.style import StyleTrainConfig, train_style
    from tools.concept.images import letterbox, load_gray
    from tools.concept.labels import IMAGE_SUFFIXES, load_labels
    from tools.concept.nets import limit_threads, load_elements, save_style
    from tools.concept.plots import plot_losses

    if bool(labels_file) == bool(images):
        raise click.UsageError("give exactly one of --labels FILE or --images DIR")
    limit_threads(threads)
    if labels_file:
        paths = load_labels(labels_file).resolve(labels_file.parent)
    else:
        paths = sorted(p for p in images.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    panels = []
    for path in paths:
        try:
            panels.append(letterbox(load_gray(path), size)[0])
        except InputFileError as exc:
            console.print(f"[yellow]skipped[/] {exc}")
    if not panels:
        raise InputFileError(labels_file or images, "no readable panel image")
    default_classifier = concept_dir(app) / "elements.pt"
    classifier = classifier or (default_classifier if default_classifier.is_file() else None)
    features = load_elements(classifier) if classifier else None
    if features is None:
        console.print("[yellow]no element classifier: the Gram term uses a fixed random feature net[/]")
    config = StyleTrainConfig(size=size, epochs=epochs, width=width, style_weight=style_weight, seed=seed)
    with training_progress(f"style network ({len(panels)} panels)") as on_step:
        bundle = train_style(panels, features, config, on_step)
    out = out or concept_dir(app) / "style.pt"
    save_style(bundle, out)
    plot_losses(bundle.history, out.with_suffix(".losses.png"), "style network")
    console.print(
        f"[green]saved[/] {out} (L1 {bundle.history['l1'][0]:.4f} → {bundle.history['l1'][-1]:.4f}; "
        f"loss plot {out.with_suffix('.losses.png').name})"
    )


@concept_group.command("stylize")
@click.argument("sketch_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--elements",
    "elements_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="p̂: an element-labels YAML or a write-issue script.json.",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option(
    "--classifier", type=click.Path(path_type=Path), help="Default: $NUVOLA_HOME/concept/elements.pt."
)
@click.option("--style", type=click.Path(path_type=Path), help="Default: $NUVOLA_HOME/concept/style.pt.")
@click.option("--steps", default=150, show_default=True, help="Consistency fine-tuning steps.")
@click.option("--lambda", "lam", default=1.0, show_default=True, help="λ: weight of the BCE term.")
@click.option("--lr", default=5e-4, show_default=True)
@click.option("--style-weight", default=0.5, show_default=True, help="Weight of the Gram term in S_j.")
@click.option(
    "--style-target",
    type=click.Choice(["anchor", "corpus"]),
    default="anchor",
    show_default=True,
    help="S_j's Gram target: each panel's un-fine-tuned output, or the corpus' mean.",
)
@click.option(
    "--diffusers",
    "diffusers_path",
    type=click.Path(path_type=Path),
    help="Use the diffusion backend: a local Stable Diffusion pipeline folder.",
)
@click.option(
    "--controlnet", type=click.Path(path_type=Path), help="A local ControlNet-scribble folder (else img2img)."
)
@click.option(
    "--candidates", default=4, show_default=True, help="Diffusion: candidates per panel (best-of-N)."
)
@click.option("--diffusion-steps", default=25, show_default=True)
@click.option("--strength", default=0.75, show_default=True, help="img2img strength.")
@click.option("--gen-size", default=512, show_default=True, help="Diffusion: generation size in pixels.")
@click.option("--seed", default=0, show_default=True)
@click.option("--threads", type=int, help="torch CPU threads (default: $NUVOLA_TORCH_THREADS or 1).")
@pass_app
def stylize_cmd(
    app: AppContext,
    sketch_dir: Path,
    elements_file: Path,
    out: Path,
    classifier: Path | None,
    style: Path | None,
    steps: int,
    lam: float,
    lr: float,
    style_weight: float,
    style_target: str,
    diffusers_path: Path | None,
    controlnet: Path | None,
    candidates: int,
    diffusion_steps: int,
    strength: float,
    gen_size: int,
    seed: int,
    threads: int | None,
) -> None:
    """Restyle the sketches in SKETCH_DIR, consistent with the elements each panel should show."""
    from finetune.concept.consistency import ConsistencyConfig
    from finetune.concept.stylize_job import StylizeRequest, stylize_sketches
    from tools.concept.diffusion import DiffusionConfig
    from tools.concept.nets import limit_threads

    limit_threads(threads)
    diffusion = (
        DiffusionConfig(
            model=diffusers_path,
            controlnet=controlnet,
            steps=diffusion_steps,
            strength=strength,
            size=gen_size,
            candidates=candidates,
        )
        if diffusers_path
        else None
    )
    request = StylizeRequest(
        sketch_dir=sketch_dir,
        elements_file=elements_file,
        out=out,
        classifier=classifier or concept_dir(app) / "elements.pt",
        style=style or concept_dir(app) / "style.pt",
        consistency=ConsistencyConfig(
            steps=steps, lam=lam, lr=lr, style_weight=style_weight, style_target=style_target, seed=seed
        ),
        diffusion=diffusion,
        seed=seed,
    )
    label = "best-of-N diffusion" if diffusion else "Comic Book Loss fine-tuning"
    with training_progress(label) as on_step:
        outcome = stylize_sketches(request, on_step, warn=lambda m: console.print(f"[yellow]{m}[/]"))
    for panel in outcome.missing:
        console.print(f"[yellow]no sketch for[/] {panel}")
    print_consistency(outcome.result)
    files = ", ".join(f"{k} {v.name}" for k, v in outcome.paths.items())
    console.print(f"[green]wrote[/] {len(outcome.result.names)} panels to {out / 'panels'} ({files})")


def print_consistency(result: Any) -> None:
    from tools.concept.outputs import summary_rows

    table = Table(
        "element",
        "mean p where p̂=1",
        "mean p where p̂=0",
        "feature distance",
        title=f"consistency before → after ({result.backend})",
    )
    for row in summary_rows(result.before_report, result.after_report):
        table.add_row(*row)
    console.print(table)


def register(cli: click.Group) -> None:
    cli.add_command(concept_group)
