"""The reading route's state: the volumes ingested and, per volume, the stages done and their figures."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from agent.runs import merge_by_key

VOLUME_STAGES = ("ocr", "speakers", "reconstruct", "remember")
ReadStep = Literal["ocr", "speakers", "reconstruct", "remember", "finish"]
READ_STAGES = {
    "ingest": "pages, panels and balloons",
    "ocr": "OCR",
    "speakers": "speakers",
    "reconstruct": "story reconstruction",
    "remember": "memory",
    "finish": "done",
}
"""What each node does, in words (the CLI's progress lines, the server's job events)."""


class ReadInput(TypedDict, total=False):
    """What `nuvola read` starts with."""

    paths: list[str]
    """Files and folders to read (images, CBZ/CBR/CB7, PDF)."""
    volume: str | None
    """Put everything into this volume (default: one volume per path)."""
    engine: str | None
    """OCR engine(s) (default: the `ocr` role)."""
    use_llm: bool
    """Let the narrator model segment and summarise when reconstructing."""


class ReadState(ReadInput, total=False):
    """A reading run: the volumes ingested and, per volume, the stages done and their figures."""

    volumes: list[str]
    """Volumes that received pages in this run, in order."""
    ingest: dict[str, Any]
    """Ingest figures: pages added/present/duplicates, panels, balloons, errors by file."""
    current_volume: str
    """The volume the next stage works on."""
    done: Annotated[dict[str, Any], merge_by_key]
    """Per "stage:volume", the stage's figures (balloons read, speakers, scenes, records...)."""
    story: Annotated[dict[str, Any], merge_by_key]
    """Per volume, the reconstructed story (tools.story ReconstructedStory dump) until it is remembered."""
    run_log: Annotated[list[dict[str, Any]], operator.add]
    """Events of finished nodes."""


class IngestOutput(TypedDict):
    """What ingest found: the volumes that received pages and the figures."""

    volumes: list[str]
    ingest: dict[str, Any]


class TranscribeOutput(TypedDict):
    """The transcriber's figures for one volume (OCR or speakers), under "stage:volume"."""

    done: dict[str, Any]


class ReconstructOutput(TypedDict, total=False):
    """The narrator's reconstruction of one volume: the story (until remembered) and its figures."""

    story: dict[str, Any]
    done: dict[str, Any]


class RememberOutput(TypedDict, total=False):
    """What the memory stored for one volume (the story it took is cleared from the state)."""

    done: dict[str, Any]
    story: dict[str, Any]
