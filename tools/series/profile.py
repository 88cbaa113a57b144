"""Series profiles: the characters, voices, colours and format of a series, from YAML package data.

`load_profile("tex")` reads `tools/series/profiles/tex.yaml`; another series is another YAML file there, or any
YAML path given to `load_profile`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from tools.errors import InputFileError, NuvolaError


class ProfileError(NuvolaError):
    """A series profile is unknown or invalid."""


log = logging.getLogger(__name__)

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class Relation(BaseModel):
    """How one character stands to another, e.g. `{to: Kit Willer, kind: padre}`."""

    to: str
    kind: str


class CharacterProfile(BaseModel):
    """A character as the series knows them: names, nature, voice and canonical colours."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    role: str = ""
    traits: list[str] = Field(default_factory=list)
    speech_habits: list[str] = Field(default_factory=list)
    sample_lines: list[str] = Field(default_factory=list, description="original lines written in this voice")
    relations: list[Relation] = Field(default_factory=list)
    palette: dict[str, str] = Field(default_factory=dict, description="part -> #rrggbb for the colorist")

    @field_validator("palette")
    @classmethod
    def _hex_colours(cls, palette: dict[str, str]) -> dict[str, str]:
        bad = {part: colour for part, colour in palette.items() if not HEX_COLOUR.match(colour)}
        if bad:
            raise ValueError(f"palette colours must be #rrggbb, got {bad}")
        return palette

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]

    def sheet(self) -> str:
        """A plain-text character sheet (what the memory embeds for this character)."""
        parts = [f"{self.name}" + (f" ({', '.join(self.aliases)})" if self.aliases else "")]
        if self.role:
            parts.append(self.role)
        if self.traits:
            parts.append("Carattere: " + "; ".join(self.traits))
        if self.speech_habits:
            parts.append("Modo di parlare: " + "; ".join(self.speech_habits))
        if self.relations:
            parts.append("Relazioni: " + "; ".join(f"{r.kind} di {r.to}" for r in self.relations))
        if self.sample_lines:
            parts.append("Battute: " + " / ".join(self.sample_lines))
        return "\n".join(parts)


class FormatFacts(BaseModel):
    """The physical and editorial format of an issue of the series."""

    publisher: str = ""
    periodicity: str = ""
    colour: str = ""
    size_cm: tuple[float, float] | None = None
    pages: int | None = None
    tiers_per_page: int | None = None
    lettering: str = ""
    notes: list[str] = Field(default_factory=list)


class SeriesProfile(BaseModel):
    """A series: name, format facts, characters (with aliases) and the places its stories go to."""

    name: str
    title: str = ""
    language: str = "it"
    format: FormatFacts = Field(default_factory=FormatFacts)
    characters: list[CharacterProfile] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    vocabulary: list[str] = Field(
        default_factory=list, description="series words no Italian dictionary has that are not names"
    )

    def find(self, name_or_alias: str) -> CharacterProfile | None:
        """The character with this name or alias (case, accents and spacing ignored), or None."""
        return self._index().get(name_key(name_or_alias))

    def character(self, name_or_alias: str) -> CharacterProfile:
        """The character with this name or alias; a ProfileError lists the known names otherwise."""
        found = self.find(name_or_alias)
        if found is None:
            known = ", ".join(c.name for c in self.characters)
            raise ProfileError(f"no character {name_or_alias!r} in the {self.name} profile; known: {known}")
        return found

    def _index(self) -> dict[str, CharacterProfile]:
        return {name_key(n): c for c in self.characters for n in c.names}


def name_key(name: str) -> str:
    """Names compare without case, accents, punctuation or extra spaces (`TEX`, `Tex.` and `tex` match)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", plain.lower()).split())


def available_profiles() -> list[str]:
    """Profiles shipped with Nuvola (package data `tools/series/profiles/*.yaml`)."""
    folder = files("tools.series").joinpath("profiles")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_profile(name: str = "tex") -> SeriesProfile:
    """A shipped profile by name, or a YAML file by path."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return _load_path(Path(name).expanduser())
    return _load_shipped(name.lower())


@lru_cache(maxsize=8)
def _load_shipped(name: str) -> SeriesProfile:
    resource = files("tools.series").joinpath("profiles", f"{name}.yaml")
    if not resource.is_file():
        raise ProfileError(f"no series profile {name!r}; shipped profiles: {', '.join(available_profiles())}")
    return _parse(resource.read_text("utf-8"), f"tools/series/profiles/{name}.yaml")


def _load_path(path: Path) -> SeriesProfile:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputFileError(path, f"cannot read the profile ({exc.strerror or exc})") from exc
    return _parse(text, str(path))


def _parse(text: str, where: str) -> SeriesProfile:
    try:
        data = yaml.safe_load(text)
        return SeriesProfile.model_validate(data)
    except yaml.YAMLError as exc:
        raise InputFileError(where, f"not valid YAML ({exc})") from exc
    except ValidationError as exc:
        raise InputFileError(where, f"not a valid series profile ({_first_error(exc)})") from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def profile_character(profile: Any, name: str) -> Any:
    """The profile's CharacterProfile for a name or alias, or None (unknown names are new characters)."""
    if profile is None:
        return None
    find = getattr(profile, "find", None)
    if find is not None:
        return find(name)
    try:
        return profile.character(name)
    except (LookupError, ValueError, NuvolaError):
        return None


def canonical_name(name: str, profile: Any = None) -> str:
    """The profile's name for `name` (aliases resolve: "Aquila della Notte" -> "Tex"), else `name` itself."""
    character = profile_character(profile, name)
    return str(getattr(character, "name", None) or name)


def load_series_profile(series: str) -> Any:
    """The series profile, or None (with a warning) when there is none for `series`: the renderer then
    derives colours and looks from the names alone."""
    try:
        return load_profile(series.lower())
    except (NuvolaError, ValueError, OSError) as exc:
        log.warning("no series profile for %r (%s): colours are derived from names", series, exc)
        return None
