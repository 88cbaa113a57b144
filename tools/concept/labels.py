"""The element-labels file: which elements (characters, settings) each panel image shows.

One YAML (or JSON) format serves both uses: training labels for the element classifiers, and the prior
p̂ of the Comic Book Loss for the user's concept sketches::

    elements: [tex, tiger]          # the elements, in classifier order
    panels:
      - image: p1-t1-1.png          # relative to the file's folder (or the sketch folder)
        elements: [tex]             # p̂ = 1 for these, 0 for the others
        prompt: Tex at the fort     # optional, for the diffusion backend

Labels also come from a write-issue script.json (panels' figures and settings), from the ingest
catalogue (balloon speakers of each panel) or from a folder of reference drawings, one sub-folder per
element.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from tools.atomic import write_text_atomic
from tools.comic_script import IssueScript, PanelSpec
from tools.errors import InputFileError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
NEGATIVE_FOLDERS = ("none", "_none", "negatives")


class LabelledPanel(BaseModel):
    """One panel image and the elements it shows."""

    image: str = Field(description="image path (alias: sketch)")
    elements: list[str] = Field(default_factory=list)
    prompt: str | None = None
    id: str | None = Field(None, description="panel id in a script (p1-t2-1); names the output")

    @property
    def name(self) -> str:
        return self.id or Path(self.image).stem

    @model_validator(mode="before")
    @classmethod
    def _sketch_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "image" not in data and "sketch" in data:
            data = {**data, "image": data["sketch"]}
            data.pop("sketch")
        return data


class ElementLabels(BaseModel):
    """Elements in a fixed order and the labelled panels; `matrix()` is p̂ (panels x elements)."""

    elements: list[str]
    panels: list[LabelledPanel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_elements(self) -> ElementLabels:
        if len(set(self.elements)) != len(self.elements) or not self.elements:
            raise ValueError("`elements` must be a non-empty list of distinct names")
        known = set(self.elements)
        for panel in self.panels:
            unknown = sorted(set(panel.elements) - known)
            if unknown:
                raise ValueError(
                    f"panel {panel.image}: unknown elements {unknown}; declared: {self.elements}"
                )
        return self

    def matrix(self) -> np.ndarray:
        """p̂ as a float32 array (panels x elements)."""
        out = np.zeros((len(self.panels), len(self.elements)), np.float32)
        for j, panel in enumerate(self.panels):
            for name in panel.elements:
                out[j, self.elements.index(name)] = 1.0
        return out

    def reordered(self, elements: Sequence[str]) -> ElementLabels:
        """The same labels over `elements` (a classifier's order); names not listed are dropped."""
        keep = set(elements)
        panels = [
            p.model_copy(update={"elements": [e for e in p.elements if e in keep]}) for p in self.panels
        ]
        return ElementLabels(elements=list(elements), panels=panels)

    def resolve(self, *bases: Path) -> list[Path]:
        """Absolute image paths: each relative path is tried against `bases` in order."""
        return [resolve_image(p.image, bases) for p in self.panels]


def resolve_image(image: str, bases: Sequence[Path]) -> Path:
    path = Path(image).expanduser()
    if path.is_absolute():
        return path
    for base in bases:
        if (base / path).exists():
            return base / path
    return (bases[0] / path) if bases else path


def load_labels(path: Path) -> ElementLabels:
    """Read an element-labels YAML/JSON file; any problem is an InputFileError naming the file."""
    data = read_structured(path)
    if looks_like_script(data):
        raise InputFileError(path, "this is a script.json; use it as --elements for `concept stylize`")
    try:
        return ElementLabels.model_validate(data)
    except ValidationError as exc:
        raise InputFileError(path, f"not an element-labels file ({first_error(exc)})") from exc


def save_labels(labels: ElementLabels, path: Path) -> Path:
    text = yaml.safe_dump(labels.model_dump(exclude_none=True), sort_keys=False, allow_unicode=True)
    return write_text_atomic(path, text)


def read_structured(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(path, f"cannot read it ({exc.strerror or exc})") from exc
    try:
        return json.loads(text) if Path(path).suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputFileError(
            path, f"not valid {'JSON' if str(path).endswith('.json') else 'YAML'} ({exc})"
        ) from exc


def looks_like_script(data: Any) -> bool:
    return isinstance(data, dict) and "pages" in data and "storyline" in data


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg', '')}" if where else str(err.get("msg", ""))


# ---------------------------------------------------------------------------------------------- priors


def load_priors(path: Path, sketch_dir: Path, elements: Sequence[str]) -> tuple[ElementLabels, list[str]]:
    """p̂ for the sketches in `sketch_dir`, from a labels YAML or a script.json, over `elements`.

    Returns the labels (image paths absolute) and the ids of panels skipped because no sketch was found.
    """
    data = read_structured(path)
    if looks_like_script(data):
        try:
            script = IssueScript.model_validate(data)
        except ValidationError as exc:
            raise InputFileError(path, f"not a valid script.json ({first_error(exc)})") from exc
        return labels_from_script(script, elements, sketch_dir, script_dir=Path(path).parent)
    labels = load_labels(path)
    missing = sorted(set(labels.elements) - set(elements))
    if missing:
        raise InputFileError(path, f"elements {missing} are not known to the classifier ({list(elements)})")
    images = labels.resolve(sketch_dir, Path(path).parent)
    found = [(p, img) for p, img in zip(labels.panels, images, strict=True) if img.is_file()]
    skipped = [p.image for p, img in zip(labels.panels, images, strict=True) if not img.is_file()]
    panels = [p.model_copy(update={"image": str(img)}) for p, img in found]
    return ElementLabels(elements=labels.elements, panels=panels).reordered(elements), skipped


def element_in_panel(element: str, panel: PanelSpec) -> bool:
    """True when the script puts `element` in the panel: a figure's name or a word of the setting."""
    key = element.casefold()
    for figure in panel.figures:
        name = figure.name.casefold()
        if key == name or key in name.replace("-", " ").split():
            return True
    return key in panel.setting.casefold().replace(",", " ").replace("-", " ").split()


def labels_from_script(
    script: IssueScript, elements: Sequence[str], sketch_dir: Path, script_dir: Path | None = None
) -> tuple[ElementLabels, list[str]]:
    """p̂ from a write-issue script: panel j's sketch is its `art_path` or `SKETCH_DIR/<panel id>.png`."""
    panels, skipped = [], []
    for spec in script.panels:
        image = find_sketch(spec, sketch_dir, script_dir)
        if image is None:
            skipped.append(spec.id)
            continue
        present = [e for e in elements if element_in_panel(e, spec)]
        panels.append(
            LabelledPanel(image=str(image), elements=present, prompt=spec.description or None, id=spec.id)
        )
    return ElementLabels(elements=list(elements), panels=panels), skipped


def find_sketch(spec: PanelSpec, sketch_dir: Path, script_dir: Path | None) -> Path | None:
    if spec.art_path:
        path = resolve_image(spec.art_path, [sketch_dir] + ([script_dir] if script_dir else []))
        return path if path.is_file() else None
    for suffix in IMAGE_SUFFIXES:
        candidate = sketch_dir / f"{spec.id}{suffix}"
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------------------------------- sources


def labels_from_references(root: Path) -> ElementLabels:
    """A handful of reference drawings: `root/<element>/*.png` are positives, `root/none/` negatives."""
    if not root.is_dir():
        raise InputFileError(root, "not a folder of reference drawings (one sub-folder per element)")
    folders = sorted(d for d in root.iterdir() if d.is_dir())
    elements = [d.name for d in folders if d.name not in NEGATIVE_FOLDERS]
    if not elements:
        raise InputFileError(root, "no element sub-folders (e.g. tex/, tiger/) with drawings")
    panels = [
        LabelledPanel(
            image=str(img.relative_to(root)), elements=[] if d.name in NEGATIVE_FOLDERS else [d.name]
        )
        for d in folders
        for img in sorted(d.iterdir())
        if img.suffix.lower() in IMAGE_SUFFIXES
    ]
    return ElementLabels(elements=elements, panels=panels)


class CatalogueLike(Protocol):
    """What `labels_from_catalogue` needs of tools.ingest.catalogue.Catalogue (contract 1)."""

    def pages(self, volume_name: str) -> Iterable[Any]: ...
    def panels(self, page_id: str) -> Iterable[Any]: ...
    def balloons(self, page_id: str) -> Iterable[Any]: ...


def labels_from_catalogue(
    catalogue: CatalogueLike,
    volume: str,
    home: Path,
    crops_dir: Path,
    elements: Sequence[str] | None = None,
    aliases: dict[str, str] | None = None,
    canonical: Callable[[str], str] | None = None,
) -> ElementLabels:
    """Crop every panel of `volume` into `crops_dir`; a panel's elements are its balloons' speakers.

    A speaker is named by `canonical` (e.g. the series profile's name for an alias; default: lower case),
    then renamed by `aliases` (case-insensitive, applied to the speaker or its canonical name); `elements` limits the list (default:
    every speaker found). The result is meant to be reviewed and edited by the user.
    """
    from tools.concept.images import crop_box, load_gray, save_gray

    aliases = {k.casefold(): v for k, v in (aliases or {}).items()}
    canonical = canonical or str.casefold
    panels, seen = [], []
    for page in catalogue.pages(volume):
        image_path = Path(page.image_path) if Path(page.image_path).is_absolute() else home / page.image_path
        image = load_gray(image_path)
        speakers: dict[str, set[str]] = {}
        for balloon in catalogue.balloons(page.id):
            if balloon.panel_id and balloon.speaker:
                known = canonical(balloon.speaker)
                name = aliases.get(balloon.speaker.casefold()) or aliases.get(known.casefold()) or known
                speakers.setdefault(balloon.panel_id, set()).add(name)
        for panel in catalogue.panels(page.id):
            crop = crop_box(image, (panel.x, panel.y, panel.w, panel.h))
            target = crops_dir / f"{panel.id.replace(':', '_')}.png"
            save_gray(target, crop)
            present = sorted(speakers.get(panel.id, set()))
            seen.extend(n for n in present if n not in seen)
            panels.append(LabelledPanel(image=str(target), elements=present))
    chosen = list(elements) if elements else seen
    if not chosen:
        raise InputFileError(
            f"catalogue volume {volume!r}",
            "no panel has a speaker yet: run OCR/attribution, or label the panels by hand",
        )
    keep = set(chosen)
    panels = [p.model_copy(update={"elements": [e for e in p.elements if e in keep]}) for p in panels]
    return ElementLabels(elements=chosen, panels=panels)
