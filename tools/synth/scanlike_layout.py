"""Page plans for scan-like pages: Bonelli pages, Franco-Belgian pages, strips and splash pages, with the
variants real pages have: hand-inked and broken frames, frameless and bleed panels, panels that overlap a
neighbour, insets, and figures that break out of their frame.

Sizes are physical (centimetres) and the pixel size follows from the page's dpi, so stroke widths,
gutters and lettering scale the way they do on a scanner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tools.synth.layout import BoxEdges, _split

PAGE_KINDS = ("bonelli", "franco-belgian", "strip", "splash")
FORMATS_CM = {
    "bonelli": (16.0, 21.0),
    "franco-belgian": (22.0, 29.7),
    "strip": (26.0, 8.5),
    "splash": (16.0, 21.0),
}
DPIS = (150, 200, 300, 400, 600)
FRAME_STYLES = ("inked", "broken", "frameless", "bleed")


@dataclass
class ScanPanel(BoxEdges):
    """A planned panel: its box (page pixels), how its frame is drawn, and what breaks out of it."""

    x: int
    y: int
    w: int
    h: int
    style: str = "inked"  # inked | broken | frameless | bleed
    inset_of: int | None = None
    overlaps: bool = False  # drawn over a neighbour's corner
    breakout: bool = False  # a figure's head pokes out over the top frame


@dataclass
class ScanLayout:
    """A planned page: kind, dpi, size in pixels, drawing constants and panels in reading order."""

    kind: str
    dpi: int
    width: int
    height: int
    stroke: int
    gutter: int
    panels: list[ScanPanel] = field(default_factory=list)

    def px(self, cm: float) -> int:
        """Centimetres to pixels at this page's dpi."""
        return max(1, round(cm / 2.54 * self.dpi))


def plan_scan_layout(
    rng: np.random.Generator, kinds: tuple[str, ...] = PAGE_KINDS, dpis: tuple[int, ...] = DPIS
) -> ScanLayout:
    """A random page of one of `kinds` at one of `dpis`, with its panel variants."""
    weights = np.array(
        [{"bonelli": 4, "franco-belgian": 3, "strip": 3, "splash": 1}[k] for k in kinds], float
    )
    kind = str(rng.choice(list(kinds), p=weights / weights.sum()))
    dpi = int(rng.choice(list(dpis)))
    w_cm, h_cm = FORMATS_CM[kind]
    layout = ScanLayout(kind, dpi, round(w_cm / 2.54 * dpi), round(h_cm / 2.54 * dpi), 1, 1)
    layout.stroke = max(1, layout.px(rng.uniform(0.035, 0.07)))
    layout.gutter = layout.px(rng.uniform(0.25, 0.5) if kind != "franco-belgian" else rng.uniform(0.2, 0.35))
    _PLANNERS[kind](rng, layout)
    _variants(rng, layout)
    return layout


def _bonelli(rng: np.random.Generator, layout: ScanLayout) -> None:
    _tiers(rng, layout, margins=(0.07, 0.065, 0.08), tiers=3, counts=([1, 2, 3], [0.2, 0.45, 0.35]))


def _franco_belgian(rng: np.random.Generator, layout: ScanLayout) -> None:
    _tiers(rng, layout, margins=(0.06, 0.05, 0.05), tiers=4, counts=([1, 2, 3, 4], [0.15, 0.4, 0.35, 0.1]))


def _strip(rng: np.random.Generator, layout: ScanLayout) -> None:
    count = int(rng.choice([3, 4, 5], p=[0.5, 0.35, 0.15]))
    top = round(layout.height * (0.2 if rng.random() < 0.4 else 0.05))  # room for a title above
    bottom = layout.height - round(layout.height * 0.05)
    left, right = round(layout.width * 0.02), layout.width - round(layout.width * 0.02)
    for x0, x1 in _split(rng, left, right, count, layout.gutter, jitter=0.25, minimum=0.15):
        layout.panels.append(ScanPanel(x0, top, x1 - x0, bottom - top))


