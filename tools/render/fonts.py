"""Fonts for lettering (Comic Neue) and storyboard notes (DejaVu Sans), found on the system and cached."""

from __future__ import annotations

import os
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


LETTERING_ENV = "NUVOLA_LETTERING_FONT"  # a TrueType/OpenType file to letter with instead of Comic Neue
ACCENTED_CAPITALS = "ÀÈÉÌÒÙ"  # what Italian lettering needs beyond A-Z


def lettering_file(bold: bool = True) -> Path:
    """The lettering font file: `$NUVOLA_LETTERING_FONT` when set, else Comic Neue (bold first)."""
    chosen = os.environ.get(LETTERING_ENV, "").strip()
    if chosen:
        return checked_lettering_file(Path(chosen).expanduser())
    return _first_available(LETTERING if bold else LETTERING[::-1])


@lru_cache(maxsize=8)
def checked_lettering_file(path: Path) -> Path:
    """`path` when it is a font that draws every accented capital Italian lettering needs; otherwise a
    MissingDependencyError naming the file and what is wrong (a font without È would letter `È` as
    nothing)."""
    try:
        face = ImageFont.truetype(str(path), 48)
    except OSError as exc:
        raise MissingDependencyError(f"{path}: cannot be read as a lettering font ({exc})") from exc
    missing = [ch for ch in ACCENTED_CAPITALS if face.getmask(ch).getbbox() is None]
    if missing:
        raise MissingDependencyError(f"{path}: the font has no glyph for {' '.join(missing)}; choose another")
    return path


def lettering_font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    """The lettering font (Comic Neue unless `$NUVOLA_LETTERING_FONT` names another) at `size` pixels
    (bold reads best at comic sizes)."""
    return font_file_at(lettering_file(bold), size)


@lru_cache(maxsize=256)
def font_file_at(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The font in `path` at `size` pixels (cached)."""
    return ImageFont.truetype(str(path), size)


@lru_cache(maxsize=64)
def notes_font(size: int) -> ImageFont.FreeTypeFont:
    """The sans-serif used for storyboard labels and page numbers."""
    return ImageFont.truetype(str(_first_available(NOTES)), size)
