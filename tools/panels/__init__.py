"""Panels and balloons of a comic page, found with OpenCV: a small facade over the named steps.

`analyse_page(image)` runs the panel steps (tools/panels/steps.py) then the balloon steps
(tools/panels/balloons.py) on a `Page` and returns boxes in page pixels, in reading order.
Pass `debug_dir` to save one picture per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools.panels.order import reading_order
from tools.panels.page import BalloonBox, Page, PanelBox, Trace

__all__ = ["BalloonBox", "PageAnalysis", "PanelBox", "analyse_page", "extract_panels", "reading_order"]


@dataclass
class PageAnalysis:
    """What a page holds: panels and balloons (page pixels, reading order), the skew, step timings."""

    width: int
    height: int
    panels: list[PanelBox]
    balloons: list[BalloonBox]
    angle: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    cpu_timings: dict[str, float] = field(default_factory=dict)


def _as_array(image: Any) -> np.ndarray:
    """A numpy image (gray, RGB or RGBA) from a numpy array or a PIL image."""
    if isinstance(image, np.ndarray):
        return image
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return np.asarray(image)


def analyse_page(
    image: Any, *, rtl: bool = False, balloons: bool = True, debug_dir: Path | str | None = None
) -> PageAnalysis:
    """Find the panels (and balloons) of a page image (numpy array or PIL image)."""
    from tools.panels.balloons import BALLOON_STEPS
    from tools.panels.steps import PANEL_STEPS

    array = _as_array(image)
    page = Page(array, rtl=rtl, trace=Trace(Path(debug_dir)) if debug_dir else None)
    for run in (*PANEL_STEPS, *(BALLOON_STEPS if balloons else ())):
        run(page)
    panels = []
    for cell in page.cells:
        box, polygon = page.box_to_page(cell.box)
        panels.append(PanelBox(box, polygon, cell.frameless, cell.inset_of))
    found = []
    for blob in page.blobs:
        box, polygon = page.box_to_page(blob.box)
        tail = tuple(int(round(v)) for v in page.to_page(np.array([blob.tail]))[0]) if blob.tail else None
        found.append(BalloonBox(box, blob.kind, blob.panel, tail, polygon))  # type: ignore[arg-type]
    return PageAnalysis(
        array.shape[1], array.shape[0], panels, found, page.angle, dict(page.timings), dict(page.cpu_timings)
    )


def extract_panels(image: Any, *, rtl: bool = False, debug_dir: Path | str | None = None) -> list[PanelBox]:
    """Only the panels of a page, in reading order."""
    return analyse_page(image, rtl=rtl, balloons=False, debug_dir=debug_dir).panels
