"""What the memory holds: typed records with provenance, and how they map to Chroma rows."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal["story", "scene", "line", "character", "panel", "passage"]
KINDS: tuple[Kind, ...] = ("story", "scene", "line", "character", "panel", "passage")
Scalar = str | int | float | bool
MetaValue = Scalar | list[str] | list[int] | None

# Metadata keys the store itself writes on every row.
RESERVED_KEYS = ("kind", "key", "volume", "provenance")


class Provenance(BaseModel):
    """Where a record comes from: a page, panel and balloons of a volume, or a text file."""

    volume: str | None = Field(default=None, description="catalogue volume name (or text source name)")
    page_index: int | None = Field(default=None, description="0-based page index within the volume")
    page_id: str | None = None
    panel_id: str | None = None
    balloon_ids: list[str] = Field(default_factory=list)
    image_path: str | None = Field(default=None, description="page image, as the catalogue stores it")
    bbox: list[int] | None = Field(
        default=None, description="[x, y, w, h] of the panel or balloon on the page"
    )
    pages: list[int] = Field(default_factory=list, description="first and last page index of a scene/story")
    source: str | None = Field(
        default=None, description="text file or series profile the record was read from"
    )
    chunk: int | None = Field(default=None, description="passage number within its file")

    def describe(self) -> str:
        """A short human reference: `Tex 1, p. 12, balloon <id>` or `file.txt §3`."""
        parts: list[str] = []
        if self.volume:
            parts.append(self.volume)
        if self.page_index is not None:
            parts.append(f"p. {self.page_index + 1}")
        elif len(self.pages) == 2:
            parts.append(f"pp. {self.pages[0] + 1}-{self.pages[1] + 1}")
        if self.balloon_ids:
            parts.append("balloon " + ",".join(self.balloon_ids))
        elif self.panel_id:
            parts.append(f"panel {self.panel_id}")
        if self.source and not self.volume:
            parts.append(self.source + (f" §{self.chunk + 1}" if self.chunk is not None else ""))
        return ", ".join(parts) or "unknown source"


class MemoryRecord(BaseModel):
    """One thing to remember: the text that is embedded, filterable metadata, and provenance."""

    kind: Kind
    key: str = Field(description="identity within its kind, e.g. the volume and balloon id of a line")
    text: str = Field(min_length=1)
    metadata: dict[str, MetaValue] = Field(default_factory=dict)
    provenance: Provenance = Field(default_factory=Provenance)

    @property
    def id(self) -> str:
        """Content-derived: the same record ingested twice has the same id (idempotent upserts)."""
        digest = hashlib.sha256(f"{self.kind}\x1f{self.key}\x1f{self.text}".encode()).hexdigest()
        return f"{self.kind}-{digest[:24]}"

    def chroma_metadata(self) -> dict[str, Scalar | list[str] | list[int]]:
        """Flat metadata for Chroma: empty values dropped, provenance kept as JSON."""
        flat: dict[str, Any] = {k: v for k, v in self.metadata.items() if k not in RESERVED_KEYS}
        flat.update(kind=self.kind, key=self.key, volume=self.provenance.volume)
        flat["provenance"] = self.provenance.model_dump_json(exclude_defaults=True)
        return {k: v for k, v in flat.items() if v is not None and v != [] and v != ""}


def record_from_row(document: str, metadata: dict[str, Any]) -> MemoryRecord:
    """Rebuild a MemoryRecord from a stored Chroma row."""
    meta = dict(metadata)
    provenance = Provenance.model_validate_json(meta.pop("provenance", "{}"))
    kind, key = meta.pop("kind"), meta.pop("key", "")
    meta.pop("volume", None)
    return MemoryRecord(kind=kind, key=key, text=document, metadata=meta, provenance=provenance)
