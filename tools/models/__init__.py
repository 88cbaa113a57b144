"""The model seam: every model Nuvola uses is created here from a name (see registry.py)."""

from tools.models.registry import clear_cache, get_chat_model, get_embedder, get_llm
from tools.models.spec import ModelSpec, parse_model_name
from tools.models.structured import (
    at_line_ends,
    generate_parsed,
    generate_structured,
    parse_labelled_lines,
)

__all__ = [
    "at_line_ends",
    "ModelSpec",
    "clear_cache",
    "generate_parsed",
    "generate_structured",
    "get_chat_model",
    "get_embedder",
    "get_llm",
    "parse_labelled_lines",
    "parse_model_name",
]
