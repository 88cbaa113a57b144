"""The artist registry: panel artists created from a name, once per process.

    get_artist("storyboard")                          offline B/W layout sketches (default)
    get_artist("remix")                               ingested panels matching cast and shot, lettering removed
    get_artist("diffusers:/models/sd15?controlnet=/models/cn-lineart&lora=/adapters/tex&steps=25")

The types an artist works with are in tools.render.art; the colorist registry is tools.render.colorist.
"""

from __future__ import annotations

import threading

from tools.errors import UnknownModelError
from tools.models.spec import ModelSpec, parse_model_name
from tools.render.art import Artist

ARTIST_BACKENDS = ("storyboard", "remix", "diffusers")
_CACHE: dict[str, Artist] = {}
_LOCK = threading.Lock()


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
        raise UnknownModelError(
            "the diffusers artist needs a local pipeline folder: diffusers:/path/to/model"
        )
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
