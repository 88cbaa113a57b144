"""What agents ask the memory (contract 4): lines, scenes, panels, character sheets, free search.

Every function takes the store first (agents receive it injected, never as a global) and answers
`MemoryHit`s with provenance back to the page, panel and balloon, or to the text file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from memory.records import KINDS, Kind, MemoryRecord, Provenance
from memory.store import MemoryStore, where_all
from tools.series.profile import SeriesProfile


class MemoryHit(BaseModel):
    """One retrieved record: its text, kind, similarity score (cosine, 0 when unranked) and provenance."""

    text: str
    kind: Kind
    score: float
    metadata: dict[str, Any] = Field(default_factory=dict)
    provenance: Provenance = Field(default_factory=Provenance)

    @property
    def reference(self) -> str:
        return self.provenance.describe()


def _hit(record: MemoryRecord, score: float) -> MemoryHit:
    """A hit shows a line as `Speaker: line` (the embedded text adds addressee and speech act)."""
    meta = record.metadata
    speaker, line = (meta.get("speaker"), meta.get("line")) if record.kind == "line" else (None, None)
    text = str(line or record.text)
    return MemoryHit(
        text=f"{speaker}: {text}" if speaker else text,
        kind=record.kind,
        score=round(score, 4),
        metadata=record.metadata,
        provenance=record.provenance,
    )


def _cast_filter(store: MemoryStore, names: list[str]) -> dict[str, Any] | None:
    clauses = [{"characters": {"$contains": store.canonical(n)}} for n in names if n.strip()]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _combine(*filters: dict[str, Any] | None) -> dict[str, Any] | None:
    present = [f for f in filters if f]
    if not present:
        return None
    return present[0] if len(present) == 1 else {"$and": present}


def search(
    store: MemoryStore,
    query: str,
    kind: Kind | None = None,
    character: str | None = None,
    volume: str | None = None,
    k: int = 10,
) -> list[MemoryHit]:
    """The `k` records nearest to `query`, filtered by character (a speaker, addressee or cast member;
    aliases accepted) and volume. Across kinds (no `kind`), up to half of the list is shared out so
    that every kind with matches keeps its best hit(s): long records that mention everyone (character
    sheets, story summaries) cannot crowd out the lines and scenes that answer."""
    vector = store.embed_query(query)
    where = _combine(_cast_filter(store, [character] if character else []), where_all(volume=volume))
    kinds: tuple[Kind, ...] = (kind,) if kind else KINDS
    per_kind = [[_hit(r, s) for r, s in store.query(kd, embedding=vector, where=where, k=k)] for kd in kinds]
    return diversified(per_kind, k)


def diversified(per_kind: list[list[MemoryHit]], k: int) -> list[MemoryHit]:
    """Merge ranked lists: each non-empty list keeps its top `k // (2 * lists)` hits (half the list at
    most), the other places go by score."""
    present = [hits for hits in per_kind if hits]
    if not present:
        return []
    quota = k // (2 * len(present))
    chosen = [h for hits in present for h in hits[:quota]]
    rest = sorted((h for hits in present for h in hits[quota:]), key=lambda h: -h.score)
    return sorted(chosen + rest[: max(0, k - len(chosen))], key=lambda h: -h.score)[:k]


def character_lines(
    store: MemoryStore, character: str, topic: str | None = None, k: int = 8
) -> list[MemoryHit]:
    """Lines spoken by `character`: the nearest to `topic`, or without one a spread across their stories."""
    where = {"speaker": store.canonical(character)}
    if topic:
        return [_hit(r, s) for r, s in store.query("line", text=topic, where=where, k=k)]
    records = sorted(store.get("line", where=where), key=_story_order)
    if len(records) > k:
        step = len(records) / k
        records = [records[int(i * step)] for i in range(k)]
    return [_hit(r, 0.0) for r in records]


def _story_order(record: MemoryRecord) -> tuple[str, int, str]:
    prov = record.provenance
    return (prov.volume or "", prov.page_index or 0, ",".join(prov.balloon_ids))


def similar_scenes(store: MemoryStore, text: str, k: int = 3, volume: str | None = None) -> list[MemoryHit]:
    """Scenes most like `text` (a plot beat, a situation), with their summaries and page ranges."""
    return [_hit(r, s) for r, s in store.query("scene", text=text, where=where_all(volume=volume), k=k)]


def panels_like(
    store: MemoryStore, description: str, cast: list[str] | None = None, k: int = 4
) -> list[MemoryHit]:
    """Panels whose description matches, with every name in `cast` present; image path in provenance."""
    return [
        _hit(r, s)
        for r, s in store.query("panel", text=description, where=_cast_filter(store, cast or []), k=k)
    ]


class VolumeVoice(BaseModel):
    """A character's measured voice in one volume."""

    volume: str
    line_count: int = 0
    avg_sentence_words: float = 0.0
    exclamation_rate: float = 0.0
    question_rate: float = 0.0
    frequent_expressions: list[str] = Field(default_factory=list)
    samples: list[MemoryHit] = Field(default_factory=list)


