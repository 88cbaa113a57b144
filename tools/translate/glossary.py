"""The translation glossary: series names kept, series terms translated by rule, checked after translation.

`build_glossary(profile)` takes the character names, aliases, places and series words from the series profile
(`tools/series/profiles/*.yaml`) and the English rules in `glossary_en.yaml` beside this file: a term in the rules'
`translate` or `phrases` is translated, every other name or series word is kept as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from pathlib import Path

import yaml

from tools.errors import InputFileError

SUPPORTED_TARGETS = ("en",)


@dataclass(frozen=True)
class GlossaryEntry:
    """One term: the Italian source, its English form, and whether it is a kept name or a translated term."""

    source: str
    target: str
    kind: str  # "name" (kept), "term" (translated), "phrase" (recurring phrase, translated)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![\w']){re.escape(self.source)}(?![\w])", re.IGNORECASE)

    def target_in(self, text: str) -> bool:
        return re.search(rf"(?<![\w]){re.escape(self.target)}(?![\w])", text, re.IGNORECASE) is not None


@dataclass
class Glossary:
    """Terms longest first, so `Aquila della Notte` is found before `Notte` would be."""

    entries: list[GlossaryEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        unique = {e.source.lower(): e for e in self.entries}
        self.entries = sorted(unique.values(), key=lambda e: -len(e.source))

    def found_in(self, text: str) -> list[GlossaryEntry]:
        """The entries whose source occurs in `text`, without overlaps (the longest term wins)."""
        taken: list[tuple[int, int]] = []
        found: list[GlossaryEntry] = []
        for entry in self.entries:
            for match in entry.pattern.finditer(text):
                span = match.span()
                if not any(span[0] < end and start < span[1] for start, end in taken):
                    taken.append(span)
                    if entry not in found:
                        found.append(entry)
        return found

    def missing(self, source: str, translation: str) -> list[GlossaryEntry]:
        """Entries the source uses whose English form the translation lacks."""
        return [e for e in self.found_in(source) if not e.target_in(translation)]

    def enforce(self, source: str, translation: str) -> str:
        """Replace Italian terms the model copied through (`Aquila della Notte`) by their English form."""
        for entry in self.missing(source, translation):
            translation = entry.pattern.sub(entry.target, translation)
        return translation

    def kept_words(self) -> set[str]:
        """Lower-case words of kept names (an Italian-looking word inside a name is not Italian left over)."""
        return {w.lower() for e in self.entries if e.kind == "name" for w in re.findall(r"\w+", e.source)}

    def pairs(self, text: str) -> list[tuple[str, str]]:
        """(source, target) of the terms in `text`, for the prompt."""
        return [(e.source, e.target) for e in self.found_in(text)]

    def extend(self, other: Glossary) -> Glossary:
        return Glossary([*self.entries, *other.entries])


def _rules(target: str) -> dict[str, dict[str, str]]:
    if target not in SUPPORTED_TARGETS:
        raise ValueError(f"no glossary rules for {target!r}; supported: {', '.join(SUPPORTED_TARGETS)}")
    text = files("tools.translate").joinpath(f"glossary_{target}.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {"translate": dict(data.get("translate") or {}), "phrases": dict(data.get("phrases") or {})}


def build_glossary(profile: object, target: str = "en") -> Glossary:
    """The glossary of a series profile (a `tools.series.profile.SeriesProfile`) for `target`."""
    rules = _rules(target)
    translated = {k.lower(): v for k, v in rules["translate"].items()}
    entries: list[GlossaryEntry] = []
    names = [n for c in getattr(profile, "characters", []) for n in c.names]
    for term in [*names, *getattr(profile, "vocabulary", [])]:
        kind = "term" if term.lower() in translated else "name"
        entries.append(GlossaryEntry(term, translated.get(term.lower(), term), kind))
    places = {p.lower() for p in getattr(profile, "places", [])}
    for source, english in rules["translate"].items():
        if source.lower() in places or source.lower() in {n.lower() for n in names}:
            entries.append(GlossaryEntry(source, english, "term"))
        elif source.lower() in {v.lower() for v in getattr(profile, "vocabulary", [])}:
            entries.append(GlossaryEntry(source, english, "term"))
    entries += [GlossaryEntry(s, t, "phrase") for s, t in rules["phrases"].items()]
    return Glossary(entries)


def load_glossary_file(path: Path | str) -> Glossary:
    """A glossary YAML of its own: `keep: [names]`, `translate: {source: target}`, `phrases: {...}`."""
    where = Path(path)
    try:
        data = yaml.safe_load(where.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(where, f"cannot read the glossary ({exc})") from exc
    if not isinstance(data, dict):
        raise InputFileError(where, "a glossary is a mapping with keep / translate / phrases")
    entries = [GlossaryEntry(str(n), str(n), "name") for n in data.get("keep") or []]
    entries += [GlossaryEntry(str(s), str(t), "term") for s, t in (data.get("translate") or {}).items()]
    entries += [GlossaryEntry(str(s), str(t), "phrase") for s, t in (data.get("phrases") or {}).items()]
    return Glossary(entries)
