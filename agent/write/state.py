"""The story graph's state: everything a write-issue run knows, as plain JSON so checkpoints stay portable.

Pydantic models (tools.comic_script) validate values on the way in and out; the state itself holds their
dumps, so a checkpoint written by one version of the code is readable by the next.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from agent.runs import merge_by_key

MAX_PAGES = 240
"""The most pages an issue may have (the CLI, the chat, the server and the coordinator all check this one)."""


def pages_problem(pages: int) -> str | None:
    """Why `pages` is not a page count an issue can have, or None."""
    return None if 1 <= pages <= MAX_PAGES else f"pages must be between 1 and {MAX_PAGES}, not {pages}"


STAGE_NAMES = {
    "prepare": "checking the request",
    "outline": "narrator: outline",
    "review": "your review of the outline",
    "narrate": "narrator: captions and beats",
    "direct": "director: pages and panels",
    "voice": "voices: balloons",
    "deliver": "writing script.json and script.md",
    "illustrate": "artist, colorist, letterer: pages, CBZ, PDF, HTML",
}
"""What each node does, in words (the CLI's progress lines, the server's job events)."""


class WriteInput(TypedDict, total=False):
    """What a caller gives to start a run."""

    storyline: str
    """The user's plot, in their words."""
    pages: int
    """How many pages the issue must have."""
    cast: list[str]
    """Characters the user asked for (empty: found in the storyline, else the series' protagonists)."""
    constraints: list[str]
    """Extra instructions from the user (also answers to the coordinator's questions)."""
    seed: int
    """Base seed; every model call derives its own seed from it and from where it is in the story."""
    out_dir: str
    """Where deliver writes script.json and script.md, and illustrate the pages, CBZ, PDF and HTML."""
    render: dict[str, Any]
    """Drawing options for illustrate: enabled (default True), color (True), artist (settings' artist), dpi."""


class WriteState(WriteInput, total=False):
    """The whole run: inputs, the narrator's outline, per-scene work, the assembled script, the run log."""

    series: str
    """Series profile name (e.g. "tex")."""
    grounding: dict[str, Any]
    """What gather found in memory: similar scenes and character sheets (texts, not ids)."""
    title: str
    """The issue's title (narrator)."""
    outline: list[dict[str, Any]]
    """Scenes (tools.comic_script.Scene dumps without beats): place, time, cast, goal, conflict, turn, pages."""
    outline_reviews: int
    """How many times the user has answered the coordinator's outline question."""
    outline_approved: bool
    """True once the outline is settled (always true when not interactive)."""
    current_scene: int
    """The scene the coordinator handed to the next specialist."""
    scene_beats: Annotated[dict[str, Any], merge_by_key]
    """Narrator output per scene index: {"beats": [{"action", "caption"}], "caption": str}."""
    scene_pages: Annotated[dict[str, Any], merge_by_key]
    """Director output per scene index: PagePlan dumps (numbered within the issue), balloons without text."""
    scene_dialogue: Annotated[dict[str, Any], merge_by_key]
    """Voice output per scene index: the same PagePlan dumps with every balloon's text written."""
    fallbacks: Annotated[list[dict[str, Any]], operator.add]
    """Every place where a deterministic fallback replaced unusable model output (where, what, reason)."""
    run_log: Annotated[list[dict[str, Any]], operator.add]
    """Node, model and tool events of finished nodes (the JSONL file also holds the events of killed ones)."""
    script: dict[str, Any]
    """The delivered IssueScript dump."""
    rendered: dict[str, Any]
    """What illustrate wrote: paths of issue.cbz, issue.pdf, index.html and the page images."""


class OutlineOutput(TypedDict):
    """What the narrator's outline node writes."""

    title: str
    outline: list[dict[str, Any]]
    grounding: dict[str, Any]
    fallbacks: list[dict[str, Any]]


class NarrateOutput(TypedDict):
    """What the narrator writes for one scene: its beats."""

    scene_beats: dict[str, Any]
    fallbacks: list[dict[str, Any]]


class DirectOutput(TypedDict):
    """What the panel director writes for one scene: its pages, panels and empty balloons."""

    scene_pages: dict[str, Any]
    fallbacks: list[dict[str, Any]]


class VoiceOutput(TypedDict):
    """What the character-voice writer writes for one scene: the same pages with every balloon's text."""

    scene_dialogue: dict[str, Any]
    fallbacks: list[dict[str, Any]]


class DeliverOutput(TypedDict):
    """The assembled, checked IssueScript dump."""

    script: dict[str, Any]


class IllustrateOutput(TypedDict, total=False):
    """What the artist, colorist and letterer drew (nothing when drawing is switched off)."""

    rendered: dict[str, Any]
