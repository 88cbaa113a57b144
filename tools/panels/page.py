"""The page object that the panel and balloon steps work on, with timings and an optional debug trace.

Coordinates: the page is scaled to at most `WORK_HEIGHT` px tall and deskewed (the "work" image, `gray`),
binarised, and the ink mask pooled by `pool` to about `LAYOUT_HEIGHT` px tall: every box the steps find
is in those mask coordinates. `Page.to_page()` maps them back to the original page pixels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

WORK_HEIGHT = 1600  # pages are binarised at most this tall
LAYOUT_HEIGHT = 800  # and analysed at about this height (the ink mask is pooled down to it)

Box = tuple[int, int, int, int]  # x, y, w, h
F = TypeVar("F", bound=Callable[..., Any])


def within(box: Box, outer: Box) -> bool:
    """True when `box` lies wholly inside `outer`."""
    x, y, w, h = outer
    return x <= box[0] and y <= box[1] and box[0] + box[2] <= x + w and box[1] + box[3] <= y + h


@dataclass(frozen=True)
class PanelBox:
    """A detected panel in page pixels: its box, outline polygon, and how it was found."""

    box: Box
    polygon: list[tuple[int, int]]
    frameless: bool = False
    inset_of: int | None = None


@dataclass(frozen=True)
class BalloonBox:
    """A detected balloon or caption in page pixels (body box, no tail) and the panel it belongs to."""

    box: Box
    kind: str  # "speech" | "caption"
    panel: int | None
    tail: tuple[int, int] | None = None
    polygon: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Trace:
    """Saves one image per step into a folder (`NN-step.png`) when debugging a page."""

    folder: Path
    count: int = 0

    def save(self, name: str, image: np.ndarray) -> None:
        import cv2

        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        cv2.imwrite(str(self.folder / f"{self.count:02d}-{name}.png"), image)


@dataclass
class Cell:
    """A panel candidate in work coordinates."""

    box: Box
    frameless: bool = False
    inset_of: int | None = None
    drawn: bool = False  # its frame is a drawn line (not only a painted edge)


@dataclass
class Blob:
    """A balloon candidate in work coordinates."""

    box: Box
    kind: str
    tail: tuple[int, int] | None
    panel: int | None = None
    contour: np.ndarray | None = None


@dataclass
class Page:
    """State shared by the steps: images at each stage, the panels and balloons found, timings."""

    original: np.ndarray
    rtl: bool = False
    trace: Trace | None = None
    scale: float = 1.0
    gray: np.ndarray | None = None
    ab: np.ndarray | None = None  # Lab a*, b* of a colour page (work image at half size); None: gray
    angle: float = 0.0
    to_work: np.ndarray | None = None  # 2x3 affine: scaled page -> deskewed work image
    pool: int = 1  # mask pixels are pool x pool work pixels
    ink: np.ndarray | None = None  # uint8 0/1, 1 = ink (mask coordinates)
    paper: np.ndarray | None = None  # uint8 0/1, 1 = as light as the paper (mask coordinates)
    clean: np.ndarray | None = None  # ink without specks
    dark: bool = False  # the page's background is dark (black gutters): layout from content only
    content: np.ndarray | None = None  # uint8 0/1, 1 = tone or colour, not paper (mask coordinates)
    filled: np.ndarray | None = None  # clean ink or content, enclosed areas filled: the layout mask
    cells: list[Cell] = field(default_factory=list)
    blobs: list[Blob] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds per step
    cpu_timings: dict[str, float] = field(default_factory=dict)  # CPU seconds of this process per step

    @property
    def height(self) -> int:
        """Height of the ink mask (of the work image before binarising)."""
        image = self.ink if self.ink is not None else self.gray
        assert image is not None
        return int(image.shape[0])

    @property
    def width(self) -> int:
        image = self.ink if self.ink is not None else self.gray
        assert image is not None
        return int(image.shape[1])

    def debug(self, name: str, render: Callable[[], np.ndarray]) -> None:
        """Save a step's picture when tracing (the picture is only drawn then)."""
        if self.trace is not None:
            self.trace.save(name, render())

    def to_page(self, points: np.ndarray) -> np.ndarray:
        """Map mask points (N x 2) back to original page pixels."""
        import cv2

        pts: np.ndarray = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2) * self.pool
        if self.to_work is not None:
            pts = cv2.transform(pts, cv2.invertAffineTransform(self.to_work))
        return np.asarray(pts).reshape(-1, 2) / self.scale

    def box_to_page(self, box: Box) -> tuple[Box, list[tuple[int, int]]]:
        """A work box as an original-page box (bounding the mapped corners) and its 4-point polygon."""
        x, y, w, h = box
        corners = self.to_page(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]))
        oh, ow = self.original.shape[:2]
        x0, y0 = np.clip(corners.min(axis=0), 0, [ow, oh])
        x1, y1 = np.clip(corners.max(axis=0), 0, [ow, oh])
        polygon = [(int(round(px)), int(round(py))) for px, py in corners]
        return (int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))), polygon


def step(name: str) -> Callable[[F], F]:
    """Mark a function of a Page as a named step: timed into `page.timings` and `page.cpu_timings`."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def run(page: Page, *args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(page, *args, **kwargs)
            finally:
                page.timings[name] = page.timings.get(name, 0.0) + time.perf_counter() - start
                page.cpu_timings[name] = page.cpu_timings.get(name, 0.0) + time.process_time() - cpu

        return run  # type: ignore[return-value]

    return decorate
