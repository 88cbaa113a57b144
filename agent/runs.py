"""What every run graph shares: where a run lives (NUVOLA_HOME/runs/<run_id>/), its id, the node-logging
wrapper that puts each node's events into the run log and the state, and the per-key state reducer."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.errors import NuvolaError
from tools.settings import Settings

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

StageKey = Callable[[str, Any], str]
"""`stage_key(node_name, state) -> the run-log key of this node run` (e.g. "narrate:2", "ocr:albo")."""


class RunNotFoundError(NuvolaError):
    """--resume names a run that does not exist under NUVOLA_HOME/runs."""


class RunExistsError(NuvolaError):
    """A new run was given the id of an existing one."""


class RunInterrupted(NuvolaError):
    """The graph asked the user a question but nobody can answer it (not interactive)."""


@dataclass(frozen=True)
class RunPaths:
    """Where a run keeps its checkpoints, run log and request."""

    root: Path

    @classmethod
    def of(cls, settings: Settings, run_id: str) -> RunPaths:
        return cls(settings.home / "runs" / run_id)

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints.sqlite"

    @property
    def run_log(self) -> Path:
        return self.root / "run_log.jsonl"

    @property
    def request(self) -> Path:
        return self.root / "run.json"


def new_run_id() -> str:
    """A sortable, unique run id: date-time plus a short random suffix."""
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def merge_by_key(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer for per-scene (per-volume) results: a node adds or replaces the entries it wrote."""
    return {**(left or {}), **(right or {})}


def logged(name: str, node: Callable[..., Mapping[str, Any]], stage_key: StageKey) -> Any:
    """Wrap a node so its start, end and the events it recorded reach the run log and the state.

    (Typed Any: LangGraph's node protocols do not cover a plain (state, runtime) callable.)
    """

    @functools.wraps(node)
    def run(state: Any, runtime: Runtime[Any]) -> dict[str, Any]:
        log = runtime.context.log
        log.set_stage(stage_key(name, state))
        log.event("node_start", node=name)
        start = time.perf_counter()
        update = node(state, runtime)
        log.event("node_end", node=name, seconds=round(time.perf_counter() - start, 4))
        return {**update, "run_log": log.drain()}

    return run
