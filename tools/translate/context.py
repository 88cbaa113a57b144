"""What the translator sees for one balloon: its text, who speaks, the page's previous balloons, the scene."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.comic_script import IssueScript


@dataclass(frozen=True)
class TranslationUnit:
    """One balloon to translate. `key` says where it is (`p1-t2-1/b0` in a script, a catalogue balloon id)."""

    key: str
    source: str
    kind: str = "speech"
    speaker: str | None = None
    page: str = ""
    scene: str = ""


@dataclass(frozen=True)
class Pair:
    """An Italian line and its English form (a previous balloon, a memory hit, a fixed example)."""

    source: str
    target: str


@dataclass
class PageContext:
    """The balloons already translated on the current page, most recent last (the prompt shows the last few)."""

    page: str = ""
    done: list[Pair] = field(default_factory=list)

    def for_unit(self, unit: TranslationUnit, keep: int = 3) -> list[Pair]:
        if unit.page != self.page:
            self.page, self.done = unit.page, []
        return self.done[-keep:]


def sentence_case(text: str, names: list[str]) -> str:
    """An UPPERCASE balloon as sentence case for the model (`DOVE VAI, TEX?` -> `Dove vai, Tex?`); names keep
    their capitals. Text already in mixed case is returned as it is."""
    letters = [c for c in text if c.isalpha()]
    if not letters or any(c.islower() for c in letters):
        return text
    out = []
    start = True
    for word in text.lower().split(" "):
        out.append(word[:1].upper() + word[1:] if start and word else word)
        start = word.endswith((".", "!", "?", "…")) or (start and not word)
    cased = " ".join(out)
    for name in sorted(names, key=len, reverse=True):
        cased = _recase(cased, name)
    return cased


def _recase(text: str, name: str) -> str:
    import re

    return re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", name, text, flags=re.IGNORECASE)


def script_units(script: IssueScript) -> list[TranslationUnit]:
    """Every balloon of a written issue in reading order, with the title of its scene as context."""
    scenes = {s.index: s for s in script.scenes}
    units = []
    for page in script.pages:
        for tier in page.tiers:
            for panel in tier.panels:
                scene = scenes.get(panel.scene)
                for n, balloon in enumerate(panel.balloons):
                    units.append(
                        TranslationUnit(
                            key=f"{panel.id}/b{n}",
                            source=balloon.text,
                            kind=balloon.kind,
                            speaker=balloon.speaker,
                            page=f"p{page.number}",
                            scene=scene.title if scene else "",
                        )
                    )
    return units


def catalogue_units(catalogue: Any, volume: str) -> list[TranslationUnit]:
    """Every transcribed balloon of a read volume in reading order (balloons without text are skipped)."""
    units = []
    for page in catalogue.pages(volume):
        for balloon in catalogue.balloons(page.id):
            if balloon.text and balloon.text.strip():
                units.append(
                    TranslationUnit(
                        key=balloon.id,
                        source=balloon.text,
                        kind=balloon.kind,
                        speaker=balloon.speaker,
                        page=page.id,
                    )
                )
    return units
