"""Where the reference style comes from: a folder of text, the memory, the catalogue, or a script.

path/to/folder-or-file          plain text (one balloon a line), scripts or runs
memory:                         every dialogue line in the memory
memory:volume=Tex 1             the lines of one volume (also character=Tex, kind=line|passage, k=N)
memory:duello al saloon         the lines nearest to a query (k=200 by default)
catalogue:                      every transcribed balloon of the catalogue, with its panels and pages
catalogue:Tex 1                 one catalogued volume
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

from evals.samples import BalloonText, TextSample, load_samples, merge_samples
from tools.errors import InputFileError, NuvolaError
from tools.settings import Settings

MEMORY_PREFIX = "memory:"
CATALOGUE_PREFIX = "catalogue:"
MemoryKind = Literal["line", "passage", "scene", "story"]
MEMORY_KINDS: tuple[MemoryKind, ...] = ("line", "passage", "scene", "story")


class ReferenceError(NuvolaError):
    """The reference source named nothing to compare with."""


@dataclass(frozen=True)
class MemoryQuery:
    """A reference drawn from the memory: filters, and an optional query text that ranks by meaning."""

    text: str | None = None
    kind: MemoryKind = "line"
    character: str | None = None
    volume: str | None = None
    k: int | None = None

    @classmethod
    def parse(cls, spec: str) -> MemoryQuery:
        rest = spec.removeprefix(MEMORY_PREFIX).strip()
        if "=" not in rest:
            return cls(text=rest or None)
        pairs = dict(parse_qsl(rest.replace(",", "&"), keep_blank_values=False))
        unknown = set(pairs) - {"q", "query", "kind", "character", "volume", "k"}
        if unknown:
            raise ReferenceError(f"{spec!r}: unknown memory filter(s) {', '.join(sorted(unknown))}")
        kind = next((k for k in MEMORY_KINDS if k == pairs.get("kind", "line")), None)
        if kind is None:
            raise ReferenceError(f"{spec!r}: kind must be one of {', '.join(MEMORY_KINDS)}")
        k = int(pairs["k"]) if pairs.get("k", "").isdigit() else None
        text = pairs.get("q") or pairs.get("query")
        return cls(text=text, kind=kind, character=pairs.get("character"), volume=pairs.get("volume"), k=k)


def spoken_text(document: str, metadata: dict[str, Any]) -> str:
    """The words of a remembered line (its document also names speaker, addressee and speech act)."""
    return str(metadata.get("line") or document)


def memory_sample(store: Any, query: MemoryQuery) -> TextSample:
    """The memory records a query selects, as balloons (lines keep their speaker)."""
    from memory.retrieval import search
    from memory.store import where_all

    if query.text:
        hits = search(
            store,
            query.text,
            kind=query.kind,
            character=query.character,
            volume=query.volume,
            k=query.k or 200,
        )
        rows = [(spoken_text(h.text, h.metadata), h.metadata) for h in hits]
    else:
        speaker = store.canonical(query.character) if query.character else None
        where = where_all(volume=query.volume, speaker=speaker if query.kind == "line" else None)
        rows = [
            (spoken_text(r.text, r.metadata), r.metadata)
            for r in store.get(query.kind, where=where, limit=query.k)
        ]
    balloons = [
        BalloonText(
            text=text,
            speaker=meta.get("speaker"),
            kind=str(meta.get("balloon_kind") or "speech"),
            lettering=meta.get("lettering") or None,
        )
        for text, meta in rows
        if text.strip()
    ]
    return TextSample(name="memory", source=describe_query(query), balloons=balloons)


def describe_query(query: MemoryQuery) -> str:
    parts = [f"{k}={v}" for k, v in vars(query).items() if v is not None and k != "text"]
    return MEMORY_PREFIX + "&".join(parts) + (f" ~ {query.text!r}" if query.text else "")


def catalogue_sample(catalogue: Any, volume: str | None) -> TextSample:
    """Transcribed balloons of one volume (or all), with balloons per panel and panels per page."""
    names = [volume] if volume else [v.name for v in catalogue.volumes()]
    balloons: list[BalloonText] = []
    per_panel: list[int] = []
    per_page: list[int] = []
    for name in names:
        for page in catalogue.pages(name):
            found = [b for b in catalogue.balloons(page.id) if b.text]
            balloons += [
                BalloonText(
                    text=b.text, speaker=b.speaker, kind=b.kind, lettering=" ".join(b.lines or []) or None
                )
                for b in found
            ]
            panels = catalogue.panels(page.id)
            per_page.append(len(panels))
            per_panel += [sum(1 for b in found if b.panel_id == p.id) for p in panels]
    label = f"{CATALOGUE_PREFIX}{volume or '*'}"
    return TextSample(
        name="catalogue",
        source=label,
        balloons=balloons,
        balloons_per_panel=per_panel or None,
        panels_per_page=per_page or None,
    )


def load_reference(source: str, settings: Settings) -> TextSample:
    """The reference sample a `--reference` value names; empty references are an error."""
    if source.startswith(MEMORY_PREFIX):
        from memory.store import MemoryStore

        sample = memory_sample(MemoryStore.open(settings), MemoryQuery.parse(source))
    elif source.startswith(CATALOGUE_PREFIX):
        from tools.ingest.catalogue import Catalogue

        volume = source.removeprefix(CATALOGUE_PREFIX).strip() or None
        with Catalogue.open(settings) as catalogue:
            sample = catalogue_sample(catalogue, volume)
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise InputFileError(path, "reference not found (a folder, a file, memory:... or catalogue:...)")
        sample = merge_samples(load_samples(path, settings.home / "runs"), path.name, str(path))
    if not sample.balloons:
        raise ReferenceError(f"the reference {source!r} holds no text to compare with")
    return sample
