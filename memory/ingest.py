"""Turning stories, series profiles and prose into memory records, and storing them idempotently.

`remember_story` replaces what the memory holds for a volume: records of the new reconstruction are
upserted (unchanged ones are not re-embedded) and records of an older reconstruction that no longer
exist are removed, so re-running `nuvola reconstruct` never leaves stale or duplicate lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memory.passages import chunk_prose
from memory.records import Kind, MemoryRecord, Provenance
from memory.store import MemoryStore, UpsertReport
from tools.errors import InputFileError
from tools.series.profile import CharacterProfile, SeriesProfile
from tools.story.model import CharacterVoice, ReconstructedStory, StoryLine, StoryPanel, StoryScene

SCENE_TEXT_CHARS = 1200
STORY_KINDS: tuple[Kind, ...] = ("story", "scene", "line", "character", "panel")


@dataclass
class IngestReport:
    """What an ingest stored, removed as stale, and which input files failed (the batch goes on)."""

    upsert: UpsertReport = field(default_factory=UpsertReport)
    removed: int = 0
    failed: list[InputFileError] = field(default_factory=list)


def remember_story(store: MemoryStore, story: ReconstructedStory) -> IngestReport:
    """Store a reconstructed volume (story, scenes, lines, characters, panels), replacing older records."""
    records = story_records(story)
    report = IngestReport(upsert=store.upsert(records))
    for kind in STORY_KINDS:
        report.removed += _drop_stale(store, kind, records, {"volume": story.volume})
    return report


def story_records(story: ReconstructedStory) -> list[MemoryRecord]:
    """Every record a reconstructed volume yields."""
    return [
        _story_record(story),
        *(_scene_record(story, scene) for scene in story.scenes),
        *(_line_record(story, line) for line in story.lines),
        *(_voice_record(story, voice) for voice in story.characters),
        *(_panel_record(story, panel) for panel in story.panels),
    ]


def _story_record(story: ReconstructedStory) -> MemoryRecord:
    return MemoryRecord(
        kind="story",
        key=story.volume,
        text=f"{story.title}. {story.summary}",
        metadata={
            "title": story.title,
            "series": story.series,
            "characters": story.cast,
            "scenes": len(story.scenes),
            "pages": story.pages,
            "summary_source": story.summary_source,
        },
        provenance=Provenance(volume=story.volume, pages=[0, max(story.pages - 1, 0)]),
    )


def _scene_record(story: ReconstructedStory, scene: StoryScene) -> MemoryRecord:
    said = " ".join(
        f"{ln.speaker}: {ln.text}" if ln.speaker else ln.text for ln in story.scene_lines(scene.index)
    )
    text = f"{scene.title}. {scene.summary}\n{said}"
    return MemoryRecord(
        kind="scene",
        key=f"{story.volume}#{scene.index}",
        text=text if len(text) <= SCENE_TEXT_CHARS else text[: SCENE_TEXT_CHARS - 1] + "…",
        metadata={
            "title": scene.title,
            "summary": scene.summary,
            "summary_source": scene.summary_source,
            "scene_index": scene.index,
            "place": scene.place,
            "time": scene.time,
            "characters": scene.cast,
            "lines": scene.line_count,
        },
        provenance=Provenance(volume=story.volume, pages=[scene.first_page, scene.last_page]),
    )


def line_provenance(volume: str, line: StoryLine) -> Provenance:
    return Provenance(
        volume=volume,
        page_index=line.page_index,
        page_id=line.page_id,
        panel_id=line.panel_id,
        balloon_ids=[line.balloon_id],
        image_path=line.image_path,
        bbox=line.bbox,
    )


def line_document(
    text: str, speaker: str | None = None, addressee: str | None = None, act: str | None = None
) -> str:
    """What the memory embeds for a line: `Minaccia di Bradley a Tex: «Ti ammazzerò, Tex!»`.

    Who speaks to whom, and the speech act when cues show one, are part of the text so that a question
    such as "chi minaccia Tex?" meets the threats addressed to Tex, not every line that names him."""
    if not speaker:
        return text
    who = f"{speaker} a {addressee}" if addressee else speaker
    head = f"{act.capitalize()} di {who}" if act else who
    return f"{head}: «{text}»"


def _line_record(story: ReconstructedStory, line: StoryLine) -> MemoryRecord:
    return MemoryRecord(
        kind="line",
        key=f"{story.volume}#{line.balloon_id}",
        text=line_document(line.text, line.speaker, line.addressee, line.act),
        metadata={
            "line": line.text,
            "act": line.act,
            "lettering": line.lettering,
            "balloon_kind": line.kind,
            "speaker": line.speaker,
            "addressee": line.addressee,
            "characters": [n for n in (line.speaker, line.addressee) if n],
            "scene_index": line.scene,
            "page_index": line.page_index,
            "speaker_confidence": line.confidence,
        },
        provenance=line_provenance(story.volume, line),
    )


def _voice_record(story: ReconstructedStory, voice: CharacterVoice) -> MemoryRecord:
    samples = [s.text for s in voice.voice_samples]
    text = (
        f"{voice.name} in {story.volume}: {voice.line_count} battute. "
        f"Espressioni: {', '.join(voice.frequent_expressions) or '-'}. Battute: {' / '.join(samples)}"
    )
    return MemoryRecord(
        kind="character",
        key=f"{story.volume}#{voice.name}",
        text=text,
        metadata={
            "character": voice.name,
            "characters": [voice.name],
            "source_kind": "volume",
            "line_count": voice.line_count,
            "word_count": voice.word_count,
            "avg_sentence_words": voice.avg_sentence_words,
            "exclamation_rate": voice.exclamation_rate,
            "question_rate": voice.question_rate,
            "frequent_expressions": voice.frequent_expressions,
            "voice_samples": json.dumps(
                [
                    {
                        "text": s.text,
                        "provenance": line_provenance(story.volume, s).model_dump(exclude_defaults=True),
                    }
                    for s in voice.voice_samples
                ],
                ensure_ascii=False,
            ),
            "addressees": json.dumps(voice.addressees, ensure_ascii=False),
            "acts": json.dumps(voice.acts, ensure_ascii=False),
        },
        provenance=Provenance(volume=story.volume, page_index=voice.first_page),
    )


def _panel_record(story: ReconstructedStory, panel: StoryPanel) -> MemoryRecord:
    return MemoryRecord(
        kind="panel",
        key=f"{story.volume}#{panel.panel_id}",
        text=panel.description,
        metadata={
            "characters": panel.cast,
            "shot": panel.shot,
            "scene_index": panel.scene,
            "page_index": panel.page_index,
            "reading_order": panel.reading_order,
        },
        provenance=Provenance(
            volume=story.volume,
            page_index=panel.page_index,
            page_id=panel.page_id,
            panel_id=panel.panel_id,
            image_path=panel.image_path,
            bbox=panel.bbox,
        ),
    )


# ---- series profiles ---------------------------------------------------------------------------


def remember_profile(store: MemoryStore, profile: SeriesProfile) -> IngestReport:
    """Store a series profile's characters (sheet, aliases, relations, voice samples, palette)."""
    records = [_profile_character(profile, c) for c in profile.characters]
    report = IngestReport(upsert=store.upsert(records))
    report.removed = _drop_stale(
        store, "character", records, {"$and": [{"series": profile.name}, {"source_kind": "profile"}]}
    )
    return report


