"""Test helpers for the memory: a transcribed volume filled through the Catalogue API, and fake settings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from memory.ingest import line_document
from memory.records import MemoryRecord, Provenance
from memory.retrieval import search
from memory.store import MemoryStore
from tools.ingest.catalogue import BalloonRecord, Catalogue, PageRecord, PanelRecord, page_relpath
from tools.story.acts import speech_act

DATA = Path(__file__).parent / "data" / "memory"
TUCSON = DATA / "volume_tucson.yaml"
LABELLED = DATA / "retrieval_it.yaml"


def load_volume(path: Path = TUCSON) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def fill_catalogue(catalogue: Catalogue, data: dict, *, transcribe: bool = True) -> str:
    """Add the pages, panels and balloons of `data`; with `transcribe`, store text and speakers as the
    transcriber would (set_transcript / set_speaker). Returns the volume name."""
    volume = catalogue.ensure_volume(data["volume"], source="tests/data/memory")
    for index, page in enumerate(data["pages"]):
        page_id = hashlib.sha256(f"{data['volume']}:{index}".encode()).hexdigest()
        panels, balloons, texts = [], [], []
        for n, panel in enumerate(page["panels"]):
            panel_id = f"{page_id}:{n}"
            panels.append(PanelRecord(panel_id, page_id, n, 40, 40 + n * 420, 920, 400, []))
            for balloon in panel:
                b = len(balloons)
                kind = balloon.get("kind", "speech")
                balloons.append(
                    BalloonRecord(
                        f"{page_id}:b{b}", page_id, panel_id, b, kind, 60 + 20 * b, 60 + n * 420, 300, 90
                    )
                )
                texts.append(balloon)
        catalogue.add_page(
            PageRecord(
                page_id,
                volume.id,
                index,
                f"page_{index + 1:03}.png",
                page_relpath(page_id, ".png"),
                1000,
                1300,
            ),
            panels,
            balloons,
        )
        if transcribe:
            for record, balloon in zip(balloons, texts, strict=True):
                catalogue.set_transcript(record.id, balloon["text"], [balloon["text"]], 0.93, "test")
                catalogue.set_speaker(
                    record.id, balloon.get("speaker"), 0.8 if balloon.get("speaker") else None
                )
    return data["volume"]


def labelled_set() -> dict:
    """The labelled Italian retrieval set: documents, `queries` and the first-draft `hard_queries`."""
    return yaml.safe_load(LABELLED.read_text("utf-8"))


def labelled_records(data: dict) -> list[MemoryRecord]:
    """The set's documents as reconstruction stores them (lines through `line_document`, with acts)."""
    records = []
    for d in data["documents"]:
        text, speaker = d["text"], d.get("speaker")
        is_line = d["kind"] == "line"
        records.append(
            MemoryRecord(
                kind=d["kind"],
                key=d["id"],
                text=line_document(text, speaker, None, speech_act(text)) if is_line else text,
                metadata={"label": d["id"], "line": text if is_line else None, "speaker": speaker},
                provenance=Provenance(volume="labelled-set"),
            )
        )
    return records


def recall_at(store: MemoryStore, queries: list[dict], k: int = 5) -> float:
    """Mean share of each query's relevant documents found in its top k (`search` across all kinds)."""
    total = 0.0
    for q in queries:
        found = {h.metadata["label"] for h in search(store, q["q"], k=k)}
        total += len(found & set(q["relevant"])) / len(q["relevant"])
    return total / len(queries)
