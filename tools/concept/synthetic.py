"""Generated data with recurring elements: an ink corpus of pages and a set of pencil concept sketches.

`write_corpus` composes Bonelli-like pages (three tiers of two panels) in the finished ink look, saves the
page images, the panel crops, `labels.yaml` (elements per crop) and `truth.json` (panel boxes in the
eval GT format, plus elements per panel). `write_concept_set` draws pencil sketches of new scenes, with
`elements.yaml` (the prior p̂), a matching `script.json` (IssueScript; figures and settings name the
elements) and `reference/` (the same scenes in ink, what an artist would have drawn).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools.atomic import write_text_atomic
from tools.comic_script import Figure, IssueScript, PagePlan, PanelSpec, Tier
from tools.concept.images import save_gray
from tools.concept.labels import ElementLabels, LabelledPanel, save_labels
from tools.concept.scenes import ELEMENTS, FIGURES, random_scene, render_scene

FIGURE_NAMES = {"tex": "Tex", "tiger": "Tiger Jack"}
GUTTER = 6


@dataclass
class CorpusPaths:
    """Where `write_corpus` put things."""

    root: Path
    labels: Path
    truth: Path
    pages: list[Path]


@dataclass
class ConceptPaths:
    """Where `write_concept_set` put things."""

    root: Path
    sketches: Path
    elements: Path
    script: Path
    reference: Path


def check_elements(elements: Sequence[str]) -> list[str]:
    unknown = sorted(set(elements) - set(ELEMENTS))
    if unknown or not elements:
        raise ValueError(f"unknown elements {unknown}; the generator draws {list(ELEMENTS)}")
    return list(elements)


def sample_present(rng: np.random.Generator, elements: Sequence[str], p: float = 0.45) -> list[str]:
    return [e for e in elements if rng.random() < p]


def write_corpus(
    out: Path, pages: int, elements: Sequence[str] = ("tex", "tiger"), panel_size: int = 128, seed: int = 0
) -> CorpusPaths:
    """`pages` ink pages of 3 tiers x 2 panels; returns the paths of labels.yaml and truth.json."""
    elements = check_elements(elements)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    labelled: list[LabelledPanel] = []
    truth: dict[str, dict] = {
        "pages": {},
        "elements": {},
        "meta": {"generator": "tools.concept.synthetic", "elements": elements, "seed": seed},
    }
    page_paths = []
    for number in range(1, pages + 1):
        name = f"page_{number:03d}.png"
        page, boxes, present = compose_page(rng, elements, panel_size, seed * 100_003 + number)
        page_paths.append(save_gray(out / "pages" / name, page))
        truth["pages"][name], truth["elements"][name] = boxes, present
        for k, ((x, y, w, h), names) in enumerate(zip(boxes, present, strict=True), start=1):
            crop = f"panels/page_{number:03d}_p{k}.png"
            save_gray(out / crop, page[y : y + h, x : x + w])
            labelled.append(LabelledPanel(image=crop, elements=names))
    labels = save_labels(ElementLabels(elements=elements, panels=labelled), out / "labels.yaml")
    truth_path = write_text_atomic(out / "truth.json", json.dumps(truth, indent=1))
    return CorpusPaths(out, labels, truth_path, page_paths)


def compose_page(
    rng: np.random.Generator, elements: Sequence[str], size: int, seed: int
) -> tuple[np.ndarray, list[list[int]], list[list[str]]]:
    """A page image, its panel boxes in reading order, and the elements of each panel."""
    width = 2 * round(size * 1.1) + 3 * GUTTER
    page = np.full((3 * size + 4 * GUTTER, width), 255, np.uint8)
    boxes, present = [], []
    for tier in range(3):
        split = round((width - 3 * GUTTER) * rng.uniform(0.42, 0.58))
        y = GUTTER + tier * (size + GUTTER)
        for x, w in ((GUTTER, split), (2 * GUTTER + split, width - 3 * GUTTER - split)):
            names = sample_present(rng, elements)
            spec = random_scene(rng, w, size, names, seed=seed * 10 + len(boxes))
            page[y : y + size, x : x + w] = render_scene(spec, "ink")
            boxes.append([x, y, w, size])
            present.append(spec.elements)
    return page, boxes, present


def write_concept_set(
    out: Path, panels: int, elements: Sequence[str] = ("tex", "tiger"), size: int = 128, seed: int = 1
) -> ConceptPaths:
    """`panels` pencil sketches (as a user would draw them) with their prior, script and ink references."""
    elements = check_elements(elements)
    rng = np.random.default_rng(seed)
    labelled, specs = [], []
    for j in range(panels):
        page, tier, n = j // 6 + 1, (j % 6) // 2 + 1, j % 2 + 1
        panel_id = f"p{page}-t{tier}-{n}"
        names = sample_present(rng, elements, p=0.5)
        width = round(size * rng.uniform(0.9, 1.3))
        spec = random_scene(rng, width, size, names, seed=seed * 100_003 + j)
        save_gray(out / "sketches" / f"{panel_id}.png", render_scene(spec, "pencil"))
        save_gray(out / "reference" / f"{panel_id}.png", render_scene(spec, "ink"))
        labelled.append(LabelledPanel(image=f"{panel_id}.png", elements=spec.elements))
        specs.append(panel_spec(panel_id, spec.elements))
    labels = save_labels(ElementLabels(elements=elements, panels=labelled), out / "elements.yaml")
    script = build_script(specs, elements)
    script_path = write_text_atomic(out / "script.json", script.model_dump_json(indent=1))
    return ConceptPaths(out, out / "sketches", labels, script_path, out / "reference")


def panel_spec(panel_id: str, present: Sequence[str]) -> PanelSpec:
    figures = [Figure(name=FIGURE_NAMES[e], x=0.3 + 0.4 * k) for k, e in enumerate(present) if e in FIGURES]
    setting = "fort, the palisade" if "fort" in present else "prairie"
    return PanelSpec(
        id=panel_id, figures=figures, setting=setting, description=f"{', '.join(present) or 'landscape'}"
    )


def build_script(specs: list[PanelSpec], elements: Sequence[str]) -> IssueScript:
    """An IssueScript whose pages hold `specs` two to a tier, three tiers to a page."""
    pages: list[PagePlan] = []
    for start in range(0, len(specs), 6):
        chunk = specs[start : start + 6]
        tiers = [Tier(panels=chunk[k : k + 2]) for k in range(0, len(chunk), 2)]
        pages.append(PagePlan(number=len(pages) + 1, tiers=tiers))
    cast = [FIGURE_NAMES[e] for e in elements if e in FIGURES]
    return IssueScript(
        title="Concept sketches", storyline="generated concept-art test set", cast=cast, pages=pages
    )
