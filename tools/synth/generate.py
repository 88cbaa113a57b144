"""Generate Bonelli-format pages with ground truth: `generate_volume(out_dir, pages=N, seed=S)`.

The story bank is read in order across pages (scene captions open scenes), so a volume reads as a
story. Everything is seeded: the same arguments give the same pixels and the same truth.json.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tools.atomic import atomic_path, write_text_atomic
from tools.synth.art import draw_backdrop, draw_figure, new_canvas
from tools.synth.balloons import DrawnBalloon, caption_size, draw_caption, draw_speech, speech_size
from tools.synth.degrade import DEGRADATIONS, PointMap, choose_degradations, degrade_page
from tools.synth.layout import DEFAULT_LAYOUT, LayoutOptions, PageLayout, PanelBox, plan_layout
from tools.synth.lettering import LetteredBlock, bonelli_caps, letter_block, lettering_font, normalised_text
from tools.synth.story import SCENES, TITLE, Beat, speakers

TRUTH_FILE = "truth.json"
GENERATOR_VERSION = 1


@dataclass
class StoryCursor:
    """Where the story bank is read from next; it wraps around at the end."""

    scene: int = 0
    beat: int = 0
    cycle: int = 0

    def peek(self) -> Beat:
        return SCENES[self.scene].beats[self.beat]

    def advance(self) -> None:
        self.beat += 1
        if self.beat >= len(SCENES[self.scene].beats):
            self.beat, self.scene = 0, self.scene + 1
            if self.scene >= len(SCENES):
                self.scene, self.cycle = 0, self.cycle + 1


@dataclass
class PageTruth:
    """Ground truth of one page (page pixels, reading order)."""

    panels: list[list[int]]
    balloons: list[dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Placed:
    """A balloon placed in a panel, waiting to be drawn once the figures are known."""

    beat: Beat
    block: LetteredBlock
    rect: tuple[int, int, int, int]


def _lettering_size(height: int) -> int:
    return max(10, round(height * 0.015))


def _capacity(panel: PanelBox, layout: PageLayout) -> int:
    if layout.splash:
        return 5
    share = panel.w / (layout.width * 0.86)
    return 1 if panel.inset_of is not None or share < 0.3 else 2 if share < 0.6 else 3


def _obstacles(layout: PageLayout, index: int) -> list[tuple[int, int, int, int]]:
    """Boxes inside panel `index` that its balloons must avoid (its insets, with their white ring)."""
    ring = layout.gutter // 2 + layout.border * 2
    return [
        (p.x - ring, p.y - ring, p.right + ring, p.bottom + ring)
        for p in layout.panels
        if p.inset_of == index
    ]


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_beats(
    panel: PanelBox, layout: PageLayout, cursor: StoryCursor, rng: np.random.Generator
) -> list[_Placed]:
    """Take the next beats that fit this panel (never crossing a scene change) and place them in rows."""
    font = lettering_font(_lettering_size(layout.height))
    pad = round(font.size * 0.45)
    margin = max(3 * layout.border, round(panel.w * 0.03))
    obstacles = _obstacles(layout, layout.panels.index(panel))
    limit = panel.y + round(panel.h * (0.8 if layout.splash else 0.62))
    placed: list[_Placed] = []
    scene, row_y, x = cursor.scene, panel.y + margin, panel.x + margin
    row_bottom = row_y
    speech_count = 0
    while speech_count < _capacity(panel, layout) and cursor.scene == scene:
        beat = cursor.peek()
        if beat.speaker is None:
            if placed:
                break
            block = letter_block(bonelli_caps(beat.text), font, panel.w * 0.86 - 2 * pad, aspect=5.0)
            w, h = caption_size(block, pad)
            if h > 0.4 * panel.h:  # no room: the scene opens in the next panel
                break
            rect = (panel.x, panel.y, panel.x + w, panel.y + h)
            row_y = row_bottom = rect[3] + margin // 2
        else:
            inner = panel.w - 2 * margin
            block = letter_block(bonelli_caps(beat.text), font, (inner - 2 * pad) / 1.3)
            w, h = speech_size(block, pad)
            fitted = _fit_in_row(panel, margin, x, row_y, row_bottom, w, h, rng, obstacles)
            if fitted is None or fitted[3] > limit and (placed or fitted[3] > panel.y + panel.h * 0.85):
                break
            rect = fitted
            x, row_bottom = rect[2] + margin // 2, max(row_bottom, rect[3])
            if rect[1] >= row_bottom - h:  # a new row was opened
                row_y = rect[1]
            speech_count += 1
        placed.append(_Placed(beat, block, rect))
        cursor.advance()
    return placed


def _fit_in_row(
    panel: PanelBox,
    margin: int,
    x: int,
    row_y: int,
    row_bottom: int,
    w: int,
    h: int,
    rng: np.random.Generator,
    obstacles: Sequence[tuple[int, int, int, int]],
) -> tuple[int, int, int, int] | None:
    """Next to the previous balloon (a little lower), else at the start of a new row below all others."""
    right = panel.right - margin
    candidates = []
    if x > panel.x + margin and x + w <= right:
        dy = round(h * rng.uniform(0.1, 0.3))
        candidates.append((x, row_y + dy))
    start = panel.x + margin
    room = right - start - w
    if room >= 0:
        y = row_bottom + (margin // 2 if row_bottom > panel.y + margin else 0)
        candidates.append((start + round(rng.uniform(0, min(room, panel.w * 0.12))), y))
    for cx, cy in candidates:
        rect = (cx, cy, cx + w, cy + h)
        if rect[3] < panel.bottom - margin and not any(_overlaps(rect, o) for o in obstacles):
            return rect
    return None


@dataclass
class _PanelPlan:
    """A drawn panel waiting for its balloons: what it says and where its speakers' heads are."""

    index: int
    placed: list[_Placed]
    heads: dict[str, tuple[int, int]]


