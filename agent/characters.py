"""The cast of an issue, resolved against the series profile (names, aliases, sheets, balloon labels)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

MAX_CAST = 6


@dataclass
class CharacterCard:
    """What the writers need to know about one character, flattened from the profile (or blank)."""

    name: str
    known: bool = False
    aliases: list[str] = field(default_factory=list)
    traits: str = ""
    speech_habits: str = ""
    relations: str = ""
    sample_lines: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The line-format label for this character's balloons (e.g. "KIT CARSON")."""
        return speaker_label(self.name)


def speaker_label(name: str) -> str:
    return " ".join(name.upper().split())


def fold(text: str) -> str:
    """Lowercase without accents or punctuation, for matching names."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return "; ".join(_as_text(v) for v in value)
    if hasattr(value, "to") and hasattr(value, "kind"):  # tools.series.profile.Relation
        return f"{value.kind} di {value.to}"
    return str(value)


def profile_characters(profile: Any) -> list[Any]:
    return list(getattr(profile, "characters", []) or [])


def find_character(profile: Any, name: str) -> Any | None:
    """The profile's character for a name or alias, or None."""
    wanted = fold(name)
    for character in profile_characters(profile):
        names = [character.name, *(getattr(character, "aliases", []) or [])]
        if any(fold(n) == wanted for n in names):
            return character
    return None


def card_for(profile: Any, name: str) -> CharacterCard:
    """The writer's card for `name`: the profile's facts, or a blank card for a character it does not know."""
    character = find_character(profile, name)
    if character is None:
        return CharacterCard(name=name.strip())
    return CharacterCard(
        name=character.name,
        known=True,
        aliases=list(getattr(character, "aliases", []) or []),
        traits=_as_text(getattr(character, "traits", "")),
        speech_habits=_as_text(getattr(character, "speech_habits", "")),
        relations=_as_text(getattr(character, "relations", "")),
        sample_lines=[str(s) for s in getattr(character, "sample_lines", []) or []],
    )


def mentioned_characters(profile: Any, text: str) -> list[str]:
    """Profile characters whose name or alias appears in `text`, in order of first mention.

    Longer names are matched first and their words masked, so "Kit Carson" is not also read as "Kit".
    """
    folded = f" {fold(text)} "
    variants = [
        (fold(n), c.name)
        for c in profile_characters(profile)
        for n in [c.name, *(getattr(c, "aliases", []) or [])]
    ]
    found: dict[str, int] = {}
    for variant, name in sorted((v for v in variants if v[0]), key=lambda v: -len(v[0])):
        needle = f" {variant} "
        position = folded.find(needle)
        while position >= 0:
            found[name] = min(found.get(name, position), position)
            folded = (
                folded[:position] + " " + "#" * (len(needle) - 2) + " " + folded[position + len(needle) :]
            )
            position = folded.find(needle)
    return [name for name, _ in sorted(found.items(), key=lambda item: item[1])]


def resolve_cast(profile: Any, storyline: str, requested: list[str] | None) -> list[str]:
    """The issue's cast: the user's list (canonical names where known), else who the storyline names,
    else the series' first character (its protagonist)."""
    if requested:
        names = [card_for(profile, n).name for n in requested if n.strip()]
    else:
        names = mentioned_characters(profile, storyline)
        if not names and profile_characters(profile):
            names = [profile_characters(profile)[0].name]
    unique = list(dict.fromkeys(names))
    return unique[:MAX_CAST]


def match_cast(text: str, cast: list[str], profile: Any) -> list[str]:
    """Cast members named in a model's comma-separated list (aliases accepted); unknown names are dropped."""
    chosen: list[str] = []
    for part in re.split(r",|\be\b|/|;", text):
        part = part.strip(" .")
        if not part:
            continue
        canonical = card_for(profile, part).name
        for name in cast:
            if fold(name) == fold(canonical) or fold(name) == fold(part):
                chosen.append(name)
    return list(dict.fromkeys(chosen))
