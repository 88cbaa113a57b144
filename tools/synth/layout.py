"""Bonelli page geometry: a 16×21 page, three tiers of one to three panels, and the rarer variants.

Variants: a frameless panel (art without a border, bleeding to its box), an inset (a small bordered panel
inside a bigger one, read right after it), and a splash page (one panel filling the live area).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PAGE_RATIO = 16 / 21  # width / height of a Bonelli book


class BoxEdges:
    """The `[x, y, w, h]` list and the far edges of anything with integer x, y, w, h fields."""

    x: int
    y: int
    w: int
    h: int

    @property
    def box(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h


@dataclass
class PanelBox(BoxEdges):
    """A panel's box in page pixels and how it is drawn."""

    x: int
    y: int
    w: int
    h: int
    tier: int
    frameless: bool = False
    inset_of: int | None = None  # index (reading order) of the panel this one is inset into


@dataclass
class PageLayout:
    """The panels of a page in reading order, with the page's drawing constants."""

    width: int
    height: int
    panels: list[PanelBox] = field(default_factory=list)
    border: int = 3
    gutter: int = 24
    splash: bool = False


@dataclass(frozen=True)
class LayoutOptions:
    """How often the variants appear (probabilities per page or per panel)."""

    frameless_p: float = 0.08
    inset_p: float = 0.08
    splash_p: float = 0.03


DEFAULT_LAYOUT = LayoutOptions()


def page_size(height: int) -> tuple[int, int]:
    """(width, height) of a Bonelli page `height` pixels tall."""
    return round(height * PAGE_RATIO), height


def plan_layout(rng: np.random.Generator, height: int, options: LayoutOptions = DEFAULT_LAYOUT) -> PageLayout:
    """A random Bonelli page: margins, three tiers (or a splash), panel widths, variants."""
    width, height = page_size(height)
    layout = PageLayout(width, height, border=max(2, round(height / 500)), gutter=round(height * 0.016))
    left, right = round(width * 0.07), width - round(width * 0.07)
    top, bottom = round(height * 0.065), height - round(height * 0.08)
    if rng.random() < options.splash_p:
        layout.splash = True
        layout.panels.append(PanelBox(left, top, right - left, bottom - top, tier=0))
        return layout
    for tier, (y0, y1) in enumerate(_split(rng, top, bottom, 3, layout.gutter, jitter=0.08, minimum=0.25)):
        count = int(rng.choice([1, 2, 3], p=[0.2, 0.45, 0.35]))
        for x0, x1 in _split(rng, left, right, count, layout.gutter, jitter=0.3, minimum=0.24):
            layout.panels.append(PanelBox(x0, y0, x1 - x0, y1 - y0, tier=tier))
    for panel in layout.panels:
        panel.frameless = bool(rng.random() < options.frameless_p)
    if rng.random() < options.inset_p:
        _add_inset(rng, layout)
    return layout


def _split(
    rng: np.random.Generator, start: int, end: int, count: int, gutter: int, jitter: float, minimum: float
) -> list[tuple[int, int]]:
    """Cut [start, end) into `count` spans separated by gutters, sizes jittered but each >= minimum share."""
    free = end - start - gutter * (count - 1)
    shares = 1 + rng.uniform(-jitter, jitter, size=count)
    shares = np.maximum(shares / shares.sum(), minimum if count > 1 else 1.0)
    shares = shares / shares.sum()
    spans, cursor = [], start
    for i, share in enumerate(shares):
        size = round(free * share) if i < count - 1 else end - cursor
        spans.append((cursor, cursor + size))
        cursor += size + gutter
    return spans


def _add_inset(rng: np.random.Generator, layout: PageLayout) -> None:
    """Put a small bordered panel in a corner of the widest framed panel (top- or bottom-right)."""
    hosts = [i for i, p in enumerate(layout.panels) if not p.frameless and p.w >= 0.4 * layout.width]
    if not hosts:
        return
    index = int(rng.choice(hosts))
    host = layout.panels[index]
    w, h = round(host.w * rng.uniform(0.32, 0.42)), round(host.h * rng.uniform(0.36, 0.46))
    margin = layout.gutter // 2 + layout.border
    x = host.right - margin - w
    y = host.y + margin if rng.random() < 0.5 else host.bottom - margin - h
    layout.panels.insert(index + 1, PanelBox(x, y, w, h, tier=host.tier, inset_of=index))