def _draw_panel(
    page: Image.Image,
    layout: PageLayout,
    index: int,
    setting: str,
    cursor: StoryCursor,
    rng: np.random.Generator,
) -> _PanelPlan:
    """Backdrop, figures and frame of one panel (balloons come later, over every panel)."""
    panel = layout.panels[index]
    placed = _place_beats(panel, layout, cursor, rng)
    cast = list(dict.fromkeys(p.beat.speaker for p in placed if p.beat.speaker))
    canvas = new_canvas(panel.w, panel.h, rng, max(2, layout.border - 1))
    draw_backdrop(canvas, setting, panel.frameless)
    heads = _draw_cast(canvas, cast, placed, panel, rng)
    if panel.inset_of is not None:
        ring = layout.gutter // 2
        ImageDraw.Draw(page).rectangle(
            [panel.x - ring, panel.y - ring, panel.right + ring, panel.bottom + ring], fill=255
        )
    page.paste(canvas.image, (panel.x, panel.y))
    if not panel.frameless:
        ImageDraw.Draw(page).rectangle(
            [panel.x, panel.y, panel.right - 1, panel.bottom - 1], outline=0, width=layout.border
        )
    return _PanelPlan(index, placed, {n: (panel.x + x, panel.y + y) for n, (x, y) in heads.items()})


def _letter_panel(page: Image.Image, layout: PageLayout, plan: _PanelPlan) -> list[DrawnBalloon]:
    """Draw a panel's captions and balloons; tails stay inside the panel and off its insets."""
    panel, stroke = layout.panels[plan.index], layout.border
    margin = 3 * stroke
    bounds = (panel.x + margin, panel.y + margin, panel.right - margin, panel.bottom - margin)
    avoid = _obstacles(layout, plan.index)
    font = lettering_font(_lettering_size(layout.height))
    drawn = []
    for item in plan.placed:
        text = normalised_text(item.beat.text)
        if item.beat.speaker is None:
            bbox = draw_caption(page, item.rect, item.block, font, stroke)
            drawn.append(DrawnBalloon(bbox, "caption", item.block.lines, text, None, None, plan.index))
        else:
            target = plan.heads[item.beat.speaker]
            bbox, tail = draw_speech(page, item.rect, item.block, font, stroke, target, bounds, avoid)
            drawn.append(
                DrawnBalloon(bbox, "speech", item.block.lines, text, item.beat.speaker, tail, plan.index)
            )
    return drawn


def _draw_cast(
    canvas: Any, cast: list[str], placed: list[_Placed], panel: PanelBox, rng: np.random.Generator
) -> dict[str, tuple[int, int]]:
    """Stand the speakers left to right in order of speaking, their heads below the balloons."""
    lowest = max((p.rect[3] - panel.y for p in placed), default=0)
    head_top = int(min(max(lowest + panel.h * 0.08, panel.h * 0.3), panel.h * 0.72))
    feet = round(panel.h * (0.95 if rng.random() < 0.5 else 1.3))
    tallest = round(7 * panel.w / (3.2 * (len(cast) + 1)))  # heads no wider than the room each figure has
    height = max(20, min(feet - head_top, tallest))
    feet = head_top + height
    heads = {}
    for i, name in enumerate(cast):
        cx = round(panel.w * (i + 1) / (len(cast) + 1) + rng.uniform(-0.05, 0.05) * panel.w)
        heads[name] = draw_figure(canvas, name, cx, feet, height)
    return heads


def _page_number(page: Image.Image, layout: PageLayout, number: int) -> None:
    font = lettering_font(max(8, round(layout.height * 0.013)), bold=False)
    x = round(layout.width * (0.93 if number % 2 else 0.07))
    y = round(layout.height * 0.955)
    ImageDraw.Draw(page).text((x, y), str(number), font=font, fill=0, anchor="mm")


