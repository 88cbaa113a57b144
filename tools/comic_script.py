"""The plan of a comic issue: what the story graph writes and the renderer draws (script.json).

Pages follow the Bonelli grammar: three tiers of one to three panels (a splash page is one tier of one
panel). Every balloon names its speaker; captions carry the narrating voice.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

SCHEMA_VERSION = 1

Shot = Literal[
    "campo lunghissimo",  # extreme long shot: landscape, tiny figures
    "campo lungo",  # long shot: setting with figures
    "figura intera",  # full figure
    "piano americano",  # knees up
    "mezza figura",  # waist up
    "primo piano",  # head and shoulders
    "primissimo piano",  # face fills the panel
    "dettaglio",  # an object or detail
]
SHOTS: tuple[str, ...] = Shot.__args__  # type: ignore[attr-defined]


class Figure(BaseModel):
    """A character in a panel and where they stand (x in 0..1 from the left, for layout and tails)."""

    name: str
    x: float = Field(0.5, ge=0.0, le=1.0)
    pose: str = ""


class Balloon(BaseModel):
    """One lettered element, in reading order within its panel."""

    kind: Literal["speech", "thought", "caption", "sfx"] = "speech"
    speaker: str | None = Field(None, description="character name; None for captions")
    text: str

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("balloon text is empty")
        return value.strip()


class PanelSpec(BaseModel):
    """What a panel shows and says."""

    id: str = Field(description="stable id: p{page}-t{tier}-{panel}, e.g. p1-t2-1")
    shot: Shot = "figura intera"
    description: str = ""
    setting: str = ""
    time_of_day: Literal["day", "night", "dawn", "dusk", "interior"] = "day"
    figures: list[Figure] = Field(default_factory=list)
    balloons: list[Balloon] = Field(default_factory=list)
    scene: int = Field(0, description="index of the scene this panel belongs to")
    art_path: str | None = Field(None, description="user-supplied art (sketch/concept) for this panel")


class Tier(BaseModel):
    """A horizontal strip of 1–3 panels."""

    panels: list[PanelSpec] = Field(min_length=1, max_length=3)


class PagePlan(BaseModel):
    """A page: three tiers (or one splash tier)."""

    number: int
    tiers: list[Tier] = Field(min_length=1, max_length=3)

    @property
    def panels(self) -> list[PanelSpec]:
        return [p for tier in self.tiers for p in tier.panels]


class Scene(BaseModel):
    """A unit of the outline."""

    index: int
    title: str
    place: str = ""
    time: str = ""
    cast: list[str] = Field(default_factory=list)
    goal: str = ""
    conflict: str = ""
    turn: str = ""
    beats: list[str] = Field(default_factory=list)
    captions: list[str] = Field(default_factory=list)
    pages: list[int] = Field(default_factory=list, description="numbers of the pages the scene fills")


class FallbackNote(BaseModel):
    """A part of the plan written by a deterministic fallback because the model's output stayed unusable."""

    where: str = Field(description='"issue", "scene 2", a panel id "p1-t2-1" or "p1-t2-1 balloon 1"')
    what: str
    reason: str = ""


class IssueScript(BaseModel):
    """The whole plan of an issue, as saved in script.json."""

    schema_version: int = SCHEMA_VERSION
    series: str = "Tex"
    number: int = 1
    title: str
    storyline: str
    cast: list[str] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)
    pages: list[PagePlan] = Field(default_factory=list)
    writer: str = "Nuvola"
    language: str = "it"
    seed: int = 0
    run_id: str | None = Field(
        None, description="the write-issue run that produced it (NUVOLA_HOME/runs/<id>)"
    )
    models: dict[str, str] = Field(default_factory=dict, description="model name per writing role")
    fallbacks: list[FallbackNote] = Field(default_factory=list)

    @property
    def panels(self) -> list[PanelSpec]:
        return [p for page in self.pages for p in page.panels]

    def grammar_problems(self) -> list[str]:
        """Where the plan breaks the Bonelli grammar or the lettering rules (empty when it is sound)."""
        problems = []
        if [p.number for p in self.pages] != list(range(1, len(self.pages) + 1)):
            problems.append("pages are not numbered 1..N in order")
        for page in self.pages:
            splash = len(page.tiers) == 1 and len(page.tiers[0].panels) == 1
            if len(page.tiers) != 3 and not splash:
                problems.append(f"page {page.number} has {len(page.tiers)} tier(s): 3, or one splash panel")
        ids = [p.id for p in self.panels]
        if len(ids) != len(set(ids)):
            problems.append("panel ids are not unique")
        for panel in self.panels:
            for balloon in panel.balloons:
                if balloon.kind in ("speech", "thought") and not balloon.speaker:
                    problems.append(f"{panel.id}: a {balloon.kind} balloon without a speaker")
                if balloon.text != balloon.text.upper():
                    problems.append(f"{panel.id}: lettering is not UPPERCASE ({balloon.text[:30]!r})")
        return problems
