"""The image side of the model seam: panel artists created from a name, once per process.

    get_artist("storyboard")                          offline B/W layout sketches (default)
    get_artist("remix")                               ingested panels matching cast and shot, lettering removed
    get_artist("diffusers:/models/sd15?controlnet=/models/cn-lineart&lora=/adapters/tex&steps=25")

An artist draws one panel: `artist.draw(panel, (width, height), context) -> PanelArt`. The art is black and
white ink; the colorist and the letterer work on top of it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tools.errors import UnknownModelError
from tools.models.spec import ModelSpec, parse_model_name

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from tools.comic_script import IssueScript, PanelSpec

ARTIST_BACKENDS = ("storyboard", "remix", "diffusers")
_CACHE: dict[str, Artist] = {}
_LOCK = threading.Lock()


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
    label_boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # storyboard notes to keep visible
    source: str = ""  # which backend drew it and from what, e.g. "remix:vol1/3:2"
    plan: dict[str, Any] = field(default_factory=dict)  # what was drawn: figures, poses, props, light (render.json)


@dataclass
class ArtContext:
    """What an artist may consult besides the panel: the issue, the seed, the series profile and the archives."""

    issue: IssueScript | None = None
    seed: int = 0
    profile: Any = None  # memory.profile.SeriesProfile when available
    catalogue: Any = None  # tools.ingest.catalogue.Catalogue
    store: Any = None  # memory.MemoryStore
    used_sources: set[str] = field(default_factory=set)  # remix: panels already reused in this issue
    beats: Any = None  # tools.render.beats.BeatParser reading each panel's beat (made from the profile if None)
    actions: dict[str, Any] = field(default_factory=dict)  # panel id -> its parsed BeatAction (read once)


@runtime_checkable
class Artist(Protocol):
    """Draws one panel of a plan as black-and-white art of exactly `size` pixels."""

    name: str

    def draw(self, panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> PanelArt: ...


def parse_artist_name(name: str) -> ModelSpec:
    """`storyboard`, `remix` or `diffusers:/path?opt=value`; anything else is an UnknownModelError."""
    try:
        spec = parse_model_name(name, ARTIST_BACKENDS)
    except UnknownModelError:
        raise UnknownModelError(
            f"unknown artist {name!r}: use storyboard, remix or diffusers:/path/to/pipeline"
            "[?controlnet=/path&lora=/path&steps=N]"
        ) from None
    if spec.backend == "diffusers" and not spec.target:
        raise UnknownModelError("the diffusers artist needs a local pipeline folder: diffusers:/path/to/model")
    return spec


def _make_artist(spec: ModelSpec) -> Artist:
    if spec.backend == "storyboard":
        from tools.render.storyboard import StoryboardArtist

        return StoryboardArtist()
    if spec.backend == "remix":
        from tools.render.remix import RemixArtist

        return RemixArtist()
    from tools.render.diffusion import DiffusersArtist

    return DiffusersArtist.from_spec(spec)


def get_artist(name: str, *, fresh: bool = False) -> Artist:
    """The panel artist for `name`; heavy backends load lazily, once per process (`fresh=True` skips the cache)."""
    spec = parse_artist_name(name)
    if fresh:
        return _make_artist(spec)
    with _LOCK:
        if spec.name not in _CACHE:
            _CACHE[spec.name] = _make_artist(spec)
        return _CACHE[spec.name]


def clear_artists() -> None:
    """Forget every created artist (tests)."""
    with _LOCK:
        _CACHE.clear()