def render_page(
    number: int,
    seed: int,
    cursor: StoryCursor,
    height: int = 1600,
    layout_options: LayoutOptions = DEFAULT_LAYOUT,
    degrade: Sequence[str] = (),
) -> tuple[Image.Image, PageTruth]:
    """Draw page `number` (1-based) from the story cursor; its randomness depends only on (seed, number)."""
    rng = np.random.default_rng([seed, number])
    layout = plan_layout(rng, height, layout_options)
    page = Image.new("L", (layout.width, layout.height), 255)
    scene_at_start, balloons = cursor.scene, []
    plans = [
        _draw_panel(page, layout, i, SCENES[cursor.scene].setting, cursor, rng)
        for i in range(len(layout.panels))
    ]
    for plan in plans:
        balloons += _letter_panel(page, layout, plan)
    _page_number(page, layout, number)
    steps = choose_degradations(rng, degrade) if degrade else []
    page, mapping = degrade_page(page, steps, rng)
    truth = PageTruth(
        panels=[_map_box(p.box, mapping, page.size) for p in layout.panels],
        balloons=[_balloon_truth(b, mapping, page.size) for b in balloons],
        info={
            "scene": scene_at_start,
            "splash": layout.splash,
            "frameless": [i for i, p in enumerate(layout.panels) if p.frameless],
            "insets": {str(i): p.inset_of for i, p in enumerate(layout.panels) if p.inset_of is not None},
            "tiers": [p.tier for p in layout.panels],
            "degradations": [s.as_json() for s in steps],
        },
    )
    return page, truth


def _map_box(box: Sequence[int], mapping: PointMap, size: tuple[int, int]) -> list[int]:
    x, y, w, h = box
    corners = [mapping(px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h))]
    x0 = max(0, round(min(c[0] for c in corners)))
    y0 = max(0, round(min(c[1] for c in corners)))
    x1 = min(size[0], round(max(c[0] for c in corners)))
    y1 = min(size[1], round(max(c[1] for c in corners)))
    return [x0, y0, x1 - x0, y1 - y0]


def _balloon_truth(b: DrawnBalloon, mapping: PointMap, size: tuple[int, int]) -> dict[str, Any]:
    tail = [round(v) for v in mapping(*b.tail)] if b.tail else None
    return {
        "bbox": _map_box(b.bbox, mapping, size),
        "panel": b.panel,
        "kind": b.kind,
        "lines": b.lines,
        "text": b.text,
        "speaker": b.speaker,
        "tail": tail,
    }


def generate_volume(
    out_dir: Path | str,
    pages: int = 12,
    seed: int = 0,
    degrade: bool | Sequence[str] = False,
    *,
    height: int = 1600,
    layout_options: LayoutOptions = DEFAULT_LAYOUT,
    image_format: str = "png",
) -> Path:
    """Write `pages` generated pages and truth.json into `out_dir`; returns the truth.json path.

    `degrade=True` applies a seeded mix of every scanner degradation; a list picks some of them.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps = tuple(DEGRADATIONS) if degrade is True else tuple(degrade or ())
    cursor = StoryCursor()
    digits = max(3, len(str(pages)))
    truth: dict[str, Any] = {"pages": {}, "balloons": {}}
    info: dict[str, Any] = {}
    for number in range(1, pages + 1):
        image, page_truth = render_page(number, seed, cursor, height, layout_options, steps)
        name = f"page_{number:0{digits}d}.{image_format}"
        save_page_image(out / name, image, image_format)
        truth["pages"][name] = page_truth.panels
        truth["balloons"][name] = page_truth.balloons
        info[name] = page_truth.info
    truth["meta"] = _meta(seed, pages, steps, height, image, info)
    path = out / TRUTH_FILE
    write_text_atomic(path, json.dumps(truth, ensure_ascii=False, indent=1))
    return path


def save_page_image(path: Path, image: Image.Image, image_format: str) -> None:
    """Write a generated page atomically in `image_format` (png, jpg/jpeg, or any format PIL knows)."""
    options = (
        {"compress_level": 3}
        if image_format == "png"
        else {"quality": 92}
        if image_format in ("jpg", "jpeg")
        else {}
    )
    with atomic_path(path) as tmp:
        image.save(tmp, format=image_format.upper().replace("JPG", "JPEG"), **options)


def _meta(
    seed: int, pages: int, steps: Sequence[str], height: int, image: Image.Image, info: dict[str, Any]
) -> dict[str, Any]:
    return {
        "generator": "nuvola synth",
        "version": GENERATOR_VERSION,
        "title": TITLE,
        "seed": seed,
        "pages": pages,
        "degrade": list(steps),
        "width": image.width,
        "height": height,
        "speakers": speakers(),
        "boxes": "[x, y, w, h] in page pixels from the top-left; panels and balloons in reading order",
        "balloon_bbox": "the balloon body with its outline, without the tail; tail = tip of the tail",
        "lines": "lettered lines as drawn (Bonelli: E' for È, hyphenated words)",
        "text": "normalised text: upper case, real accented capitals, no hyphenation, single spaces",
        "page_info": info,
    }