class CharacterSheet(BaseModel):
    """Everything known of a character: the series profile plus what each remembered volume shows."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    role: str = ""
    traits: list[str] = Field(default_factory=list)
    speech_habits: list[str] = Field(default_factory=list)
    relations: list[dict[str, str]] = Field(default_factory=list)
    palette: dict[str, str] = Field(default_factory=dict)
    sample_lines: list[str] = Field(default_factory=list)
    volumes: list[VolumeVoice] = Field(default_factory=list)

    @property
    def line_count(self) -> int:
        return sum(v.line_count for v in self.volumes)

    def text(self) -> str:
        """The sheet as prompt text for a writer."""
        lines = [self.name + (f" ({', '.join(self.aliases)})" if self.aliases else "")]
        lines += [x for x in (self.role,) if x]
        lines += [f"Carattere: {'; '.join(self.traits)}"] if self.traits else []
        lines += [f"Modo di parlare: {'; '.join(self.speech_habits)}"] if self.speech_habits else []
        expressions = sorted({e for v in self.volumes for e in v.frequent_expressions})
        lines += [f"Espressioni frequenti: {', '.join(expressions[:12])}"] if expressions else []
        samples = self.sample_lines + [h.text for v in self.volumes for h in v.samples]
        lines += [f"Battute: {' / '.join(samples[:8])}"] if samples else []
        return "\n".join(lines)


def art_lookups(store: MemoryStore | None) -> dict[str, Any]:
    """The lookups an artist may make, bound to `store`, as keyword arguments of render_issue/ArtContext."""
    if store is None:
        return {}
    return {
        "panels_like": functools.partial(panels_like, store),
        "character_sheet": functools.partial(character_sheet, store),
    }


def character_sheet(store: MemoryStore, profile: SeriesProfile | None, name: str) -> CharacterSheet:
    """The profile's sheet for `name` (alias accepted) merged with the voices remembered per volume."""
    profile = profile or store.profile
    known = profile.find(name) if profile else None
    canonical = known.name if known else store.canonical(name)
    sheet = CharacterSheet(name=canonical)
    if known:
        sheet = CharacterSheet(
            name=known.name,
            aliases=known.aliases,
            role=known.role,
            traits=known.traits,
            speech_habits=known.speech_habits,
            relations=[r.model_dump() for r in known.relations],
            palette=known.palette,
            sample_lines=known.sample_lines,
        )
    records = store.get("character", where={"$and": [{"character": canonical}, {"source_kind": "volume"}]})
    sheet.volumes = sorted((_volume_voice(r) for r in records), key=lambda v: v.volume)
    return sheet


def _volume_voice(record: MemoryRecord) -> VolumeVoice:
    meta = record.metadata
    samples = [
        MemoryHit(text=s["text"], kind="line", score=0.0, provenance=Provenance(**s.get("provenance", {})))
        for s in json.loads(str(meta.get("voice_samples") or "[]"))
    ]
    return VolumeVoice(
        volume=record.provenance.volume or "",
        line_count=int(meta.get("line_count") or 0),  # type: ignore[arg-type]
        avg_sentence_words=float(meta.get("avg_sentence_words") or 0.0),  # type: ignore[arg-type]
        exclamation_rate=float(meta.get("exclamation_rate") or 0.0),  # type: ignore[arg-type]
        question_rate=float(meta.get("question_rate") or 0.0),  # type: ignore[arg-type]
        frequent_expressions=list(meta.get("frequent_expressions") or []),  # type: ignore[arg-type]
        samples=samples,
    )


def scene_lookup(store: MemoryStore, volume: str | None = None) -> Callable[[Any], str]:
    """A `scene_of(unit)` for the translator (tools.translate): the remembered scene nearest to the balloon's
    line (one look-up per page, the first balloon's text as the query), or "" when the memory holds no scenes."""
    cache: dict[str, str] = {}

    def scene_of(unit: Any) -> str:
        if unit.page not in cache:
            hits = similar_scenes(store, unit.source, k=1, volume=volume) if store.count("scene") else []
            cache[unit.page] = " ".join(hits[0].text.split()[:40]) if hits else ""
        return cache[unit.page]

    return scene_of
