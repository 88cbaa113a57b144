"""Panel (and balloon) detection scores against a ground-truth file, for any folder of pages.

GT format: `{"pages": {"relative/path.png": [[x, y, w, h], ...]}}` with boxes in reading order and paths
relative to the images folder; other top-level keys are ignored, except an optional `"balloons"` map in
the format that `nuvola synth` writes (`{"page.png": [{"bbox": [x, y, w, h], ...}]}`), which adds
balloon scores.

Matching: per page, a one-to-one assignment maximising IoU (Hungarian); a pair counts at IoU >= 0.5.
Reading order: a page is in order when its matched panels come out in the GT order and none is missed;
`order_pairs` is the share of matched panel pairs whose relative order is right.
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

    @property
    def reading_order(self) -> float:
        return self.pages_in_order / self.pages if self.pages else 0.0

    @property
    def order_pairs(self) -> float:
        return self.pairs_in_order / self.pairs if self.pairs else 1.0

    def add_page(self, name: str, gt: Sequence[Box], pred: Sequence[Box]) -> None:
        pairs = match_boxes(gt, pred)
        self.add(len(gt), len(pred), len(pairs))
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

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "reading_order": self.reading_order, "order_pairs": self.order_pairs}


@dataclass
class GroundTruth:
    """Panel boxes per page (reading order) and, when present, balloon boxes per page."""

    pages: dict[str, list[list[float]]]
    balloons: dict[str, list[list[float]]] | None = None


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
    return GroundTruth({k: [list(map(float, b)) for b in v] for k, v in pages.items()}, parsed)


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

    def as_dict(self) -> dict[str, Any]:
        out = self.panels.as_dict()
        out["failed_pages"] = self.panels.failed_pages
        if self.balloons is not None:
            out["balloons"] = self.balloons.as_dict()
        out["seconds_per_page"] = self.seconds_per_page
        out["errors"] = self.errors
        return out


def evaluate_folder(
    gt_path: Path | str,
    images_dir: Path | str,
    *,
    rtl: bool = False,
    on_page: Callable[[str], None] | None = None,
) -> EvalReport:
    """Detect panels (and balloons if the GT has them) on every GT page and score them."""
    from PIL import Image

    from tools.ingest.decode import decode_image
    from tools.panels import analyse_page

    truth = load_ground_truth(gt_path)
    images = Path(images_dir)
    panels, balloons = PanelScore(), DetectionScore() if truth.balloons is not None else None
    errors: dict[str, str] = {}
    elapsed = 0.0
    for name, gt_boxes in truth.pages.items():
        try:
            image: Image.Image = decode_image((images / name).read_bytes(), name)
        except (OSError, InputFileError) as exc:
            errors[name] = str(getattr(exc, "cause", exc))
            panels.add_page(name, gt_boxes, [])
            continue
        start = time.perf_counter()
        found = analyse_page(image, rtl=rtl, balloons=balloons is not None)
        elapsed += time.perf_counter() - start
        panels.add_page(name, gt_boxes, [p.box for p in found.panels])
        if balloons is not None and truth.balloons is not None:
            gt_b = truth.balloons.get(name, [])
            balloons.add(
                len(gt_b), len(found.balloons), len(match_boxes(gt_b, [b.box for b in found.balloons]))
            )
        if on_page:
            on_page(name)
    done = max(1, panels.pages - len(errors))
    return EvalReport(panels, balloons, elapsed / done, errors)
