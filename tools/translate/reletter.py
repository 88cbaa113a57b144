"""Re-lettering: the English text put back on the pages.

Written issues are rendered again from their plan with English balloons (`translated_script` + the
existing `render_issue`). Read pages keep their art: each balloon's original lettering is cleaned out of
it (filled with the balloon's own background where that is plain, in-painted with OpenCV where the lettering
lies over art) and the English text is lettered into the same balloon with the letterer's fitting rules
(Comic Neue capitals 2.6 down to 2.2 mm at print size, the most compact wrapping inside the balloon's ellipse
or box). A text that does not fit even at 2.2 mm is lettered smaller (down to 1.6 mm, reported as
`undersize`); one that does not fit at all is an `overflow`, lettered at 1.6 mm across the balloon and reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from tools.comic_script import IssueScript
from tools.render.fonts import lettering_font
from tools.render.letterer import LetterStyle
from tools.render.lettering import FittedShape, fit_options, make_block, prepare_text, wrap

PAGE_HEIGHT_CM = 21.0  # a Bonelli page (the series profile's format); read pages print at this height
FLOOR_GLYPH_MM = 1.6
RIM_SHARE = 0.08  # the balloon's outline lies in this outer share of its box (at least 5 px): never cleaned
PLAIN_SHARE = 0.60  # a background is plain when this share of the inside is the paper colour
INK_DISTANCE = 80.0  # colour distance from the background that makes a pixel lettering


@dataclass
class LetteredBalloon:
    """What happened to one balloon of a read page."""

    key: str
    box: tuple[int, int, int, int]
    kind: str
    text: str
    cleaned: str = ""  # "fill" (plain background) or "inpaint" (over art) or "" (nothing to clean)
    font_px: int = 0
    glyph_mm: float = 0.0
    lines: list[str] = field(default_factory=list)
    undersize: bool = False
    overflow: bool = False


def page_dpi(height_px: int, page_height_cm: float = PAGE_HEIGHT_CM) -> int:
    """The DPI at which a read page of this height prints at the series' page height."""
    return max(50, round(height_px / (page_height_cm / 2.54)))


