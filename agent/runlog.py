"""The run log: every node, model call, tool call and fallback of a run, as JSON lines on disk.

Events are appended and flushed as they happen (so a killed run leaves its trace in
`runs/<run_id>/run_log.jsonl`) and buffered until the node that produced them returns, which puts them
into the checkpointed state too.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any


class RunLog:
    """Append-only event recorder for one run; `drain()` hands the events of the current node to the state."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stage = ""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def stage(self) -> str:
        """The node key events are attributed to (e.g. "narrate:2")."""
        return self._stage

    def set_stage(self, key: str) -> None:
        self._stage = key

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Record one event: written to the file at once, kept for the node's state update."""
        record = {"t": round(time.time(), 3), "kind": kind, "stage": self._stage, **fields}
        with self._lock:
            self._buffer.append(record)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return record

    def drain(self) -> list[dict[str, Any]]:
        """The events recorded since the last drain."""
        with self._lock:
            events, self._buffer = self._buffer, []
        return events


def read_run_log(path: Path) -> list[dict[str, Any]]:
    """Events of a run log file; a line cut short by a kill is skipped."""
    events: list[dict[str, Any]] = []
    if not path.is_file():
        return events
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events
