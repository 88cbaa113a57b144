"""A story rebuilt from transcribed pages: lines, panels, scenes, cast and voices, each with provenance."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class StoryLine(BaseModel):
    """One transcribed balloon or caption, in reading order, traced back to its page image."""

    text: str = Field(description="the line in sentence case, as the memory embeds it")
    lettering: str = Field(default="", description="the text as transcribed (usually UPPERCASE)")
    kind: Literal["speech", "caption"] = "speech"
    speaker: str | None = None
    addressee: str | None = None
    act: str | None = Field(
        default=None, description="speech act found by cues: minaccia, insulto, promessa..."
    )
    page_index: int
    page_id: str
    panel_id: str | None = None
    balloon_id: str
    image_path: str | None = Field(default=None, description="page image, relative to the data home")
    bbox: list[int] | None = None
    confidence: float | None = Field(default=None, description="speaker attribution confidence")
    scene: int = 0


class StoryPanel(BaseModel):
    """A panel as the memory describes it: who is in it, what is said, where it is on the page."""

    panel_id: str
    page_id: str
    page_index: int
    reading_order: int
    bbox: list[int]
    image_path: str | None = None
    cast: list[str] = Field(default_factory=list)
    description: str
    shot: str | None = None
    scene: int = 0


class StoryScene(BaseModel):
    """A stretch of the story in one place and time, with its cast and summary."""

    index: int
    title: str
    place: str = ""
    time: str = ""
    cue: str = Field(default="", description="the caption or change that opened the scene")
    first_page: int
    last_page: int
    cast: list[str] = Field(default_factory=list)
    summary: str = ""
    summary_source: Literal["llm", "extractive"] = "extractive"
    line_count: int = 0


class CharacterVoice(BaseModel):
    """How a character speaks in this volume, measured from their lines."""

    name: str
    line_count: int
    word_count: int
    avg_sentence_words: float
    exclamation_rate: float = Field(description="share of lines with '!'")
    question_rate: float = Field(description="share of lines with '?'")
    frequent_expressions: list[str] = Field(default_factory=list)
    addressees: dict[str, int] = Field(default_factory=dict)
    acts: dict[str, int] = Field(default_factory=dict, description="speech acts and how often")
    voice_samples: list[StoryLine] = Field(default_factory=list)
    first_page: int = 0


class ReconstructedStory(BaseModel):
    """Everything reconstruction found in a volume; `memory.ingest.remember_story` stores it."""

    volume: str
    series: str = "tex"
    title: str
    summary: str
    summary_source: Literal["llm", "extractive"] = "extractive"
    pages: int
    cast: list[str] = Field(default_factory=list)
    scenes: list[StoryScene] = Field(default_factory=list)
    lines: list[StoryLine] = Field(default_factory=list)
    panels: list[StoryPanel] = Field(default_factory=list)
    characters: list[CharacterVoice] = Field(default_factory=list)

    def scene_lines(self, index: int) -> list[StoryLine]:
        return [line for line in self.lines if line.scene == index]