def _splash(rng: np.random.Generator, layout: ScanLayout) -> None:
    mx, my = round(layout.width * 0.07), round(layout.height * 0.065)
    layout.panels.append(ScanPanel(mx, my, layout.width - 2 * mx, layout.height - 2 * my))


def _tiers(
    rng: np.random.Generator,
    layout: ScanLayout,
    margins: tuple[float, float, float],
    tiers: int,
    counts: tuple[list[int], list[float]],
) -> None:
    side, top_m, bottom_m = margins
    left, right = round(layout.width * side), layout.width - round(layout.width * side)
    top, bottom = round(layout.height * top_m), layout.height - round(layout.height * bottom_m)
    for y0, y1 in _split(rng, top, bottom, tiers, layout.gutter, jitter=0.1, minimum=0.6 / tiers):
        count = int(rng.choice(counts[0], p=counts[1]))
        for x0, x1 in _split(rng, left, right, count, layout.gutter, jitter=0.3, minimum=0.18):
            layout.panels.append(ScanPanel(x0, y0, x1 - x0, y1 - y0))


_PLANNERS = {"bonelli": _bonelli, "franco-belgian": _franco_belgian, "strip": _strip, "splash": _splash}


def _variants(rng: np.random.Generator, layout: ScanLayout) -> None:
    """Frame styles, bleeds to the page edge, overlaps, insets and break-outs."""
    for panel in layout.panels:
        panel.style = str(rng.choice(["inked", "broken", "frameless"], p=[0.62, 0.28, 0.1]))
        if rng.random() < 0.12 and _bleed(layout, panel):
            panel.style = "bleed"
        panel.breakout = panel.style in ("inked", "broken") and rng.random() < 0.2
    _overlap(rng, layout)
    if layout.kind != "strip" and rng.random() < 0.15:
        _inset(rng, layout)


def _bleed(layout: ScanLayout, panel: ScanPanel) -> bool:
    """Stretch a panel that touches the live area's edge out to the page edge; False if it touches none."""
    near = 0.1
    moved = False
    if panel.x < near * layout.width:
        panel.w, panel.x, moved = panel.right, 0, True
    if layout.width - panel.right < near * layout.width:
        panel.w, moved = layout.width - panel.x, True
    if panel.y < near * layout.height:
        panel.h, panel.y, moved = panel.bottom, 0, True
    if layout.height - panel.bottom < near * layout.height:
        panel.h, moved = layout.height - panel.y, True
    return moved


def _overlap(rng: np.random.Generator, layout: ScanLayout) -> None:
    """Sometimes a framed panel reaches over the gutter into its right-hand neighbour."""
    for left, right in zip(layout.panels, layout.panels[1:], strict=False):
        same_tier = abs(left.y - right.y) < layout.gutter and right.x > left.x
        framed = left.style in ("inked", "broken") and right.style in ("inked", "broken")
        if same_tier and framed and rng.random() < 0.1:
            reach = layout.gutter + round(right.w * rng.uniform(0.05, 0.12))
            left.w += reach
            left.overlaps = True


def _inset(rng: np.random.Generator, layout: ScanLayout) -> None:
    """A small framed panel in a corner of a wide framed one, read right after it."""
    hosts = [i for i, p in enumerate(layout.panels) if p.style == "inked" and p.w >= 0.4 * layout.width]
    if not hosts:
        return
    index = int(rng.choice(hosts))
    host = layout.panels[index]
    w, h = round(host.w * rng.uniform(0.28, 0.38)), round(host.h * rng.uniform(0.34, 0.44))
    margin = layout.gutter // 2 + 2 * layout.stroke
    x = host.right - margin - w
    y = host.y + margin if rng.random() < 0.5 else host.bottom - margin - h
    layout.panels.insert(index + 1, ScanPanel(x, y, w, h, "inked", inset_of=index))
