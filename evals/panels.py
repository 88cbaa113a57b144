"""Panel (and balloon) detection scores against a ground-truth file, for any folder of pages.

GT format: `{"pages": {"relative/path.png": [[x, y, w, h], ...]}}` with boxes in reading order and paths
relative to the images folder; other top-level keys are ignored, except an optional `"balloons"` map in
the format that `nuvola synth` writes (`{"page.png": [{"bbox": [x, y, w, h], ...}]}`), which adds
balloon scores.

Matching: per page, a one-to-one assignment maximising IoU (Hungarian); a pair counts at IoU >= 0.5.
Reading order: a page is in order when its matched panels come out in the GT order and none is missed;
`order_pairs` is the share of matched panel pairs whose relative order is right.

Optional GT key `"page_types"` (`{"page.png": "story"}`) splits the scores by page type (otherwise a
`"page_type"` in a `<page>.json` beside every image does, as in the Pepper&Carrot set). Real page sets
are small, so every F1 comes with a bootstrap interval over pages (`f1_interval`). `baseline=True`
scores the contour baseline (tools/panels/baseline.py) on the same pages in the same run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.errors import InputFileError

IOU_THRESHOLD = 0.5
Box = Sequence[float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two [x, y, w, h] boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def match_boxes(
    gt: Sequence[Box], pred: Sequence[Box], threshold: float = IOU_THRESHOLD
) -> list[tuple[int, int]]:
    """One-to-one (gt index, pred index) pairs with IoU >= threshold, maximising total IoU."""
    if not gt or not pred:
        return []
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    scores = np.array([[iou(g, p) for p in pred] for g in gt])
    rows, cols = linear_sum_assignment(-scores)
    return sorted((int(r), int(c)) for r, c in zip(rows, cols, strict=True) if scores[r, c] >= threshold)


def match_alternatives(
    gt: Sequence[Sequence[Box]], pred: Sequence[Box], threshold: float = IOU_THRESHOLD
) -> list[tuple[int, int]]:
    """Like `match_boxes`, when each GT item may be given by several boxes (a balloon's body, or its
    body with the tail): each item takes the box that best matches some prediction."""
    chosen = [max(options, key=lambda b: max((iou(b, p) for p in pred), default=0.0)) for options in gt]
    return match_boxes(chosen, pred, threshold)


@dataclass
class DetectionScore:
    """Counts and rates of one kind of box over a set of pages."""

    gt: int = 0
    predicted: int = 0
    matched: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else (1.0 if not self.gt else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.gt if self.gt else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, gt: int, predicted: int, matched: int) -> None:
        self.gt, self.predicted, self.matched = (
            self.gt + gt,
            self.predicted + predicted,
            self.matched + matched,
        )

    def as_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class PanelScore(DetectionScore):
    """Panel detection plus reading order."""

    pages: int = 0
    pages_in_order: int = 0
    pairs: int = 0
    pairs_in_order: int = 0
    failed_pages: list[str] = field(default_factory=list)
    per_page: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # gt, predicted, matched

    @property
    def reading_order(self) -> float:
        return self.pages_in_order / self.pages if self.pages else 0.0

    @property
    def order_pairs(self) -> float:
        return self.pairs_in_order / self.pairs if self.pairs else 1.0

    def add_page(self, name: str, gt: Sequence[Box], pred: Sequence[Box]) -> None:
        pairs = match_boxes(gt, pred)
        self.add(len(gt), len(pred), len(pairs))
        self.per_page[name] = (len(gt), len(pred), len(pairs))
        predicted_rank = [p for _, p in pairs]  # gt order, as predicted positions
        in_order = predicted_rank == sorted(predicted_rank)
        self.pages += 1
        self.pages_in_order += int(in_order and len(pairs) == len(gt))
        n = len(predicted_rank)
        self.pairs += n * (n - 1) // 2
        self.pairs_in_order += sum(
            predicted_rank[i] < predicted_rank[j] for i in range(n) for j in range(i + 1, n)
        )
        if len(pairs) != len(gt) or len(pred) != len(gt) or not in_order:
            self.failed_pages.append(name)

    def f1_interval(self, confidence: float = 0.95, reps: int = 2000, seed: int = 0) -> tuple[float, float]:
        """Percentile bootstrap interval of the pooled F1, resampling whole pages."""
        return bootstrap_f1(list(self.per_page.values()), confidence, reps, seed)

    def subset(self, names: Sequence[str]) -> PanelScore:
        """Detection counts of some pages only (reading order is not carried over)."""
        part = PanelScore()
        for name in names:
            if name in self.per_page:
                gt, predicted, matched = self.per_page[name]
                part.add(gt, predicted, matched)
                part.per_page[name] = self.per_page[name]
                part.pages += 1
        return part

    def as_dict(self) -> dict[str, Any]:
        lo, hi = self.f1_interval()
        return {
            **super().as_dict(),
            "f1_interval": [lo, hi],
            "reading_order": self.reading_order,
            "order_pairs": self.order_pairs,
        }


def bootstrap_f1(
    pages: Sequence[tuple[int, int, int]], confidence: float = 0.95, reps: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of pooled F1 = 2M / (G + P) over (gt, predicted, matched) per page."""
    import numpy as np

    if not pages:
        return (0.0, 0.0)
    counts = np.asarray(pages, dtype=np.float64)
    picks = np.random.default_rng(seed).integers(0, len(counts), size=(reps, len(counts)))
    sums = counts[picks].sum(axis=1)
    denom = sums[:, 0] + sums[:, 1]
    f1 = np.where(denom > 0, 2 * sums[:, 2] / np.maximum(denom, 1), 1.0)
    tail = (1 - confidence) / 2
    return float(np.quantile(f1, tail)), float(np.quantile(f1, 1 - tail))


