"""The one handle on Chroma: embedded on disk under NUVOLA_HOME, or a Chroma server (settings.memory)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from memory.embedding import SeamEmbeddingFunction
from memory.errors import EmbedderMismatchError, MemoryStoreError
from memory.matching import GENERATION_KEY, MatchCache, Matches, new_generation
from memory.records import KINDS, Kind, MemoryRecord, record_from_row

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from tools.series.profile import SeriesProfile
    from tools.settings import Settings

COLLECTIONS: dict[Kind, str] = {
    "story": "nuvola-stories",
    "scene": "nuvola-scenes",
    "line": "nuvola-lines",
    "character": "nuvola-characters",
    "panel": "nuvola-panels",
    "passage": "nuvola-passages",
}
EMBED_BATCH = 64
PAGE = 2000
# A filtered query searches among the matching ids when they are at most 1/SPARSE_SHARE of the records
# (Chroma's cost grows with the ids); a broader filter is tested on the nearest records of the whole
# collection, OVERSAMPLE times as many as should hold k matches. See memory/matching.py.
SPARSE_SHARE = 20
OVERSAMPLE = 4


@dataclass
class UpsertReport:
    """How many records an upsert added, changed (metadata only) or found already stored."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def merge(self, other: UpsertReport) -> UpsertReport:
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


@dataclass
class StoredRow:
    """A raw stored row, as exported: id, kind, document, metadata and (optionally) its vector."""

    id: str
    kind: Kind
    text: str
    metadata: dict[str, Any]
    embedding: list[float] | None = None


