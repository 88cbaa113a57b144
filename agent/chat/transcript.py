"""The session transcript: every user turn and every answer as plain text, one JSON line each, appended as
it happens (so a killed session keeps what was said)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Role = Literal["user", "assistant", "step"]


@dataclass
class Turn:
    """One entry: who spoke, what, when; `kind` says what the answer was (outline, page, lookup...)."""

    role: Role
    text: str
    kind: str = ""
    t: float = 0.0


class Transcript:
    """Append-only JSONL transcript of one session."""

    def __init__(self, path: Path):
        self.path = path

    def add(self, role: Role, text: str, kind: str = "") -> Turn:
        turn = Turn(role=role, text=text, kind=kind, t=round(time.time(), 3))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(turn), ensure_ascii=False) + "\n")
        return turn

    def turns(self) -> list[Turn]:
        """Every entry; a line cut short by a kill is skipped."""
        if not self.path.is_file():
            return []
        turns = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                turns.append(Turn(**json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue
        return turns

    def conversation(self, limit: int = 8) -> list[Turn]:
        """The last `limit` user and assistant turns (no progress steps), for a chat model's context."""
        spoken = [t for t in self.turns() if t.role != "step"]
        return spoken[-limit:]
