"""The colorist: black-and-white panel art in, colour out, the ink's shading kept.

`PaletteColorist` fills closed regions flat: scene regions from the scene palette (day, night, desert,
interior, dawn, dusk), character regions from that character's canonical palette, so the same character
wears the same colours in every panel. Then it multiplies by the ink, so lines and hatching stay.

Art that comes with a region map (the storyboard) is coloured region by region as tagged; other art
(remix, diffusers) is segmented here: closed areas between ink lines become regions, and each is named
from where it lies (sky on top, ground below, parts of a figure inside that figure's box).

A learned colouriser (a later issue) plugs in through the same `Colorist` protocol: it receives the ink,
the region map when there is one, the panel (light, place, cast, figure boxes) and the PaletteBook whose
character colours it must respect, and returns an RGB image of the art's size.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import cv2
import numpy as np
from PIL import Image

from tools.comic_script import PanelSpec
from tools.errors import UnknownModelError
from tools.render.art import FigureBox, PanelArt, RegionTag
from tools.render.palette import PAPER, RGB, PaletteBook, scene_palette
from tools.render.scene import scene_kind

INK_THRESHOLD = 128
MIN_REGION = 0.0015  # regions smaller than this share of the panel take their neighbour's colour
# Where a figure's parts lie, top to bottom, in figure heights (0 = top of the hat, 1 = soles).
FIGURE_BANDS: tuple[tuple[float, str], ...] = (
    (0.07, "hat"),
    (0.2, "skin"),
    (0.46, "shirt"),
    (0.86, "trousers"),
    (1.01, "boots"),
)
MIDGROUND = {
    "desert": "rock",
    "town": "building",
    "interior": "wood",
    "forest": "tree",
    "mountains": "mountain",
    "camp": "object",
    "river": "water",
    "plain": "mountain",
}


@runtime_checkable
class Colorist(Protocol):
    """Colours one panel's art; must keep each character's canonical colours from the PaletteBook."""

    name: str

    def colorize(self, art: PanelArt, panel: PanelSpec, book: PaletteBook) -> Image.Image: ...


def get_colorist(name: str = "palette") -> Colorist:
    """The colorist called `name`; today "palette" (a learned one registers here when it is trained)."""
    if name == "palette":
        return PaletteColorist()
    raise UnknownModelError(f"unknown colorist {name!r}: available colorists: palette")


class PaletteColorist:
    """Flat palette fills of closed regions, multiplied by the ink."""

    name = "palette"

    def colorize(self, art: PanelArt, panel: PanelSpec, book: PaletteBook) -> Image.Image:
        ink = np.asarray(art.image.convert("L"), dtype=np.float32) / 255.0
        if art.regions is not None:
            labels, tags = art.regions.astype(np.int32), art.tags
        else:
            labels, tags = segment_regions(ink, panel, art.figures)
        light, place = art.plan.get("light"), art.plan.get("place")
        lut = colour_table(tags, panel, book, light, place)
        base = lut[np.clip(labels, 0, len(lut) - 1)]
        if light == "lamp":
            base = lamp_glow(base, labels, tags)
        return Image.fromarray((base * ink[..., None]).round().astype(np.uint8), "RGB")


def lamp_glow(base: np.ndarray, labels: np.ndarray, tags: dict[int, RegionTag]) -> np.ndarray:
    """Lamp light: the room is brightest under the hanging lamp and falls off to the corners; characters keep
    their canonical colours."""
    h, w = labels.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    distance = np.hypot((xs - 0.45 * w) / w, (ys - 0.15 * h) / h)
    light = np.clip(1.08 - 0.55 * distance, 0.55, 1.0)
    scene_ids = np.array([0, *[i for i, t in tags.items() if t.owner == "scene"]], dtype=np.int32)
    is_scene = np.isin(labels, scene_ids[1:]) if len(scene_ids) > 1 else np.zeros_like(labels, dtype=bool)
    return np.where(is_scene[..., None], np.clip(base * light[..., None], 0, 255), base)


def colour_table(
    tags: dict[int, RegionTag],
    panel: PanelSpec,
    book: PaletteBook,
    light: str | None = None,
    place: str | None = None,
) -> np.ndarray:
    """Row i is the colour of region i (row 0, unlabelled paper, stays white)."""
    scene_colours = scene_palette(panel, light, place)
    lut = np.zeros((max(tags, default=0) + 1, 3), dtype=np.float32)
    lut[0] = PAPER
    for ident, tag in tags.items():
        lut[ident] = region_colour(tag, scene_colours, book)
    return lut


def region_colour(tag: RegionTag, scene_colours: dict[str, RGB], book: PaletteBook) -> RGB:
    if tag.owner == "scene":
        return scene_colours.get(tag.part, scene_colours["object"])
    return book.for_character(tag.owner).colour(tag.part)


def segment_regions(
    ink: np.ndarray, panel: PanelSpec, figures: list[FigureBox]
) -> tuple[np.ndarray, dict[int, RegionTag]]:
    """Closed areas between ink lines, each tagged sky/ground/midground or a part of a figure."""
    h, w = ink.shape
    lines = cv2.dilate((ink * 255 < INK_THRESHOLD).astype(np.uint8), np.ones((3, 3), np.uint8))
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(1 - lines, connectivity=4)
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= MIN_REGION * h * w]
    tags: dict[int, RegionTag] = {}
    for new_id, old in enumerate(keep, start=1):
        tags[new_id] = _tag_region(stats[old], centroids[old], (w, h), panel, figures)
    remap = np.zeros(count, dtype=np.int32)
    for new_id, old in enumerate(keep, start=1):
        remap[old] = new_id
    return _fill_gaps(remap[labels]), tags


def _fill_gaps(labels: np.ndarray) -> np.ndarray:
    """Ink, hatching and specks take the label of the nearest kept region."""
    unlabelled = (labels == 0).astype(np.uint8)
    if not unlabelled.any() or unlabelled.all():
        return labels
    _, nearest = cv2.distanceTransformWithLabels(unlabelled, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(unlabelled == 0)
    table = np.zeros(nearest.max() + 1, dtype=np.int32)
    table[nearest[ys, xs]] = labels[ys, xs]
    return table[nearest]


def _tag_region(
    stat: np.ndarray, centroid: np.ndarray, size: tuple[int, int], panel: PanelSpec, figures: list[FigureBox]
) -> RegionTag:
    w, h = size
    x, y, bw, bh = (int(v) for v in stat[:4])
    cx, cy = float(centroid[0]), float(centroid[1])
    interior = scene_kind(panel) == "interior"
    for fig in figures:
        fx, fy, fw, fh = fig.box
        shared = max(0, min(x + bw, fx + fw) - max(x, fx)) * max(0, min(y + bh, fy + fh) - max(y, fy))
        if fw and fh and fx <= cx <= fx + fw and fy <= cy <= fy + fh and shared >= 0.6 * bw * bh:
            top, height = fig.span or (fy, fh)
            rel = (cy - top) / max(1, height)
            return RegionTag(fig.name, next(part for limit, part in FIGURE_BANDS if rel < limit))
    if y <= 1 and cy < 0.5 * h:
        return RegionTag("scene", "wall" if interior else "sky")
    if y + bh >= h - 1 and cy > 0.5 * h:
        return RegionTag("scene", "floor" if interior else "ground")
    return RegionTag("scene", MIDGROUND.get(scene_kind(panel), "object"))
