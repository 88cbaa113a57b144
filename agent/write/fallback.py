"""Deterministic fallbacks: when a model's output stays unusable after repair, the writers fill the gap
from fixed material (prompts/writer/fallbacks.yaml) and say so, or fail clearly in strict mode."""

from __future__ import annotations

import re
from typing import Any

from agent.write.context import WriteContext
from tools.errors import StructuredOutputError


def use_fallback(ctx: WriteContext, where: str, what: str, error: Exception | str) -> dict[str, Any]:
    """Record that `what` at `where` was written by a fallback; in strict mode raise instead."""
    reason = " ".join(str(error).split())[:240]
    if ctx.strict:
        raise StructuredOutputError(f"{where}: the model's {what} stayed unusable after repair ({reason})")
    entry = {"where": where, "what": what, "reason": reason}
    ctx.log.event("fallback", **entry)
    return entry


PARTS = ("title", "outline", "beats", "shots", "lines")
"""The parts of a script a fallback may write, as the benchmark and the command summaries count them."""


def fallback_counts(script: Any) -> dict[str, tuple[int, int]]:
    """Per part of an IssueScript: (parts written by a fallback, parts in the script)."""
    panels = script.panels
    speech = [b for p in panels for b in p.balloons if b.kind != "caption"]
    found = dict.fromkeys(PARTS, 0)
    for note in script.fallbacks:
        what = note.what
        if what == "title":
            found["title"] += 1
        elif what == "outline scene":
            found["outline"] += 1
        elif m := re.match(r"(\d+) beat", what):
            found["beats"] += int(m.group(1))
        elif what == "shot and speakers":
            found["shots"] += 1
        elif what.endswith("'s line"):
            found["lines"] += 1
    totals = {
        "title": 1,
        "outline": len(script.scenes),
        "beats": len(panels),
        "shots": len(panels),
        "lines": len(speech),
    }
    return {part: (found[part], totals[part]) for part in PARTS}


def fallback_summary(script: Any) -> str:
    """One line for a command's summary: how much of each part a fallback wrote."""
    return "  ".join(
        f"{part} {n}/{total} ({n / total:.0%})" if total else f"{part} –"
        for part, (n, total) in fallback_counts(script).items()
    )


def failed_calls(events: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per writer role in a run log: (model calls whose output stayed unusable, calls)."""
    found: dict[str, list[int]] = {}
    for event in events:
        if event.get("kind") == "llm":
            counts = found.setdefault(str(event.get("role")), [0, 0])
            counts[0] += event.get("status") == "failed"
            counts[1] += 1
    return {role: (n, total) for role, (n, total) in found.items()}
