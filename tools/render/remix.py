"""The remix artist: reuses ingested panels whose cast and framing match, their lettering in-painted away.

Candidates come from the catalogue (contract 1): every panel with the speakers of its balloons. When the context
holds the memory's `panels_like` lookup (contract 4, bound by memory.retrieval.art_lookups), it ranks panels by description and cast too. The
chosen panel is cropped from its page, its balloons are masked and removed with OpenCV in-painting, and it is
fitted to the new panel's box. Each source panel is used once per issue.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from tools.comic_script import PanelSpec
from tools.errors import NuvolaError
from tools.render.art import ArtContext, PanelArt
from tools.render.storyboard import estimate_figures
from tools.render.user_art import fit_cover
from tools.series.profile import canonical_name

log = logging.getLogger(__name__)
INPAINT_RADIUS = 4
MASK_GROW = 5
RIM = 6  # pixels along a balloon's edge that are in-painted rather than filled flat


class RemixError(NuvolaError):
    """The remix artist has no archive to draw from, or nothing in it fits a panel."""


@dataclass(frozen=True)
class SourcePanel:
    """An ingested panel the remix artist may reuse."""

    panel_id: str
    page_id: str
    volume: str
    page_index: int
    image: Path
    box: tuple[int, int, int, int]
    cast: frozenset[str]
    balloons: tuple[tuple[str, tuple[int, int, int, int], tuple[int, int] | None], ...]  # kind, box, tail

    @property
    def aspect(self) -> float:
        return self.box[2] / max(1, self.box[3])


def catalogue_panels(catalogue: Any, resolve: Any = lambda n: n) -> list[SourcePanel]:
    """Every panel of every volume in the catalogue, with the (canonical, lower-case) names that speak in it."""
    out: list[SourcePanel] = []
    for volume in catalogue.volumes():
        for page in catalogue.pages(volume.name):
            balloons = catalogue.balloons(page.id)
            for panel in catalogue.panels(page.id):
                mine = [b for b in balloons if b.panel_id == panel.id]
                cast = frozenset(resolve(b.speaker).lower() for b in mine if b.speaker)
                marks = tuple(
                    (
                        b.kind,
                        b.box,
                        (b.tail_x, b.tail_y) if b.tail_x is not None and b.tail_y is not None else None,
                    )
                    for b in mine
                )
                out.append(
                    SourcePanel(
                        panel.id,
                        page.id,
                        volume.name,
                        page.page_index,
                        catalogue.image_file(page),
                        panel.box,
                        cast,
                        marks,
                    )
                )
    return out


class RemixArtist:
    """Draws panels by reusing ingested ones (needs a catalogue; uses the memory when given one)."""

    name = "remix"

    def __init__(self) -> None:
        self._sources: list[SourcePanel] = []
        self._catalogue_path: Path | None = None

    def prepare(self, context: ArtContext) -> None:
        """Index the catalogue's panels once per catalogue; a missing or empty archive is a clear error."""
        if context.catalogue is None:
            raise RemixError(
                "the remix artist needs ingested comics: ingest a volume first (`nuvola ingest`) "
                "or choose --artist storyboard"
            )
        path = (
            Path(getattr(context.catalogue, "path", "")) if getattr(context.catalogue, "path", None) else None
        )
        if not self._sources or path != self._catalogue_path:
            self._sources = catalogue_panels(context.catalogue, lambda n: canonical_name(n, context.profile))
            self._catalogue_path = path
        if not self._sources:
            raise RemixError(f"the catalogue {path or ''} has no panels to remix: ingest a volume first")

    def draw(self, panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> PanelArt:
        if not self._sources:
            self.prepare(context)
        source = self.choose(panel, size, context)
        context.used_sources.add(source.panel_id)
        image, free = remix_image(source, size)
        return PanelArt(
            image=image,
            figures=estimate_figures(panel, size, context.profile),
            free_boxes=free,
            source=f"remix:{source.volume}/p{source.page_index + 1}/{source.panel_id}",
        )

    def choose(self, panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> SourcePanel:
        """The best unused source panel for `panel`; RemixError when none shares its cast."""
        wanted = {canonical_name(f.name, context.profile).lower() for f in panel.figures}
        wanted |= {canonical_name(b.speaker, context.profile).lower() for b in panel.balloons if b.speaker}
        remembered = self._remembered(panel, wanted, context)
        aspect = size[0] / max(1, size[1])
        if not any(source.cast for source in self._sources):  # speakers never attributed: match by shape
            wanted = set()
        best: tuple[float, SourcePanel] | None = None
        for source in self._sources:
            if source.panel_id in context.used_sources:
                continue
            overlap = len(wanted & source.cast) / len(wanted | source.cast) if wanted | source.cast else 1.0
            if wanted and not overlap and source.panel_id not in remembered:
                continue
            score = (
                2.0 * overlap - abs(math.log(source.aspect / aspect)) + remembered.get(source.panel_id, 0.0)
            )
            if best is None or score > best[0]:
                best = (score, source)
        if best is None:
            who = ", ".join(sorted(wanted)) or "no one"
            raise RemixError(f"no unused ingested panel shows {who}")
        return best[1]

    def _remembered(self, panel: PanelSpec, wanted: set[str], context: ArtContext) -> dict[str, float]:
        """Panel ids the memory finds for this description and cast, with a bonus by rank and shot."""
        panels_like = context.panels_like
        if panels_like is None:
            return {}
        query = " ".join(t for t in (panel.description, panel.setting, panel.shot) if t)
        cast = [f.name for f in panel.figures] or None
        try:
            hits = panels_like(query, cast=cast, k=8) or panels_like(query, k=8)
        except NuvolaError as exc:
            log.warning("memory search for panel %s failed: %s", panel.id, exc)
            return {}
        bonus: dict[str, float] = {}
        for rank, hit in enumerate(hits):
            panel_id = hit.provenance.panel_id
            if panel_id:
                same_shot = 0.5 if hit.metadata.get("shot") == panel.shot else 0.0
                bonus.setdefault(panel_id, 1.5 - 0.15 * rank + same_shot)
        return bonus


def paper_shapes(crop: np.ndarray, source: SourcePanel) -> np.ndarray:
    """The balloons as drawn: for each balloon, the light area that fills its middle, which follows the real
    outline and the tail; its letters are closed over. Open or see-through balloons add nothing."""
    px, py = source.box[0], source.box[1]
    count, labels = cv2.connectedComponents((crop > 200).astype(np.uint8), connectivity=4)
    mask = np.zeros(crop.shape, np.uint8)
    for _kind, (x, y, w, h), _tail in source.balloons:
        x0, y0 = x - px + w // 5, y - py + h // 5
        middle = labels[max(0, y0) : max(0, y0 + 3 * h // 5), max(0, x0) : max(0, x0 + 3 * w // 5)]
        ids, counts = np.unique(middle[middle > 0], return_counts=True)
        if not len(ids):
            continue
        shape = (labels == ids[counts.argmax()]).astype(np.uint8)
        if shape.sum() > 1.6 * w * h:  # the light area runs out of the balloon: it is the background
            continue
        close = max(3, min(w, h) // 6) | 1
        closed = cv2.morphologyEx(shape, cv2.MORPH_CLOSE, np.ones((close, close), np.uint8))
        mask = np.maximum(mask, (closed * 255).astype(np.uint8))
    return mask


def balloon_mask(source: SourcePanel, crop: np.ndarray | None = None) -> np.ndarray:
    """255 where the source panel's balloons, captions and tails are (panel pixels), grown over their outline."""
    px, py, pw, ph = source.box
    mask = np.zeros((ph, pw), np.uint8)
    if crop is not None:
        mask[: crop.shape[0], : crop.shape[1]] |= paper_shapes(crop, source)
    for kind, (x, y, w, h), tail in source.balloons:
        x0, y0 = x - px, y - py
        if kind == "caption":
            cv2.rectangle(mask, (x0, y0), (x0 + w, y0 + h), 255, thickness=-1)
        else:
            cv2.ellipse(
                mask, (x0 + w // 2, y0 + h // 2), (w // 2 + 2, h // 2 + 2), 0, 0, 360, 255, thickness=-1
            )
        if tail is not None:  # a wedge wide enough to cover curved tails too
            cx, cy, tx, ty = x0 + w / 2, y0 + h / 2, tail[0] - px, tail[1] - py
            length = max(1.0, math.hypot(tx - cx, ty - cy))
            nx, ny = -(ty - cy) / length * w / 5, (tx - cx) / length * w / 5
            wedge = np.array([[cx + nx, cy + ny], [tx, ty], [cx - nx, cy - ny]], dtype=np.int32)
            cv2.fillConvexPoly(mask, wedge, 255)
    return cv2.dilate(mask, np.ones((2 * MASK_GROW + 1,) * 2, np.uint8))


def remove_lettering(gray: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Erase the masked balloons: each area is filled with the tone around it, then the rim is in-painted
    (OpenCV Telea) so lines that ran under the balloon fade into it instead of smearing across it."""
    if not mask.any():
        return gray
    out = gray.copy()
    count, labels = cv2.connectedComponents((mask > 0).astype(np.uint8))
    ring_kernel = np.ones((9, 9), np.uint8)
    for ident in range(1, count):
        area = labels == ident
        ring = cv2.dilate(area.astype(np.uint8), ring_kernel).astype(bool) & ~area
        out[area] = np.median(gray[ring]) if ring.any() else 255
    inner = cv2.erode(mask, np.ones((2 * RIM + 1,) * 2, np.uint8))
    return cv2.inpaint(out, cv2.subtract(mask, inner), INPAINT_RADIUS, cv2.INPAINT_TELEA)


def remix_image(
    source: SourcePanel, size: tuple[int, int]
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """The source panel without its lettering, fitted (cover, centred) to `size`, and where its balloons were."""
    try:
        with Image.open(source.image) as page:
            crop = np.asarray(page.convert("L").crop(_box_corners(source.box)))
    except OSError as exc:
        raise RemixError(f"{source.image}: cannot read the page of panel {source.panel_id} ({exc})") from exc
    clean = remove_lettering(crop, balloon_mask(source, crop)[: crop.shape[0], : crop.shape[1]])
    fitted, scale, (ox, oy) = fit_cover(clean, size)
    free = []
    for _kind, (x, y, w, h), _tail in source.balloons:
        fx, fy = round((x - source.box[0]) * scale) - ox, round((y - source.box[1]) * scale) - oy
        free.append((max(0, fx), max(0, fy), round(w * scale), round(h * scale)))
    return Image.fromarray(fitted, "L"), free


def _box_corners(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return x, y, x + w, y + h