def _profile_character(profile: SeriesProfile, character: CharacterProfile) -> MemoryRecord:
    return MemoryRecord(
        kind="character",
        key=f"{profile.name}#{character.name}",
        text=character.sheet(),
        metadata={
            "character": character.name,
            "characters": [character.name],
            "aliases": character.aliases,
            "series": profile.name,
            "source_kind": "profile",
            "role": character.role,
            "traits": character.traits,
            "speech_habits": character.speech_habits,
            "voice_samples": json.dumps([{"text": t} for t in character.sample_lines], ensure_ascii=False),
            "relations": json.dumps([r.model_dump() for r in character.relations], ensure_ascii=False),
            "palette": json.dumps(character.palette, ensure_ascii=False),
        },
        provenance=Provenance(source=f"profile:{profile.name}"),
    )


# ---- prose -------------------------------------------------------------------------------------


def add_text(store: MemoryStore, files: Iterable[Path], source: str, *, max_chars: int = 800) -> IngestReport:
    """Chunk prose files into passages under `source` (a name `remove-volume` also accepts)."""
    report = IngestReport()
    for path in files:
        try:
            text = _read_text(path)
        except InputFileError as exc:
            report.failed.append(exc)
            continue
        records = [
            MemoryRecord(
                kind="passage",
                key=f"{source}#{path.name}#{n}",
                text=chunk,
                metadata={"source": source, "file": path.name, "chunk": n},
                provenance=Provenance(volume=source, source=path.name, chunk=n),
            )
            for n, chunk in enumerate(chunk_prose(text, max_chars=max_chars))
        ]
        report.upsert.merge(store.upsert(records))
        report.removed += _drop_stale(
            store, "passage", records, {"$and": [{"source": source}, {"file": path.name}]}
        )
    return report


def _drop_stale(store: MemoryStore, kind: Kind, records: list[MemoryRecord], where: dict[str, Any]) -> int:
    """Delete stored records of `kind` matching `where` that are not among `records` (replaced content)."""
    keep = {r.id for r in records}
    stale = [i for i in store.ids(kind, where=where) if i not in keep]
    return store.delete(kind, ids=stale) if stale else 0


def _read_text(path: Path) -> str:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError as exc:
        raise InputFileError(path, "no such file") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise InputFileError(path, f"cannot read it ({exc.strerror or exc})") from exc
    if not text.strip():
        raise InputFileError(path, "the file is empty")
    return text
