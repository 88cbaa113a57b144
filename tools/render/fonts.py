"""Fonts for lettering (Comic Neue) and storyboard notes (DejaVu Sans), found on the system and cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from tools.errors import MissingDependencyError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/comic-neue"),
    Path("/usr/share/fonts/opentype/comic-neue"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
)
LETTERING = ("ComicNeue-Bold", "ComicNeue-Regular")
NOTES = ("DejaVuSansCondensed-Bold", "DejaVuSans-Bold", "DejaVuSans")


@lru_cache(maxsize=16)
def font_file(stem: str) -> Path:
    """The first `stem.ttf`/`stem.otf` in the system font folders."""
    for folder in FONT_DIRS:
        for ext in (".ttf", ".otf"):
            candidate = folder / f"{stem}{ext}"
            if candidate.is_file():
                return candidate
    raise MissingDependencyError(
        f"font {stem} not found in {', '.join(str(d) for d in FONT_DIRS[:3])}: "
        "install it with `apt-get install fonts-comic-neue fonts-dejavu` (or `make setup`)"
    )


def _first_available(stems: tuple[str, ...]) -> Path:
    errors: list[str] = []
    for stem in stems:
        try:
            return font_file(stem)
        except MissingDependencyError as exc:
            errors.append(str(exc))
    raise MissingDependencyError(errors[0])


@lru_cache(maxsize=256)
def lettering_font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    """Comic Neue at `size` pixels (bold reads best at comic sizes)."""
    stems = LETTERING if bold else LETTERING[::-1]
    return ImageFont.truetype(str(_first_available(stems)), size)


@lru_cache(maxsize=64)
def notes_font(size: int) -> ImageFont.FreeTypeFont:
    """The sans-serif used for storyboard labels and page numbers."""
    return ImageFont.truetype(str(_first_available(NOTES)), size)
