"""The reading route's run context: the shared RunContext plus the catalogue and the reading models."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from agent.context import RunContext


@dataclass
class ReadContext(RunContext):
    """Handles of a reading run (never checkpointed); models injected by role win over the settings."""

    scale: Any = None
    """tools.ingest.distributed.ScaleOptions: read pages as Ray tasks (None: one process)."""
    progress: Any = None
    """tools.ingest.distributed.PageProgress: per-volume page progress of a run on Ray."""

    @contextmanager
    def catalogue(self) -> Iterator[Any]:
        """The ingest catalogue of the data home, open for one stage."""
        from tools.ingest.catalogue import Catalogue

        with Catalogue.open(self.settings) as catalogue:
            yield catalogue

    def ocr_engine(self, name: str | None) -> Any:
        """The OCR engine(s) for `name` (default: the `ocr` role); an injected `ocr` model wins."""
        if "ocr" in self.models:
            return self.models["ocr"]
        from tools.ocr.registry import get_ocr_engine

        return get_ocr_engine(name, self.settings)

    def role_model(self, role: str) -> Any | None:
        """An injected model for `role`, or None: the library then builds the configured one itself."""
        return self.models.get(role)

    def timed(self, call: str, run: Callable[[], Any]) -> Any:
        """Run a library call, logging its seconds under the current stage."""
        start = time.perf_counter()
        result = run()
        self.log.event("library", call=call, seconds=round(time.perf_counter() - start, 4))
        return result