def where_all(**conditions: Any) -> dict[str, Any] | None:
    """A Chroma `where` for several conditions (None values are skipped): `$and` when more than one."""
    clauses = [{k: v} for k, v in conditions.items() if v is not None]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class MemoryStore:
    """Collections of stories, scenes, lines, characters, panels and passages over one Chroma client."""

    def __init__(self, client: ClientAPI, *, embedder: str, location: str, series: str = "tex") -> None:
        self.client = client
        self.embedder = embedder
        self.location = location
        self.series = series
        self.embedding_function = SeamEmbeddingFunction(embedder)
        self._collections: dict[Kind, Collection] = {}
        self._matches = MatchCache()
        self._profile: SeriesProfile | None | bool = False

    # ---- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings) -> MemoryStore:
        """The store configured in `settings.memory`: embedded (default) or a Chroma server."""
        embedder = settings.model_for("embedder")
        cfg = settings.memory
        if cfg.mode == "server":
            client, location = _http_client(cfg.host, cfg.port), f"http://{cfg.host}:{cfg.port}"
        else:
            path = settings.memory_dir
            client, location = _persistent_client(path), str(path)
        return cls(client, embedder=embedder, location=location, series=settings.series)

    def collection(self, kind: Kind) -> Collection:
        """The collection for `kind`, created on first use; refuses one built with another embedder."""
        if kind not in COLLECTIONS:
            raise MemoryStoreError(f"unknown record kind {kind!r}; kinds are {', '.join(KINDS)}")
        if kind not in self._collections:
            col = self.client.get_or_create_collection(
                COLLECTIONS[kind],
                embedding_function=self.embedding_function,  # type: ignore[arg-type]
                metadata={"embedder": self.embedder},
            )
            built_with = (col.metadata or {}).get("embedder")
            if built_with and built_with != self.embedder:
                raise EmbedderMismatchError(
                    f"the memory at {self.location} was built with the embedder {built_with!r} but "
                    f"{self.embedder!r} is configured: set models.embedder back to {built_with!r}, or "
                    "`nuvola memory export` it and import into an empty memory with --reembed"
                )
            if GENERATION_KEY not in (col.metadata or {}):  # a memory written before tokens existed
                self._changed(col)
            self._collections[kind] = col
        return self._collections[kind]

    def _fresh_metadata(self, col: Collection) -> dict[str, Any]:
        """The collection's metadata as stored now (another process or client may have changed it)."""
        fresh = self.client.get_collection(col.name, embedding_function=self.embedding_function)  # type: ignore[arg-type]
        return dict(fresh.metadata or {})

    def _generation(self, col: Collection) -> str | None:
        """The collection's current generation token."""
        token = self._fresh_metadata(col).get(GENERATION_KEY)
        return str(token) if token is not None else None

    def _changed(self, col: Collection) -> None:
        """Record a write: a new generation token for every reader, and this process's answers dropped."""
        col.modify(metadata={**self._fresh_metadata(col), GENERATION_KEY: new_generation()})
        self._matches.forget(col.name)

    # ---- writing -------------------------------------------------------------------------------
    def upsert(self, records: Iterable[MemoryRecord]) -> UpsertReport:
        """Store records idempotently: only new content is embedded; changed metadata is updated."""
        report = UpsertReport()
        for kind, batch in _by_kind(records).items():
            report.merge(self._upsert_kind(kind, batch))
        return report

    def _upsert_kind(self, kind: Kind, records: list[MemoryRecord]) -> UpsertReport:
        col = self.collection(kind)
        unique = {r.id: r for r in records}
        report = UpsertReport(by_kind={kind: len(unique)})
        wrote = False
        try:
            for ids in _chunks(list(unique), PAGE):
                found = col.get(ids=ids, include=["metadatas"])
                stored = dict(zip(found["ids"], found["metadatas"] or [], strict=True))
                fresh = [unique[i] for i in ids if i not in stored]
                changed = [unique[i] for i in ids if i in stored and stored[i] != unique[i].chroma_metadata()]
                wrote = wrote or bool(fresh or changed)
                self._add(col, fresh)
                if changed:
                    col.update(ids=[r.id for r in changed], metadatas=[r.chroma_metadata() for r in changed])  # type: ignore[misc]
                report.added += len(fresh)
                report.updated += len(changed)
                report.unchanged += len(ids) - len(fresh) - len(changed)
        finally:
            if wrote:
                self._changed(col)
        return report

    def _add(self, col: Collection, records: list[MemoryRecord]) -> None:
        for batch in _chunks(records, EMBED_BATCH):
            vectors = self.embed_documents([r.text for r in batch])
            col.upsert(
                ids=[r.id for r in batch],
                documents=[r.text for r in batch],
                metadatas=[r.chroma_metadata() for r in batch],  # type: ignore[misc]
                embeddings=vectors,  # type: ignore[arg-type]
            )

    def put_rows(self, rows: Sequence[StoredRow], *, reembed: bool = False) -> int:
        """Write raw rows (an import) as they are; vectors are recomputed when `reembed` or absent."""
        for kind, batch in _by_kind(rows).items():
            col = self.collection(kind)
            try:
                self._put_chunks(col, batch, reembed)
            finally:
                self._changed(col)
        return len(rows)

    def _put_chunks(self, col: Collection, batch: list[StoredRow], reembed: bool) -> None:
        for chunk in _chunks(batch, EMBED_BATCH if reembed else PAGE):
            need = reembed or any(r.embedding is None for r in chunk)
            vectors = (
                self.embed_documents([r.text for r in chunk])
                if need
                else [np.asarray(r.embedding, dtype=np.float32) for r in chunk]
            )
            col.upsert(
                ids=[r.id for r in chunk],
                documents=[r.text for r in chunk],
                metadatas=[r.metadata for r in chunk],
                embeddings=vectors,  # type: ignore[arg-type]
            )

    def ids(self, kind: Kind, *, where: dict[str, Any] | None = None) -> list[str]:
        """Stored ids of `kind` matching `where`."""
        return list(self.collection(kind).get(where=where, include=[])["ids"])

    def delete(self, kind: Kind, *, where: dict[str, Any] | None = None, ids: list[str] | None = None) -> int:
        """Delete matching records of one kind; returns how many there were."""
        col = self.collection(kind)
        found = col.get(where=where, ids=ids, include=[])["ids"]
        if found:
            try:
                for chunk in _chunks(found, PAGE):
                    col.delete(ids=chunk)
            finally:
                self._changed(col)
        return len(found)

    def remove_volume(self, volume: str) -> dict[str, int]:
        """Remove every record of a volume (or text source) from every collection."""
        return {kind: self.delete(kind, where={"volume": volume}) for kind in KINDS}

    # ---- reading -------------------------------------------------------------------------------
    def embed_documents(self, texts: list[str]) -> list[np.ndarray]:
        return [np.asarray(v, dtype=np.float32) for v in self.embedding_function(texts)]

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.embedding_function.embed_query([text])[0], dtype=np.float32)

    def query(
        self,
        kind: Kind,
        *,
        text: str | None = None,
        embedding: Sequence[float] | np.ndarray | None = None,
        where: dict[str, Any] | None = None,
        k: int = 10,
    ) -> list[tuple[MemoryRecord, float]]:
        """Nearest records of `kind` to `text` (or a ready query vector) with cosine similarity scores."""
        if embedding is None:
            if text is None:
                raise ValueError("query needs text or an embedding")
            embedding = self.embed_query(text)
        vector = np.asarray(embedding, dtype=np.float32)
        col = self.collection(kind)
        if where is None:
            nearest = col.query(query_embeddings=[vector], n_results=k, include=["distances"])  # type: ignore[arg-type]
            return self._rows(col, nearest["ids"][0], nearest["distances"][0])  # type: ignore[index]
        return self._filtered(col, vector, where, k)

    def _filtered(
        self, col: Collection, vector: np.ndarray, where: dict[str, Any], k: int
    ) -> list[tuple[MemoryRecord, float]]:
        """Nearest records matching `where`: among the nearest of all when the filter is broad, else (or
        when those hold too few) among the matching ids (memory/matching.py)."""
        snapshot = self._matches.snapshot(col, self._generation(col))
        matching = self._matches.matching(col, snapshot, where)
        if not matching:
            return []
        if len(matching) * SPARSE_SHARE > snapshot.total:
            found = self._nearest_matching(col, vector, matching, k, snapshot.total)
            if found is not None:
                return found
        among = col.query(
            query_embeddings=[vector],  # type: ignore[arg-type]
            n_results=min(k, len(matching)),
            ids=matching.ids,
            include=["distances"],
        )
        return self._rows(col, among["ids"][0], among["distances"][0])  # type: ignore[index]

    def _rows(self, col: Collection, ids: list[str], dists: list[float]) -> list[tuple[MemoryRecord, float]]:
        """Records for ranked ids, in rank order, with cosine similarity scores (ids deleted meanwhile
        are left out)."""
        rows = _fetch(col, ids)
        return [
            (record_from_row(*rows[i]), 1.0 - float(d)) for i, d in zip(ids, dists, strict=True) if i in rows
        ]

    def _nearest_matching(
        self, col: Collection, vector: np.ndarray, matching: Matches, k: int, total: int
    ) -> list[tuple[MemoryRecord, float]] | None:
        """The k nearest matching records, found among the nearest records of the whole collection; None
        when these hold too few matches (then the caller searches among the matching ids)."""
        n = min(total, math.ceil(OVERSAMPLE * k * total / len(matching)))
        nearest = col.query(query_embeddings=[vector], n_results=n, include=["distances"])  # type: ignore[arg-type]
        pairs = [
            (i, d)
            for i, d in zip(nearest["ids"][0], nearest["distances"][0], strict=True)  # type: ignore[index]
            if i in matching.members
        ][:k]
        if len(pairs) < min(k, len(matching)) and n < total:
            return None
        return self._rows(col, [i for i, _ in pairs], [d for _, d in pairs])

    def get(
        self, kind: Kind, *, where: dict[str, Any] | None = None, limit: int | None = None
    ) -> list[MemoryRecord]:
        """Records of `kind` matching `where`, without ranking."""
        found = self.collection(kind).get(where=where, limit=limit, include=["documents", "metadatas"])
        return [
            record_from_row(doc, dict(meta))
            for doc, meta in zip(found["documents"] or [], found["metadatas"] or [], strict=True)
        ]

    def rows(self, kind: Kind, *, with_embeddings: bool = True) -> Iterator[StoredRow]:
        """Every stored row of `kind`, page by page, sorted by id within a page (export)."""
        col = self.collection(kind)
        include: list[Any] = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        offset = 0
        while True:
            page = col.get(limit=PAGE, offset=offset, include=include)
            if not page["ids"]:
                return
            vectors = page.get("embeddings")
            for i, row_id in enumerate(page["ids"]):
                vector = [float(x) for x in vectors[i]] if vectors is not None else None
                meta = dict(page["metadatas"][i])  # type: ignore[index]
                yield StoredRow(row_id, kind, page["documents"][i], meta, vector)  # type: ignore[index]
            offset += len(page["ids"])

    def count(self, kind: Kind) -> int:
        return self.collection(kind).count()

    def stats(self) -> dict[str, int]:
        """Records per kind."""
        return {kind: self.count(kind) for kind in KINDS}

    def volumes(self) -> dict[str, dict[str, int]]:
        """Records per volume (or text source) and kind, read from metadata."""
        table: dict[str, dict[str, int]] = {}
        for kind in KINDS:
            for meta in self._metadatas(kind):
                volume = str(meta.get("volume") or "(series profile)")
                table.setdefault(volume, {}).setdefault(kind, 0)
                table[volume][kind] += 1
        return table

    def _metadatas(self, kind: Kind) -> Iterator[dict[str, Any]]:
        col, offset = self.collection(kind), 0
        while True:
            page = col.get(limit=PAGE, offset=offset, include=["metadatas"])
            if not page["ids"]:
                return
            yield from (dict(m) for m in page["metadatas"] or [])
            offset += len(page["ids"])

    @property
    def profile(self) -> SeriesProfile | None:
        """The series profile of `settings.series`, for alias resolution; None when it is not shipped."""
        if self._profile is False:
            from tools.series.profile import load_profile

            try:
                self._profile = load_profile(self.series)
            except Exception:  # noqa: BLE001 — a store without a profile still works, names stay as given
                self._profile = None
        return self._profile  # type: ignore[return-value]

    def canonical(self, name: str) -> str:
        """A character's canonical name (an alias such as `Aquila della Notte` becomes `Tex`)."""
        profile = self.profile
        found = profile.find(name) if profile is not None else None
        return found.name if found is not None else name.strip()


