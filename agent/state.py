"""The story graph's state: everything a write-issue run knows, as plain JSON so checkpoints stay portable.

Pydantic models (tools.comic_script) validate values on the way in and out; the state itself holds their
dumps, so a checkpoint written by one version of the code is readable by the next.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


def merge_by_key(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer for per-scene results: a node adds or replaces the entries of the scenes it wrote."""
    return {**(left or {}), **(right or {})}


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