@dataclass
class GroundTruth:
    """Panel boxes per page (reading order) and, when present, balloon boxes per page."""

    pages: dict[str, list[list[float]]]
    balloons: dict[str, list[list[float]]] | None = None
    page_types: dict[str, str] = field(default_factory=dict)


def load_ground_truth(path: Path | str) -> GroundTruth:
    """Read and check a GT file; a malformed one is an InputFileError naming what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(path, f"cannot read ground truth ({exc})") from exc
    pages = data.get("pages") if isinstance(data, dict) else None
    if not isinstance(pages, dict):
        raise InputFileError(
            path, 'ground truth needs a top-level "pages" object: {"page.png": [[x, y, w, h], ...]}'
        )
    for name, boxes in pages.items():
        if not isinstance(boxes, list) or not all(_is_box(b) for b in boxes):
            raise InputFileError(path, f"pages[{name!r}] must be a list of [x, y, w, h] boxes")
    balloons = data.get("balloons")
    parsed = None
    if isinstance(balloons, dict):
        parsed = {
            name: [b["bbox"] for b in items if isinstance(b, dict) and _is_box(b.get("bbox"))]
            for name, items in balloons.items()
            if isinstance(items, list)
        }
    types = data.get("page_types")
    if types is not None and not (
        isinstance(types, dict) and all(isinstance(v, str) for v in types.values())
    ):
        raise InputFileError(path, 'page_types must map page names to type names: {"page.png": "story"}')
    boxes = {k: [list(map(float, b)) for b in v] for k, v in pages.items()}
    return GroundTruth(boxes, parsed, {k: v for k, v in (types or {}).items() if k in pages})


def _is_box(value: Any) -> bool:
    return (
        isinstance(value, list | tuple) and len(value) == 4 and all(isinstance(v, int | float) for v in value)
    )


@dataclass
class EvalReport:
    """What `nuvola eval panels` prints."""

    panels: PanelScore
    balloons: DetectionScore | None
    seconds_per_page: float
    errors: dict[str, str] = field(default_factory=dict)
    baseline: PanelScore | None = None
    baseline_seconds_per_page: float = 0.0
    page_types: dict[str, str] = field(default_factory=dict)

    def by_type(self) -> dict[str, tuple[PanelScore, PanelScore | None]]:
        """Product (and baseline) scores per page type, when the GT names page types."""
        groups: dict[str, list[str]] = {}
        for name, kind in self.page_types.items():
            groups.setdefault(kind, []).append(name)
        return {
            kind: (self.panels.subset(names), self.baseline.subset(names) if self.baseline else None)
            for kind, names in sorted(groups.items())
        }

    def as_dict(self) -> dict[str, Any]:
        out = self.panels.as_dict()
        out["failed_pages"] = self.panels.failed_pages
        if self.balloons is not None:
            out["balloons"] = self.balloons.as_dict()
        out["seconds_per_page"] = self.seconds_per_page
        out["errors"] = self.errors
        if self.baseline is not None:
            out["baseline"] = {**self.baseline.as_dict(), "seconds_per_page": self.baseline_seconds_per_page}
        if self.page_types:
            out["by_type"] = {
                kind: {"panels": own.as_dict(), "baseline": base.as_dict() if base else None}
                for kind, (own, base) in self.by_type().items()
            }
        return out


def evaluate_folder(
    gt_path: Path | str,
    images_dir: Path | str,
    *,
    rtl: bool = False,
    on_page: Callable[[str], None] | None = None,
    baseline: bool = False,
) -> EvalReport:
    """Detect panels (and balloons if the GT has them) on every GT page and score them; with `baseline`,
    score the contour baseline on the same pages too."""
    from PIL import Image

    from tools.ingest.decode import decode_image
    from tools.panels import analyse_page
    from tools.panels.baseline import baseline_panels

    truth = load_ground_truth(gt_path)
    images = Path(images_dir)
    panels, balloons = PanelScore(), DetectionScore() if truth.balloons is not None else None
    base_score = PanelScore() if baseline else None
    errors: dict[str, str] = {}
    elapsed = base_elapsed = 0.0
    for name, gt_boxes in truth.pages.items():
        try:
            image: Image.Image = decode_image((images / name).read_bytes(), name)
        except (OSError, InputFileError) as exc:
            errors[name] = str(getattr(exc, "cause", exc))
            panels.add_page(name, gt_boxes, [])
            if base_score is not None:
                base_score.add_page(name, gt_boxes, [])
            continue
        start = time.perf_counter()
        found = analyse_page(image, rtl=rtl, balloons=balloons is not None)
        elapsed += time.perf_counter() - start
        panels.add_page(name, gt_boxes, [p.box for p in found.panels])
        if base_score is not None:
            start = time.perf_counter()
            base_boxes = baseline_panels(image, rtl=rtl)
            base_elapsed += time.perf_counter() - start
            base_score.add_page(name, gt_boxes, base_boxes)
        if balloons is not None and truth.balloons is not None:
            gt_b = truth.balloons.get(name, [])
            balloons.add(
                len(gt_b), len(found.balloons), len(match_boxes(gt_b, [b.box for b in found.balloons]))
            )
        if on_page:
            on_page(name)
    done = max(1, panels.pages - len(errors))
    types = truth.page_types or _sidecar_page_types(images, list(truth.pages))
    return EvalReport(panels, balloons, elapsed / done, errors, base_score, base_elapsed / done, types)


def _sidecar_page_types(images: Path, names: Sequence[str]) -> dict[str, str]:
    """Page types from a `<page>.json` beside each image holding a "page_type" (as real sets ship them);
    empty unless every page has one."""
    types: dict[str, str] = {}
    for name in names:
        try:
            kind = json.loads((images / name).with_suffix(".json").read_text(encoding="utf-8")).get(
                "page_type"
            )
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            return {}
        if not isinstance(kind, str):
            return {}
        types[name] = kind
    return types
