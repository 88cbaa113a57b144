"""`concept stylize` end to end: priors + sketches -> restyled panels, with either backend.

The style-net backend fine-tunes the style network on the sketches with the Comic Book Loss; the diffusion
backend draws N candidates per sketch and keeps the one the element classifiers agree with best. Both
report per-element consistency before and after in the same form (tools/concept/outputs.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from finetune.concept.consistency import ConsistencyConfig, finetune_consistency
from finetune.concept.progress import StepCallback
from tools.comic_script import IssueScript
from tools.concept.diffusion import DiffusionConfig, DiffusionStylizer, prompt_for, rank_candidates
from tools.concept.images import letterbox, load_gray, to_tensor, unbox
from tools.concept.labels import ElementLabels, load_priors, looks_like_script, read_structured
from tools.concept.metrics import consistency
from tools.concept.nets import ElementNet, StyleBundle, load_elements, load_style, save_style
from tools.concept.outputs import StylizedSet, write_stylized
from tools.concept.sketchify import normalize_sketch
from tools.concept.stylize import panel_images, prepare_sketches
from tools.errors import InputFileError

Warn = Callable[[str], None]


@dataclass
class StylizeRequest:
    """Inputs of one `concept stylize` run; `diffusion` selects the diffusion backend."""

    sketch_dir: Path
    elements_file: Path
    out: Path
    classifier: Path
    style: Path | None = None
    consistency: ConsistencyConfig = field(default_factory=ConsistencyConfig)
    diffusion: DiffusionConfig | None = None
    seed: int = 0


@dataclass
class StylizeOutcome:
    """What was written, and the panels left out: no sketch found, or a sketch that would not decode."""

    result: StylizedSet
    paths: dict[str, Path]
    missing: list[str]
    unreadable: list[str]


def stylize_sketches(
    req: StylizeRequest, on_step: StepCallback | None = None, warn: Warn = lambda _: None
) -> StylizeOutcome:
    """Restyle every sketch the elements file names; skipped panels are reported, not fatal."""
    classifier = load_elements(req.classifier)
    labels, skipped = load_priors(req.elements_file, req.sketch_dir, classifier.config.elements)
    labels, unreadable = readable(labels)
    for message in unreadable:
        warn(f"skipped {message}")
    if not labels.panels:
        raise InputFileError(
            req.sketch_dir, f"no readable sketch for the panels listed in {req.elements_file}"
        )
    bundle = None
    if req.diffusion is not None:
        result = diffuse(req.diffusion, req.seed, classifier, labels, on_step)
    else:
        result, bundle = restyle(req, classifier, labels, on_step)
    paths = write_stylized(result, req.out, script=script_mapping(req.elements_file, labels))
    if bundle is not None:
        paths["style"] = save_style(bundle, req.out / "style-finetuned.pt")
    return StylizeOutcome(result, paths, skipped, unreadable)


def readable(labels: ElementLabels) -> tuple[ElementLabels, list[str]]:
    """Drop panels whose sketch cannot be decoded (a batch goes on), with one message each."""
    keep, bad = [], []
    for panel in labels.panels:
        try:
            load_gray(panel.image)
            keep.append(panel)
        except InputFileError as exc:
            bad.append(str(exc))
    return ElementLabels(elements=labels.elements, panels=keep), bad


def restyle(
    req: StylizeRequest, classifier: ElementNet, labels: ElementLabels, on_step: StepCallback | None
) -> tuple[StylizedSet, StyleBundle]:
    """Fine-tune the style net on the sketches with the Comic Book Loss; returns the set and the tuned net."""
    if req.style is None:
        raise InputFileError("--style", "the style-net backend needs a trained style network")
    bundle = load_style(req.style)
    batch = prepare_sketches([Path(p.image) for p in labels.panels], bundle.net.config.size)
    prior = labels.matrix()
    run = finetune_consistency(bundle, classifier, batch.tensor, prior, req.consistency, on_step)
    result = StylizedSet(
        names=[p.name for p in labels.panels],
        sketches=panel_images(batch.tensor, batch.boxes),
        before=panel_images(run.before, batch.boxes),
        after=panel_images(run.after, batch.boxes),
        prior=prior,
        before_report=run.before_report,
        after_report=run.after_report,
        backend="style-net",
        history=run.history.series,
        settings={"consistency": asdict(req.consistency), "size": bundle.net.config.size},
    )
    return result, run.bundle


def diffuse(
    config: DiffusionConfig,
    seed: int,
    classifier: ElementNet,
    labels: ElementLabels,
    on_step: StepCallback | None,
) -> StylizedSet:
    """Best-of-N by Σ_i BCE(p̂_ij, p_ij) per panel; "before" is each panel's first candidate."""
    stylizer = DiffusionStylizer(config)
    prior = labels.matrix()
    n = max(1, config.candidates)
    sketches, before, after, chosen = [], [], [], []
    for j, panel in enumerate(labels.panels):
        sketch = (normalize_sketch(load_gray(panel.image)) * 255).astype(np.uint8)
        present = [e for e, flag in zip(labels.elements, prior[j], strict=True) if flag > 0]
        prompt = prompt_for(present, panel.prompt, config.prompt)
        candidates = [
            restore_aspect(c, sketch.shape) for c in stylizer.candidates(sketch, prompt, n, seed + 1000 * j)
        ]
        best, scores = rank_candidates(classifier, candidates, prior[j])
        sketches.append(sketch)
        before.append(candidates[0])
        after.append(candidates[best])
        chosen.append({"panel": panel.name, "chosen": best, "bce": scores})
        if on_step:
            on_step(j + 1, len(labels.panels), {"bce": scores[best]})
    size = classifier.config.size
    before_t = to_tensor([letterbox(b, size)[0] for b in before])
    after_t = to_tensor([letterbox(a, size)[0] for a in after])
    return StylizedSet(
        names=[p.name for p in labels.panels],
        sketches=sketches,
        before=before,
        after=after,
        prior=prior,
        before_report=consistency(classifier, before_t, prior),
        after_report=consistency(classifier, after_t, prior),
        backend=f"diffusers:{config.model}",
        history={"chosen_bce": [c["bce"][c["chosen"]] for c in chosen]},
        settings={"diffusion": {k: str(v) for k, v in asdict(config).items()}, "selection": chosen},
    )


def restore_aspect(square: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Crop a square generation back to the sketch's aspect ratio (the sketch was letterboxed)."""
    _, box = letterbox(np.zeros(shape[:2], np.uint8), square.shape[0])
    return unbox(square, box)


def script_mapping(elements_file: Path, labels: ElementLabels) -> tuple[IssueScript, dict[str, str]] | None:
    """(script, panel id -> output name) when the priors came from a script.json, else None."""
    data = read_structured(elements_file)
    if not looks_like_script(data):
        return None
    return IssueScript.model_validate(data), {p.id: p.name for p in labels.panels if p.id}