def inner_mask(size: tuple[int, int], kind: str) -> np.ndarray:
    """255 inside the balloon, away from its outline: an ellipse for speech, a rectangle for captions."""
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    mx = my = max(5, round(min(w, h) * RIM_SHARE / 2))
    if kind == "caption":
        mask[my : h - my, mx : w - mx] = 255
    else:
        cv2.ellipse(mask, (w // 2, h // 2), (max(1, w // 2 - mx), max(1, h // 2 - my)), 0, 0, 360, 255, -1)
    return mask


def background_colour(crop: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The balloon's paper: the median colour of the lighter half of its inside."""
    pixels = crop[inside > 0].reshape(-1, 3).astype(np.float32)
    luma = pixels @ np.array([0.299, 0.587, 0.114], np.float32)
    light = pixels[luma >= np.median(luma)]
    return np.median(light if len(light) else pixels, axis=0)


def lettering_mask(crop: np.ndarray, inside: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """255 on the lettering: pixels far from the paper colour inside the balloon, grown by a couple of pixels."""
    distance = np.linalg.norm(crop.astype(np.float32) - paper, axis=2)
    ink = ((distance > INK_DISTANCE) & (inside > 0)).astype(np.uint8) * 255
    grow = max(2, round(min(crop.shape[:2]) / 60))
    return cv2.dilate(ink, np.ones((2 * grow + 1,) * 2, np.uint8))


def is_plain(crop: np.ndarray, inside: np.ndarray, paper: np.ndarray) -> bool:
    """True when most of the balloon's inside is the paper colour (the lettering covers the rest)."""
    distance = np.linalg.norm(crop[inside > 0].astype(np.float32) - paper, axis=1)
    return float((distance < 30).mean()) >= PLAIN_SHARE


def clean_balloon(page: np.ndarray, box: tuple[int, int, int, int], kind: str) -> str:
    """Erase the lettering inside `box` of `page` (RGB array, changed in place); returns how."""
    x, y, w, h = box
    crop = page[y : y + h, x : x + w]
    if crop.size == 0:
        return ""
    inside = inner_mask((crop.shape[1], crop.shape[0]), kind)
    paper = background_colour(crop, inside)
    ink = lettering_mask(crop, inside, paper)
    if not ink.any():
        return ""
    if is_plain(crop, inside, paper):
        crop[ink > 0] = paper.astype(np.uint8)
        return "fill"
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    strokes = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, np.ones((15, 15), np.uint8)) > 40
    mask = cv2.dilate(((strokes & (inside > 0)) * 255).astype(np.uint8), np.ones((5, 5), np.uint8))
    crop[:] = cv2.inpaint(np.ascontiguousarray(crop), mask, 5, cv2.INPAINT_TELEA)
    return "inpaint"


def fit_english(
    text: str, kind: str, box: tuple[int, int, int, int], style: LetterStyle
) -> tuple[FittedShape | None, bool]:
    """The largest legal lettering of `text` inside the balloon (and False), else a smaller one (and True)."""
    max_w, max_h = box[2] * 0.98, box[3] * 0.98
    shape_kind = "caption" if kind == "caption" else "speech"
    for size in style.sizes():
        options = fit_options(text, shape_kind, size, max_w, max_h)
        if options:
            return options[0], False
    for size in range(style.sizes()[-1] - 1, style.font_px(FLOOR_GLYPH_MM) - 1, -1):
        options = fit_options(text, shape_kind, size, max_w, max_h)
        if options:
            return options[0], True
    return None, True


def overflow_shape(text: str, box: tuple[int, int, int, int], style: LetterStyle) -> FittedShape:
    """The text at the floor size wrapped to the balloon's width: drawn anyway, so nothing is lost."""
    size = style.font_px(FLOOR_GLYPH_MM)
    block = make_block(wrap(text, lettering_font(size), box[2] * 0.9), size)
    return FittedShape("caption", block, block.width, block.height, 0.0)


def draw_lines(
    image: Image.Image,
    box: tuple[int, int, int, int],
    shape: FittedShape,
    colour: tuple[int, int, int] = (0, 0, 0),
) -> None:
    """Each line centred in the balloon, the block centred vertically (as the letterer centres its text)."""
    x, y, w, h = box
    draw = ImageDraw.Draw(image)
    font = lettering_font(shape.block.size)
    top = y + h / 2 - shape.block.height / 2
    for line, width, baseline in zip(
        shape.block.lines, shape.block.widths, shape.block.baselines(top), strict=True
    ):
        draw.text((x + w / 2 - width / 2, baseline), line, font=font, fill=colour, anchor="ls")


def letter_balloon(
    image: Image.Image, key: str, box: tuple[int, int, int, int], kind: str, english: str, style: LetterStyle
) -> LetteredBalloon:
    """Clean one balloon of `image` and letter `english` in it."""
    text = prepare_text(english)
    array = np.array(image)
    report = LetteredBalloon(key, box, kind, text, cleaned=clean_balloon(array, box, kind))
    image.paste(Image.fromarray(array))
    shape, small = fit_english(text, kind, box, style)
    if shape is None:
        shape, report.overflow = overflow_shape(text, box, style), True
    report.undersize = small
    report.font_px, report.lines = shape.block.size, list(shape.block.lines)
    report.glyph_mm = round(style.glyph_mm(shape.block.size), 2)
    draw_lines(image, box, shape)
    return report


def reletter_page(
    image: Image.Image,
    balloons: list[tuple[str, tuple[int, int, int, int], str, str]],
    page_height_cm: float = PAGE_HEIGHT_CM,
) -> tuple[Image.Image, list[LetteredBalloon]]:
    """A copy of a read page with each (key, box, kind, English) balloon cleaned and lettered in English;
    glyph sizes are measured as if the page were printed `page_height_cm` tall."""
    page = image.convert("RGB")
    style = LetterStyle(dpi=page_dpi(page.height, page_height_cm))
    reports = [
        letter_balloon(page, key, _clip(box, page.size), kind, text, style)
        for key, box, kind, text in balloons
    ]
    return page, reports


def _clip(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    x, y, w, h = (int(v) for v in box)
    x, y = max(0, x), max(0, y)
    return x, y, max(1, min(w, size[0] - x)), max(1, min(h, size[1] - y))


def translated_script(
    script: IssueScript,
    english: dict[str, str],
    *,
    title: str | None = None,
    storyline: str | None = None,
    language: str = "en",
) -> IssueScript:
    """The plan with every balloon whose key (`{panel id}/b{n}`) is in `english` replaced; art untouched."""
    copy = script.model_copy(deep=True)
    for page in copy.pages:
        for tier in page.tiers:
            for panel in tier.panels:
                for n, balloon in enumerate(panel.balloons):
                    balloon.text = english.get(f"{panel.id}/b{n}", balloon.text)
    copy.language = language
    copy.title = title or copy.title
    copy.storyline = storyline or copy.storyline
    return copy


def reports_json(reports: list[LetteredBalloon]) -> list[dict[str, Any]]:
    return [asdict(r) for r in reports]


def save_page(image: Image.Image, target: Path) -> Path:
    """A page PNG written atomically."""
    from tools.atomic import atomic_path

    with atomic_path(target) as tmp:
        image.save(tmp, "PNG")
    return target
