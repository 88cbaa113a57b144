"""Page geometry: a Bonelli page (16×21 cm) at a DPI, its margins, gutters, tiers and panel boxes."""

from __future__ import annotations

from dataclasses import dataclass

from tools.comic_script import PagePlan, PanelSpec

PAGE_MM = (160.0, 210.0)
MARGIN_MM = {"top": 9.0, "bottom": 13.0, "side": 8.0}
GUTTER_MM = 3.0
BORDER_MM = 0.45
# Wide shots get wider panels, close-ups narrower ones (relative widths inside a tier).
SHOT_WIDTH = {
    "campo lunghissimo": 1.6,
    "campo lungo": 1.35,
    "figura intera": 1.0,
    "piano americano": 1.0,
    "mezza figura": 1.0,
    "primo piano": 0.9,
    "primissimo piano": 0.8,
    "dettaglio": 0.8,
}


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def size(self) -> tuple[int, int]:
        return self.w, self.h

    def contains(self, other: Box) -> bool:
        return (
            other.x >= self.x
            and other.y >= self.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def intersection(self, other: Box) -> int:
        """Area shared with `other` (0 when they do not overlap)."""
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(0, w) * max(0, h)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.w, self.h


def mm_to_px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def page_size(dpi: int) -> tuple[int, int]:
    """Pixel size of a 16×21 cm page at `dpi`."""
    return mm_to_px(PAGE_MM[0], dpi), mm_to_px(PAGE_MM[1], dpi)


@dataclass(frozen=True)
class PanelSlot:
    """A panel of the plan and the box it occupies on its page."""

    panel: PanelSpec
    box: Box
    tier: int


def _split(start: int, length: int, weights: list[float], gutter: int) -> list[tuple[int, int]]:
    """Cut `length` pixels into spans proportional to `weights`, `gutter` pixels apart."""
    usable = length - gutter * (len(weights) - 1)
    total = sum(weights)
    spans: list[tuple[int, int]] = []
    pos = start
    for i, weight in enumerate(weights):
        end = start + length if i == len(weights) - 1 else pos + round(usable * weight / total)
        spans.append((pos, end - pos))
        pos = end + gutter
    return spans


def text_room(panel: PanelSpec) -> float:
    """A wider share of its tier for a panel with much to say (up to 1.5× for 120+ characters of lettering), so
    that its text fits at a readable size instead of being cut."""
    chars = sum(len(b.text) for b in panel.balloons if b.kind != "sfx")
    return 1.0 + 0.35 * min(1.5, max(0.0, (chars - 30) / 60))


def layout_page(page: PagePlan, dpi: int) -> list[PanelSlot]:
    """Boxes of every panel of `page`, tier by tier, in reading order."""
    width, height = page_size(dpi)
    side, top = mm_to_px(MARGIN_MM["side"], dpi), mm_to_px(MARGIN_MM["top"], dpi)
    bottom, gutter = mm_to_px(MARGIN_MM["bottom"], dpi), mm_to_px(GUTTER_MM, dpi)
    tiers = _split(top, height - top - bottom, [1.0] * len(page.tiers), gutter)
    slots: list[PanelSlot] = []
    for t, (tier, (y, h)) in enumerate(zip(page.tiers, tiers, strict=True)):
        weights = [SHOT_WIDTH.get(p.shot, 1.0) * text_room(p) for p in tier.panels]
        for panel, (x, w) in zip(tier.panels, _split(side, width - 2 * side, weights, gutter), strict=True):
            slots.append(PanelSlot(panel=panel, box=Box(x, y, w, h), tier=t))
    return slots
