"""Deterministic fallbacks: when a model's output stays unusable after repair, the writers fill the gap
from fixed material (prompts/writer/fallbacks.yaml) and say so, or fail clearly in strict mode."""

from __future__ import annotations

from typing import Any

from agent.context import WriteContext
from tools.errors import StructuredOutputError


def use_fallback(ctx: WriteContext, where: str, what: str, error: Exception | str) -> dict[str, Any]:
    """Record that `what` at `where` was written by a fallback; in strict mode raise instead."""
    reason = " ".join(str(error).split())[:240]
    if ctx.strict:
        raise StructuredOutputError(f"{where}: the model's {what} stayed unusable after repair ({reason})")
    entry = {"where": where, "what": what, "reason": reason}
    ctx.log.event("fallback", **entry)
    return entry
