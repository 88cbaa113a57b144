"""What an artist draws and knows: the panel art types and the Artist protocol (the registry is artists.py).

An artist draws one panel: `artist.draw(panel, (width, height), context) -> PanelArt`. The art is black and
white ink; the colorist and the letterer work on top of it. What an artist may look up in the memory comes
as callables in its ArtContext (`panels_like`, `character_sheet`), filled by whoever owns the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from tools.comic_script import IssueScript, PanelSpec

PanelsLike = Callable[..., list[Any]]
"""`panels_like(description, cast=None, k=4) -> hits` (memory.retrieval.panels_like bound to a store)."""
CharacterSheet = Callable[[Any, str], Any]
"""`character_sheet(profile, name) -> the character as the memory knows them` (memory.retrieval, bound)."""


@dataclass(frozen=True)
class RegionTag:
    """What a labelled region of the art is: `owner` is a character name or "scene"; `part` e.g. "shirt", "sky"."""

    owner: str
    part: str


@dataclass(frozen=True)
class FigureBox:
    """Where a named figure stands in the panel (pixels): body and head boxes, and where its voice comes from."""

    name: str
    box: tuple[int, int, int, int]  # x, y, w, h of the visible body
    head: tuple[int, int, int, int]  # x, y, w, h of the head (hat included)
    mouth: tuple[int, int]
    span: tuple[int, int] | None = None  # (top, height) of the whole figure, hat to boots, even where cropped
    face: tuple[int, int, int, int] | None = None  # x, y, w, h of the face alone (what balloons never cover)


@dataclass
class PanelArt:
    """One drawn panel: the ink (mode "L"), an optional region map for the colorist, figure boxes for the letterer."""

    image: Image.Image
    regions: np.ndarray | None = None  # uint16 label map, 0 = no region (ink, paper)
    tags: dict[int, RegionTag] = field(default_factory=dict)
    figures: list[FigureBox] = field(default_factory=list)
    free_boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # good places for balloons
    label_boxes: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # storyboard notes to keep visible
    source: str = ""  # which backend drew it and from what, e.g. "remix:vol1/3:2"
    plan: dict[str, Any] = field(
        default_factory=dict
    )  # what was drawn: figures, poses, props, light (render.json)


@dataclass
class ArtContext:
    """What an artist may consult besides the panel: the issue, the seed, the series profile and the archives."""

    issue: IssueScript | None = None
    seed: int = 0
    profile: Any = None  # tools.series.profile.SeriesProfile when available
    catalogue: Any = None  # tools.ingest.catalogue.Catalogue
    panels_like: PanelsLike | None = None  # remix: ingested panels the memory finds for a description
    character_sheet: CharacterSheet | None = None  # diffusers: a character's sheet from the memory
    used_sources: set[str] = field(default_factory=set)  # remix: panels already reused in this issue
    beats: Any = (
        None  # tools.render.beats.BeatParser reading each panel's beat (made from the profile if None)
    )
    actions: dict[str, Any] = field(default_factory=dict)  # panel id -> its parsed BeatAction (read once)


@runtime_checkable
class Artist(Protocol):
    """Draws one panel of a plan as black-and-white art of exactly `size` pixels."""

    name: str

    def draw(self, panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> PanelArt: ...