def _persistent_client(path: Path) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    except (OSError, ValueError, RuntimeError) as exc:
        raise MemoryStoreError(f"{path}: cannot open the memory there ({exc})") from exc


def _http_client(host: str, port: int) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        return chromadb.HttpClient(host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False))
    except (ValueError, OSError, RuntimeError) as exc:
        raise MemoryStoreError(
            f"no Chroma server answers at {host}:{port} ({exc}); start one with "
            f"`nuvola memory serve` or `chroma run --path DIR --host {host} --port {port}`, "
            'or set memory.mode = "embedded"'
        ) from exc


def _fetch(col: Collection, ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Documents and metadata of rows by id (Chroma returns them in its own order)."""
    if not ids:  # Chroma rejects an empty id list; a query that matched nothing has nothing to fetch
        return {}
    rows = col.get(ids=ids, include=["documents", "metadatas"])
    docs, metas = rows["documents"] or [], rows["metadatas"] or []
    return {i: (doc, dict(meta)) for i, doc, meta in zip(rows["ids"], docs, metas, strict=True)}


def _by_kind(items: Iterable[Any]) -> dict[Kind, list[Any]]:
    grouped: dict[Kind, list[Any]] = {}
    for item in items:
        grouped.setdefault(item.kind, []).append(item)
    return grouped


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
