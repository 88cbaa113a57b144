"""Scan-like generated pages (`nuvola synth DIR --scan-like`), for tuning and training only.

They look more like scans than the default pages: hand-inked wobbly and broken frames, frameless and
bleed panels, panels overlapping a neighbour, insets, figures breaking out of their frame, dense hatching
and solid blacks touching frames, screen tones, balloons crossing gutters and frames, joined, outline-less
and tinted balloons, on Bonelli and Franco-Belgian pages, strips and splash pages at 150-600 dpi, then
yellowed paper, show-through, skew, warp, blur, noise and JPEG. Their scores are reported as "generated",
never as the product's accuracy on real pages. The ground truth (truth.json) has the usual panels and
balloons plus `page_types` (the page kind) and, per page in meta, how each panel and balloon was drawn.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tools.atomic import write_text_atomic
from tools.synth.art import INK, PAPER, Canvas, draw_backdrop, draw_figure, hatch, new_canvas
from tools.synth.balloons import _letter, caption_size, draw_caption, draw_speech, speech_size
from tools.synth.generate import TRUTH_FILE, StoryCursor, save_page_image
from tools.synth.lettering import LetteredBlock, bonelli_caps, letter_block, lettering_font, normalised_text
from tools.synth.scanlike_degrade import choose_scan_degradations, scan_degrade
from tools.synth.scanlike_layout import DPIS, PAGE_KINDS, ScanLayout, ScanPanel, plan_scan_layout
from tools.synth.story import SETTINGS, TITLE

SCAN_VERSION = 1
MAX_SIDE = 6000  # pixels: a page that would be bigger at the drawn dpi is drawn at a lower one
BALLOON_STYLES = ("outlined", "outline-less", "tinted", "joined")


@dataclass
class ScanPageTruth:
    """Ground truth of one scan-like page (page pixels, reading order) and how it was drawn."""

    panels: list[list[int]]
    balloons: list[dict[str, Any]]
    kind: str
    info: dict[str, Any]


def render_scan_page(
    number: int,
    seed: int,
    cursor: StoryCursor,
    kinds: tuple[str, ...] = PAGE_KINDS,
    dpis: tuple[int, ...] = DPIS,
    degrade: bool = True,
) -> tuple[Image.Image, ScanPageTruth]:
    """Draw scan-like page `number`; its randomness depends only on (seed, number)."""
    rng = np.random.default_rng([seed, number, 7919])
    layout = _fit_dpi(rng, kinds, dpis)
    page = Image.new("L", (layout.width, layout.height), PAPER)
    if layout.panels[0].y > 0.15 * layout.height:
        _title(page, layout)
    heads: dict[int, dict[str, tuple[int, int]]] = {}
    beats = {i: _take_beats(layout, p, cursor, rng) for i, p in enumerate(layout.panels)}
    for i in sorted(range(len(layout.panels)), key=lambda i: layout.panels[i].overlaps):
        heads[i] = _draw_panel(page, layout, i, [b for b, _ in beats[i]], rng)
    balloons = []
    for i in range(len(layout.panels)):
        balloons += _letter_panel(page, layout, i, beats[i], heads[i], rng)
    if layout.kind != "strip" and rng.random() < 0.6:
        _page_number(page, layout, number)
    steps = choose_scan_degradations(rng) if degrade else []
    back = _back_page(layout, rng) if any(s.name == "show_through" for s in steps) else None
    page, mapping = scan_degrade(page, steps, rng, back)
    truth = ScanPageTruth(
        panels=[_map_box(p.box, mapping, page.size) for p in layout.panels],
        balloons=[
            {**b, "bbox": _map_box(b["bbox"], mapping, page.size), "tail": _map_point(b["tail"], mapping)}
            for b in balloons
        ],
        kind=layout.kind,
        info={
            "kind": layout.kind,
            "dpi": layout.dpi,
            "frames": [p.style for p in layout.panels],
            "insets": {str(i): p.inset_of for i, p in enumerate(layout.panels) if p.inset_of is not None},
            "overlaps": [i for i, p in enumerate(layout.panels) if p.overlaps],
            "breakouts": [i for i, p in enumerate(layout.panels) if p.breakout],
            "degradations": [s.as_json() for s in steps],
        },
    )
    return page, truth


def _fit_dpi(rng: np.random.Generator, kinds: tuple[str, ...], dpis: tuple[int, ...]) -> ScanLayout:
    """A planned page, drawn at a lower dpi of `dpis` when it would be more than MAX_SIDE pixels."""
    layout = plan_scan_layout(rng, kinds, dpis)
    while max(layout.width, layout.height) > MAX_SIDE and layout.dpi > min(dpis):
        lower = max(d for d in dpis if d < layout.dpi)
        f = lower / layout.dpi
        for p in layout.panels:
            p.x, p.y, p.w, p.h = round(p.x * f), round(p.y * f), round(p.w * f), round(p.h * f)
        layout.width, layout.height = round(layout.width * f), round(layout.height * f)
        layout.stroke, layout.gutter = max(1, round(layout.stroke * f)), max(2, round(layout.gutter * f))
        layout.dpi = lower
    return layout


# ---- panels -------------------------------------------------------------------------------------


def _draw_panel(
    page: Image.Image, layout: ScanLayout, index: int, beats: list[Any], rng: np.random.Generator
) -> dict[str, tuple[int, int]]:
    """Art, figures and frame of one panel; returns where its speakers' heads are (page pixels)."""
    panel = layout.panels[index]
    canvas = new_canvas(panel.w, panel.h, rng, max(1, layout.stroke))
    if panel.style == "bleed":
        canvas.draw.rectangle([0, 0, panel.w, panel.h], fill=int(rng.integers(150, 215)))
    draw_backdrop(canvas, _setting(rng), panel.style == "frameless")
    _extras(canvas, rng)
    cast = list(dict.fromkeys(b.speaker for b in beats if b.speaker)) or (
        ["Tex"] if rng.random() < 0.5 else []
    )
    heads = _figures(canvas, cast, rng)
    if panel.inset_of is not None:
        ring = layout.gutter // 2
        ImageDraw.Draw(page).rectangle(
            [panel.x - ring, panel.y - ring, panel.right + ring, panel.bottom + ring], fill=PAPER
        )
    page.paste(canvas.image, (panel.x, panel.y))
    if panel.style in ("inked", "broken"):
        _inked_frame(page, panel, layout.stroke, rng, broken=panel.style == "broken")
    if panel.breakout:
        _breakout(page, panel, layout.stroke, rng)
    return {n: (panel.x + x, panel.y + y) for n, (x, y) in heads.items()}


