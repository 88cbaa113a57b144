"""Pages with reading ground truth: real Pepper&Carrot pages (per-page JSON) or a generated volume (truth.json).

    load_gt_dir(folder, split="dev")  -> PageSet   (per-page JSON files, or a `nuvola synth` truth.json)
    load_split(path)                  -> {"dev": [...], "frozen": [...]}

Real pages follow the per-page format of ../shared/comics/peppercarrot-it (see its README): balloons with
`bbox` (with tail), `body_bbox`, `lines`; `text_blocks_without_balloon`; `page_type`. Panel ground truth,
when annotated, comes from `evals/gt/peppercarrot-it/panels_<split>.json` (`nuvola eval panels --gt`
format). The split file fixes which pages are dev (may be tuned on) and which are frozen (only scored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.errors import InputFileError
from tools.ocr.normalise import normalise_lettering

REPO = Path(__file__).resolve().parents[1]
GT_DIR = REPO / "evals" / "gt" / "peppercarrot-it"
SPLITS_FILE = GT_DIR / "splits.json"
SHARED_PAGES = REPO.parent / "shared" / "comics" / "peppercarrot-it"
SPLITS = ("dev", "frozen", "all")
Box = list[float]


@dataclass
class TruthBalloon:
    """A lettered balloon: its box with tail, its body box, the lines as lettered and the normalised text."""

    bbox: Box
    body_bbox: Box
    lines: list[str]
    text: str
    kind: str = "speech"

    @property
    def boxes(self) -> list[Box]:
        """The boxes a detection may match: the body, or the body with the tail."""
        return [self.body_bbox, self.bbox] if self.body_bbox != self.bbox else [self.bbox]


@dataclass
class TruthPage:
    """One page: image file, type (story/title/credits/generated), balloons, other text, panels if known."""

    name: str
    image: Path
    page_type: str
    balloons: list[TruthBalloon]
    text_blocks: list[Box] = field(default_factory=list)
    panels: list[Box] | None = None


@dataclass
class PageSet:
    """The pages of one split of a ground-truth folder, and where they came from."""

    name: str
    folder: Path
    split: str
    pages: list[TruthPage]
    provenance: str = ""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(path, f"cannot read ground truth ({exc})") from exc


def load_split(path: Path | str = SPLITS_FILE) -> dict[str, list[str]]:
    """The split file: page ids per split, with the file prefix applied (`E01P01` -> full stem)."""
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("dev", "frozen")):
        raise InputFileError(path, 'a split file needs "dev" and "frozen" lists of page ids')
    prefix = str(data.get("prefix", ""))
    return {k: [prefix + str(p) for p in data[k]] for k in ("dev", "frozen")}


def _box(value: Any, path: Path, what: str) -> Box:
    if not (
        isinstance(value, list | tuple) and len(value) == 4 and all(isinstance(v, int | float) for v in value)
    ):
        raise InputFileError(path, f"{what} must be an [x, y, w, h] box, got {value!r}")
    return [float(v) for v in value]


def _real_page(path: Path, panels: dict[str, list[Box]] | None) -> TruthPage:
    data = _read_json(path)
    if not isinstance(data, dict) or "image" not in data or not isinstance(data.get("balloons"), list):
        raise InputFileError(path, 'a page ground truth needs "image" and a "balloons" list')
    balloons = []
    for n, item in enumerate(data["balloons"]):
        bbox = _box(item.get("bbox"), path, f"balloons[{n}].bbox")
        body = _box(item.get("body_bbox", bbox), path, f"balloons[{n}].body_bbox")
        lines = [str(line) for line in item.get("lines", [])]
        balloons.append(
            TruthBalloon(bbox, body, lines, normalise_lettering(lines), item.get("kind", "speech"))
        )
    blocks = [
        _box(b.get("ink_bbox") or b.get("bbox"), path, "text block box")
        for b in data.get("text_blocks_without_balloon", [])
    ]
    image = str(data["image"])
    page_panels = None if panels is None else panels.get(image)
    return TruthPage(
        path.stem, path.parent / image, str(data.get("page_type", "page")), balloons, blocks, page_panels
    )


def _panel_truth(split: str, panels_dir: Path | None) -> dict[str, list[Box]] | None:
    """Annotated panel boxes per image for a split (both files for "all"); None when none are annotated."""
    if panels_dir is None:
        return None
    names = ["dev", "frozen"] if split == "all" else [split]
    found: dict[str, list[Box]] = {}
    for name in names:
        path = panels_dir / f"panels_{name}.json"
        if path.is_file():
            from evals.panels import load_ground_truth

            found.update(load_ground_truth(path).pages)
    return found or None


def load_real_pages(
    folder: Path | str,
    split: str = "dev",
    *,
    splits_file: Path | str | None = SPLITS_FILE,
    panels_dir: Path | str | None = GT_DIR,
) -> PageSet:
    """The per-page JSON ground truth of `folder`, limited to a split of `splits_file` (all pages without one)."""
    folder = Path(folder)
    if split not in SPLITS:
        raise InputFileError(folder, f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    files = sorted(p for p in folder.glob("*.json") if p.name != "truth.json")
    if not files:
        raise InputFileError(folder, "no per-page ground truth (*.json) and no truth.json here")
    wanted = None
    if split != "all" and splits_file is not None and Path(splits_file).is_file():
        ids = load_split(splits_file)[split]
        wanted = set(ids)
        missing = wanted - {p.stem for p in files}
        if missing == wanted:
            raise InputFileError(folder, f"none of the {split} pages of {splits_file} are here")
    panels = _panel_truth(split, Path(panels_dir) if panels_dir else None)
    pages = [_real_page(p, panels) for p in files if wanted is None or p.stem in wanted]
    provenance = _provenance(folder, split, splits_file if wanted is not None else None)
    return PageSet(folder.name, folder, split, pages, provenance)


def _provenance(folder: Path, split: str, splits_file: Path | str | None) -> str:
    """Where the pages come from: the folder and the split file (see the README files beside them)."""
    where = f"split {split!r} of {splits_file}" if splits_file else "every page"
    return f"{folder}; {where}"


def load_generated(truth_path: Path | str) -> PageSet:
    """A generated volume (`nuvola synth` truth.json): panels and balloons with their lettered lines."""
    truth_path = Path(truth_path)
    data = _read_json(truth_path)
    if not isinstance(data, dict) or not isinstance(data.get("pages"), dict):
        raise InputFileError(truth_path, 'truth.json needs a "pages" object')
    pages = []
    for image, panels in data["pages"].items():
        balloons = []
        for n, item in enumerate(data.get("balloons", {}).get(image, [])):
            box = _box(item.get("bbox"), truth_path, f"balloons[{image!r}][{n}].bbox")
            lines = [str(line) for line in item.get("lines", [])]
            text = item.get("text") or normalise_lettering(lines)
            balloons.append(TruthBalloon(box, box, lines, text, item.get("kind", "speech")))
        boxes = [_box(b, truth_path, f"pages[{image!r}] box") for b in panels]
        kind = data.get("page_types", {}).get(image)  # scan-like volumes name each page's kind
        page_type = f"generated-{kind}" if kind else "generated"
        pages.append(TruthPage(Path(image).stem, truth_path.parent / image, page_type, balloons, [], boxes))
    folder = truth_path.parent
    return PageSet(folder.name, folder, "generated", pages, f"generated volume {truth_path}")


def load_gt_dir(folder: Path | str, split: str = "dev", **kwargs: Any) -> PageSet:
    """A generated volume when `folder` holds truth.json, else per-page real ground truth."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(folder, "ground-truth folder not found")
    if (folder / "truth.json").is_file():
        return load_generated(folder / "truth.json")
    return load_real_pages(folder, split, **kwargs)