def _setting(rng: np.random.Generator) -> str:
    return str(rng.choice(SETTINGS))


def _extras(c: Canvas, rng: np.random.Generator) -> None:
    """Dense cross-hatching, a solid black touching the frame, a screen-tone patch (each on some panels)."""
    if rng.random() < 0.4:  # dense hatching in a band along one side
        side = int(rng.integers(0, 2))
        x0, x1 = (
            (0, round(c.w * rng.uniform(0.2, 0.45)))
            if side == 0
            else (round(c.w * rng.uniform(0.55, 0.8)), c.w)
        )
        step = max(2, round(c.stroke * rng.uniform(1.8, 3)))
        hatch(c, x0, 0, x1, c.h, step=step, slope=0.6)
        hatch(c, x0, 0, x1, c.h, step=step + 1, slope=-0.6)
    if rng.random() < 0.35:  # a solid black shadow flush with the frame
        corner = [
            (0, c.h),
            (round(c.w * rng.uniform(0.2, 0.5)), c.h),
            (0, round(c.h * rng.uniform(0.3, 0.7))),
        ]
        if rng.random() < 0.5:
            corner = [(c.w - x, y) for x, y in corner]
        c.draw.polygon(corner, fill=INK)
    if rng.random() < 0.35:  # a flat grey that the halftone step turns into a screen tone
        x0, y0 = int(rng.integers(0, max(1, c.w // 2))), int(rng.integers(0, max(1, c.h // 3)))
        c.draw.rectangle([x0, y0, x0 + c.w // 3, y0 + c.h // 4], fill=int(rng.integers(140, 215)))


def _figures(c: Canvas, cast: list[str], rng: np.random.Generator) -> dict[str, tuple[int, int]]:
    height = max(20, round(min(c.h * 0.6, 2.2 * c.w / (len(cast) + 1))))
    feet = round(c.h * rng.uniform(0.92, 1.2))
    return {
        name: draw_figure(c, name, round(c.w * (i + 1) / (len(cast) + 1)), feet, height)
        for i, name in enumerate(cast)
    }


def _wobbly_line(
    draw: ImageDraw.ImageDraw,
    a: tuple[float, float],
    b: tuple[float, float],
    stroke: int,
    rng: np.random.Generator,
    gaps: int,
) -> None:
    """A hand-inked line from a to b: the pen wanders a little, its width varies, and `gaps` breaks."""
    length = math.dist(a, b)
    n = max(4, round(length / max(8, 6 * stroke)))
    t = np.linspace(0, 1, n + 1)
    wander = np.convolve(rng.normal(0, 0.6 * stroke, n + 5), np.ones(5) / 5, mode="valid")[: n + 1]
    nx, ny = -(b[1] - a[1]) / (length or 1), (b[0] - a[0]) / (length or 1)
    pts = [
        (a[0] + (b[0] - a[0]) * s + nx * d, a[1] + (b[1] - a[1]) * s + ny * d)
        for s, d in zip(t, wander, strict=True)
    ]
    skip: set[int] = set()
    for _ in range(gaps):
        start = int(rng.integers(1, max(2, n - 2)))
        skip |= set(range(start, start + max(1, round(n * rng.uniform(0.02, 0.06)))))
    for i in range(n):
        if i not in skip:
            width = max(1, round(stroke * rng.uniform(0.7, 1.3)))
            draw.line([pts[i], pts[i + 1]], fill=INK, width=width)


def _inked_frame(
    page: Image.Image, p: ScanPanel, stroke: int, rng: np.random.Generator, broken: bool
) -> None:
    """A hand-drawn frame: four wobbly sides that overshoot the corners a little; broken ones have gaps."""
    draw = ImageDraw.Draw(page)
    over = lambda: float(rng.uniform(0, 1.2 * stroke))  # noqa: E731
    x0, y0, x1, y1 = p.x + stroke / 2, p.y + stroke / 2, p.right - stroke / 2, p.bottom - stroke / 2
    sides = [
        ((x0 - over(), y0), (x1 + over(), y0)),
        ((x1, y0 - over()), (x1, y1 + over())),
        ((x1 + over(), y1), (x0 - over(), y1)),
        ((x0, y1 + over()), (x0, y0 - over())),
    ]
    for a, b in sides:
        _wobbly_line(draw, a, b, stroke, rng, gaps=int(rng.integers(1, 3)) if broken else 0)


def _breakout(page: Image.Image, p: ScanPanel, stroke: int, rng: np.random.Generator) -> None:
    """A head with a hat poking out over the top frame (its white face hides the frame line there)."""
    draw = ImageDraw.Draw(page)
    r = max(4, round(min(p.w, p.h) * rng.uniform(0.05, 0.08)))
    cx = p.x + round(p.w * rng.uniform(0.3, 0.7))
    cy = p.y + round(r * rng.uniform(-0.1, 0.3))
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=PAPER, outline=INK, width=stroke)
    draw.line([(cx - 1.5 * r, cy - 0.6 * r), (cx + 1.5 * r, cy - 0.6 * r)], fill=INK, width=stroke + 1)
    draw.rectangle(
        [cx - 0.7 * r, cy - 1.5 * r, cx + 0.7 * r, cy - 0.6 * r], fill=PAPER, outline=INK, width=stroke
    )


def _title(page: Image.Image, layout: ScanLayout) -> None:
    """A strip's title lettered above its panels (not a panel)."""
    font = lettering_font(max(10, round(layout.panels[0].y * 0.4)))
    ImageDraw.Draw(page).text(
        (layout.width // 2, layout.panels[0].y // 2), TITLE.upper(), font=font, fill=INK, anchor="mm"
    )


def _page_number(page: Image.Image, layout: ScanLayout, number: int) -> None:
    font = lettering_font(max(8, layout.px(0.25)), bold=False)
    x = round(layout.width * (0.93 if number % 2 else 0.07))
    ImageDraw.Draw(page).text(
        (x, round(layout.height * 0.965)), str(number), font=font, fill=INK, anchor="mm"
    )


def _back_page(layout: ScanLayout, rng: np.random.Generator) -> Image.Image:
    """The other side of the sheet: a few framed rectangles and strokes, as seen through the paper."""
    back = Image.new("L", (layout.width, layout.height), PAPER)
    draw = ImageDraw.Draw(back)
    for p in layout.panels:
        dx, dy = (int(v) for v in rng.integers(-layout.gutter, layout.gutter + 1, size=2))
        draw.rectangle(
            [p.x + dx, p.y + dy, p.right + dx, p.bottom + dy], outline=INK, width=3 * layout.stroke
        )
        for _ in range(6):
            y = int(rng.integers(p.y, max(p.y + 1, p.bottom)))
            draw.line(
                [(p.x + dx, y), (p.right + dx, y + int(rng.integers(-40, 40)))], fill=INK, width=layout.stroke
            )
    return back


# ---- balloons -----------------------------------------------------------------------------------


def _take_beats(
    layout: ScanLayout, panel: ScanPanel, cursor: StoryCursor, rng: np.random.Generator
) -> list[tuple[Any, LetteredBlock]]:
    """The next 0-2 beats for this panel (never crossing a scene), lettered to fit its width."""
    if panel.inset_of is not None or rng.random() < 0.15:
        return []
    font = _font(layout)
    wanted = int(rng.integers(1, 3)) if panel.w > 0.25 * layout.width or layout.kind == "strip" else 1
    out: list[tuple[Any, LetteredBlock]] = []
    scene = cursor.scene
    while len(out) < wanted and cursor.scene == scene:
        beat = cursor.peek()
        if beat.speaker is None and out:
            break
        width = panel.w * (0.8 if beat.speaker is None else 0.55)
        out.append(
            (
                beat,
                letter_block(
                    bonelli_caps(beat.text), font, width, aspect=5.0 if beat.speaker is None else 2.4
                ),
            )
        )
        cursor.advance()
    return out


def _font(layout: ScanLayout):  # type: ignore[no-untyped-def]
    return lettering_font(max(9, layout.px(0.3 if layout.kind != "strip" else 0.27)))


def _letter_panel(
    page: Image.Image,
    layout: ScanLayout,
    index: int,
    beats: list[tuple[Any, LetteredBlock]],
    heads: dict[str, tuple[int, int]],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Draw a panel's captions and balloons in a row along its top; some cross its frame into the gutter."""
    panel, stroke, font = layout.panels[index], layout.stroke, _font(layout)
    pad = round(font.size * 0.45)
    top = panel.y + 3 * stroke
    x, y, bottom = panel.x + 3 * stroke, top, top
    out: list[dict[str, Any]] = []
    for beat, block in beats:
        if beat.speaker is None:
            w, h = caption_size(block, pad)
            w, h = min(w, panel.w - 6 * stroke), min(h, panel.h // 2)
            box = draw_caption(page, (panel.x, panel.y, panel.x + w, panel.y + h), block, font, stroke)
            out.append(_balloon(box, index, "caption", block, beat, None, "outlined"))
            y = bottom = panel.y + h + 2 * stroke
            continue
        w, h = speech_size(block, pad)
        if x + w > panel.right - 3 * stroke:  # a new row below everything drawn so far
            x, y = panel.x + 3 * stroke, bottom + 2 * stroke
        if y + h > panel.bottom - 3 * stroke or w > panel.w:
            continue
        rect = (x, y, x + w, y + h)
        if y == top and rng.random() < 0.25:  # across the top frame into the gutter (or off the page)
            lift = max(0, y - round(h * rng.uniform(0.3, 0.55)) - 3 * stroke)
            rect = (x, lift, x + w, lift + h)
        style = str(rng.choice(BALLOON_STYLES, p=[0.55, 0.15, 0.15, 0.15]))
        drawn = _draw_balloon(
            page, rect, block, font, stroke, heads.get(beat.speaker), style, rng, index, beat
        )
        out += drawn
        x = max(b["bbox"][0] + b["bbox"][2] for b in drawn) + 2 * stroke
        bottom = max(bottom, *(b["bbox"][1] + b["bbox"][3] for b in drawn))
    return out


def _draw_balloon(
    page: Image.Image,
    rect: tuple[int, int, int, int],
    block: LetteredBlock,
    font: Any,
    stroke: int,
    target: tuple[int, int] | None,
    style: str,
    rng: np.random.Generator,
    panel: int,
    beat: Any,
) -> list[dict[str, Any]]:
    """One speech balloon in `style`; a joined balloon is its text split over two touching lobes."""
    if style == "joined" and len(block.lines) >= 2:
        half = len(block.lines) // 2
        first = LetteredBlock(
            block.lines[:half],
            max(block.widths[:half]),
            block.line_height * half,
            block.line_height,
            block.widths[:half],
        )
        rest = block.lines[half:]
        second = LetteredBlock(
            rest,
            max(block.widths[half:]),
            block.line_height * len(rest),
            block.line_height,
            block.widths[half:],
        )
        pad = round(font.size * 0.45)
        w1, h1 = speech_size(first, pad)
        w2, h2 = speech_size(second, pad)
        x0, y0 = rect[0], rect[1]
        r1 = (x0, y0, x0 + w1, y0 + h1)
        r2 = (
            x0 + round(0.5 * w1),
            y0 + round(0.7 * h1),
            x0 + round(0.5 * w1) + w2,
            y0 + round(0.7 * h1) + h2,
        )
        box1, _ = draw_speech(page, r1, first, font, stroke, None)
        box2, tail = draw_speech(page, r2, second, font, stroke, target)
        _letter(page, first, font, (r1[0] + r1[2]) / 2, (r1[1] + r1[3]) / 2 - first.height / 2)
        return [
            _balloon(box1, panel, "speech", first, beat, None, "joined"),
            _balloon(box2, panel, "speech", second, beat, tail, "joined"),
        ]
    if style == "tinted":
        return [_tinted(page, rect, block, font, stroke, int(rng.integers(195, 235)), panel, beat)]
    box, tail = draw_speech(page, rect, block, font, stroke if style == "outlined" else 0, target)
    return [_balloon(box, panel, "speech", block, beat, tail, style)]


def _tinted(
    page: Image.Image,
    rect: tuple[int, int, int, int],
    block: LetteredBlock,
    font: Any,
    stroke: int,
    tint: int,
    panel: int,
    beat: Any,
) -> dict[str, Any]:
    """An oval filled with a light tint instead of white (no tail)."""
    ImageDraw.Draw(page).ellipse(
        [rect[0], rect[1], rect[2] - 1, rect[3] - 1], fill=tint, outline=INK, width=stroke
    )
    _letter(page, block, font, (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2 - block.height / 2)
    return _balloon(
        [rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]], panel, "speech", block, beat, None, "tinted"
    )


def _balloon(
    box: list[int], panel: int, kind: str, block: LetteredBlock, beat: Any, tail: list[int] | None, style: str
) -> dict[str, Any]:
    """One balloon's truth; a joined lobe's text is its own lines (hyphens joined), others the beat's."""
    whole = style != "joined"
    text = normalised_text(beat.text if whole else " ".join(block.lines).replace("- ", "").replace("-\n", ""))
    return {
        "bbox": box,
        "panel": panel,
        "kind": kind,
        "lines": block.lines,
        "text": text,
        "speaker": beat.speaker,
        "tail": tail,
        "style": style,
    }


# ---- truth and volume ---------------------------------------------------------------------------


def _map_box(box: list[int], mapping: Any, size: tuple[int, int]) -> list[int]:
    """A box after the page moved: the bounds of its mapped edges (sampled, since a warp bends them)."""
    x, y, w, h = box
    t = np.linspace(0, 1, 9)
    edge = [(x + w * s, y) for s in t] + [(x + w * s, y + h) for s in t]
    edge += [(x, y + h * s) for s in t] + [(x + w, y + h * s) for s in t]
    pts = np.array([mapping(px, py) for px, py in edge])
    x0, y0 = np.clip(pts.min(axis=0), 0, size)
    x1, y1 = np.clip(pts.max(axis=0), 0, size)
    return [round(x0), round(y0), round(x1) - round(x0), round(y1) - round(y0)]


def _map_point(point: list[int] | None, mapping: Any) -> list[int] | None:
    return [round(v) for v in mapping(*point)] if point else None


def generate_scan_like(
    out_dir: Path | str,
    pages: int = 12,
    seed: int = 0,
    *,
    kinds: tuple[str, ...] = PAGE_KINDS,
    dpis: tuple[int, ...] = DPIS,
    degrade: bool = True,
    image_format: str = "png",
) -> Path:
    """Write `pages` scan-like pages and truth.json into `out_dir`; returns the truth.json path."""
    unknown = set(kinds) - set(PAGE_KINDS)
    if unknown or not kinds:
        raise ValueError(
            f"page kinds must be some of {', '.join(PAGE_KINDS)} (got {', '.join(kinds) or 'none'})"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cursor = StoryCursor()
    digits = max(3, len(str(pages)))
    truth: dict[str, Any] = {"pages": {}, "balloons": {}, "page_types": {}}
    info: dict[str, Any] = {}
    for number in range(1, pages + 1):
        image, page_truth = render_scan_page(number, seed, cursor, kinds, dpis, degrade)
        name = f"scan_{number:0{digits}d}.{image_format}"
        save_page_image(out / name, image, image_format)
        truth["pages"][name] = page_truth.panels
        truth["balloons"][name] = page_truth.balloons
        truth["page_types"][name] = page_truth.kind
        info[name] = page_truth.info
    truth["meta"] = {
        "generator": "nuvola synth --scan-like",
        "version": SCAN_VERSION,
        "seed": seed,
        "pages": pages,
        "kinds": list(kinds),
        "dpis": list(dpis),
        "degrade": degrade,
        "note": "generated pages: figures on them are smoke tests, not accuracy on real scans",
        "boxes": "[x, y, w, h] in page pixels from the top-left; panels and balloons in reading order",
        "panel_box": "the frame's rectangle; bleed panels reach the page edge; frameless: the art's box",
        "balloon_bbox": "the balloon body with its outline, without the tail; joined balloons: one per lobe",
        "page_info": info,
    }
    path = out / TRUTH_FILE
    write_text_atomic(path, json.dumps(truth, ensure_ascii=False, indent=1))
    return path
