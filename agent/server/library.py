"""What the web server reads directly (the worker does all the writing): the catalogue, the memory, the
delivered issues and the chat sessions, through their public library calls. Every file it hands out is
found from an id and checked to lie inside NUVOLA_HOME; no request names a path."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agent.server.errors import ApiError
from agent.server.jobs import SAFE_ID, JobStore
from agent.server.worker import MEMORY_COUNTER, issue_dir
from tools.settings import Settings

PAGE_ID = re.compile(r"^[0-9a-f]{16,64}$")
DOWNLOADS = {
    "cbz": ("issue.cbz", "application/vnd.comicbook+zip"),
    "pdf": ("issue.pdf", "application/pdf"),
    "md": ("script.md", "text/markdown; charset=utf-8"),
    "json": ("script.json", "application/json"),
}


def checked_id(value: str, what: str = "id") -> str:
    """A run, job or session id fit for a file name; 404 otherwise (it cannot name anything)."""
    if not SAFE_ID.match(value):
        raise ApiError(404, f"no {what} {value!r}")
    return value


class Library:
    """Read-only views over one data home, for the routes."""

    def __init__(self, settings: Settings, jobs: JobStore):
        self.settings = settings
        self.home = Path(settings.home).resolve()
        self.jobs = jobs
        self.memory = MemoryReader(settings, lambda: jobs.counter(MEMORY_COUNTER))
        self._local = threading.local()

    def inside_home(self, path: Path) -> Path:
        """`path` resolved, if it is a file inside the data home; 404 otherwise."""
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(self.home) or not resolved.is_file():
            raise ApiError(404, "no such file")
        return resolved

    # ---- the catalogue -------------------------------------------------------------------------
    def catalogue(self) -> Any | None:
        """This thread's catalogue connection; None before anything was ingested."""
        from tools.ingest.catalogue import CATALOGUE_FILE, Catalogue

        if not (self.home / CATALOGUE_FILE).is_file():
            return None
        if getattr(self._local, "catalogue", None) is None:
            self._local.catalogue = Catalogue(self.home / CATALOGUE_FILE)
        return self._local.catalogue

    def volumes(self) -> list[dict[str, Any]]:
        catalogue = self.catalogue()
        if catalogue is None:
            return []
        return [
            {"name": v.name, "source": v.source, **asdict(catalogue.stats(v.name))}
            for v in catalogue.volumes()
        ]

    def pages(self, volume: str) -> list[dict[str, Any]]:
        catalogue = self.catalogue()
        if catalogue is None:
            raise ApiError(404, f"no volume {volume!r}: nothing has been read yet")
        return [
            {"id": p.id, "index": p.page_index, "source": p.source_name, "width": p.width, "height": p.height}
            for p in catalogue.pages(volume)
        ]

    def _page_record(self, page_id: str) -> Any:
        catalogue = self.catalogue()
        page = catalogue.page(page_id) if catalogue is not None and PAGE_ID.match(page_id) else None
        if page is None:
            raise ApiError(404, f"no page {page_id!r}")
        return catalogue, page

    def page(self, page_id: str) -> dict[str, Any]:
        """A page with its panels and balloons (boxes in page pixels, transcripts, speakers)."""
        catalogue, page = self._page_record(page_id)
        volume = next((v.name for v in catalogue.volumes() if v.id == page.volume_id), None)
        panels = [
            {"id": p.id, "order": p.reading_order, "box": list(p.box)} for p in catalogue.panels(page_id)
        ]
        balloons = [
            {
                "id": b.id,
                "panel": b.panel_id,
                "order": b.reading_order,
                "kind": b.kind,
                "box": list(b.box),
                "text": b.text,
                "lines": b.lines,
                "confidence": b.ocr_confidence,
                "speaker": b.speaker,
            }
            for b in catalogue.balloons(page_id)
        ]
        return {
            "id": page.id,
            "volume": volume,
            "index": page.page_index,
            "source": page.source_name,
            "width": page.width,
            "height": page.height,
            "panels": panels,
            "balloons": balloons,
        }

    def page_image(self, page_id: str) -> Path:
        catalogue, page = self._page_record(page_id)
        return self.inside_home(catalogue.image_file(page))

    # ---- issues: a write job's folder, or a chat session's drawn pages -------------------------
    def issues(self) -> list[dict[str, Any]]:
        return [self.issue(job.id) for job in self.jobs.jobs("write")]

    def issue(self, run_id: str) -> dict[str, Any]:
        """A write job with what it delivered so far: title, pages drawn, files to download."""
        job = self.jobs.get(checked_id(run_id, "issue"))
        if job.kind != "write":
            raise ApiError(404, f"no issue {run_id!r}")
        folder = issue_dir(self.settings, run_id)
        script = _json_or_none(folder / "script.json")
        return {
            "id": run_id,
            "status": job.status,
            "error": job.error,
            "plot": job.params.get("plot"),
            "title": script.get("title") if script else None,
            "created": job.created,
            **self._drawn(folder),
        }

    def drawn_folder(self, kind: str, item_id: str) -> Path:
        """Where the drawn pages of an issue (`issue`) or of a chat session (`chat`) are."""
        if kind == "issue":
            self.issue(item_id)  # 404 unless it is a write job
            return issue_dir(self.settings, item_id)
        return self._session_folder(item_id)

    def _drawn(self, folder: Path) -> dict[str, Any]:
        return {
            "pages": len(_page_files(folder)),
            "downloads": [fmt for fmt, (name, _) in DOWNLOADS.items() if (folder / name).is_file()],
        }

    def drawn_page(self, kind: str, item_id: str, number: int) -> Path:
        pages = _page_files(self.drawn_folder(kind, item_id))
        if not 1 <= number <= len(pages):
            raise ApiError(404, f"{item_id!r} has no drawn page {number} ({len(pages)} drawn)")
        return self.inside_home(pages[number - 1])

    def drawn_file(self, kind: str, item_id: str, fmt: str) -> tuple[Path, str, str]:
        if fmt not in DOWNLOADS:
            raise ApiError(404, f"no download {fmt!r}; there are {', '.join(DOWNLOADS)}")
        name, media = DOWNLOADS[fmt]
        return self.inside_home(self.drawn_folder(kind, item_id) / name), media, f"{item_id}-{name}"

    # ---- chat sessions -------------------------------------------------------------------------
    def sessions(self) -> list[dict[str, Any]]:
        from agent.chat.session import session_title
        from agent.chat.sessions import list_sessions

        return [
            {
                **m.model_dump(include={"id", "updated", "stage", "pages", "written_pages"}),
                "title": session_title(m),
            }
            for m in list_sessions(self.settings)
        ]

    def session(self, session_id: str) -> dict[str, Any]:
        """A session's record, its transcript (what was said, as the terminal showed it) and what is drawn."""
        from dataclasses import asdict as turn_dict

        from agent.chat.sessions import SessionPaths, load_meta
        from agent.chat.transcript import Transcript

        paths = SessionPaths.of(self.settings, checked_id(session_id, "chat session"))
        meta = load_meta(paths)
        turns = [turn_dict(t) for t in Transcript(paths.transcript).turns()]
        return {
            "id": meta.id,
            "title": meta.title,
            "stage": meta.stage,
            "pages": meta.pages,
            "written_pages": meta.written_pages,
            "storyline": meta.storyline,
            "turns": turns,
            "drawn": self._drawn(self._session_folder(session_id)),
        }

    def _session_folder(self, session_id: str) -> Path:
        """The delivered issue of a session (its out_dir) when drawn, else what /render drew."""
        from agent.chat.sessions import SessionPaths, load_meta

        paths = SessionPaths.of(self.settings, checked_id(session_id, "chat session"))
        delivered = Path(load_meta(paths).out_dir or paths.root)
        return delivered if _page_files(delivered) or not _page_files(paths.render) else paths.render


def _page_files(folder: Path) -> list[Path]:
    pages = Path(folder) / "pages"
    return sorted(pages.glob("page_*.png")) if pages.is_dir() else []


class MemoryReader:
    """Memory search for the server. In embedded mode Chroma keeps each process's index in memory, so
    after the worker has written the memory the store is opened again before the next search."""

    def __init__(self, settings: Settings, writes: Callable[[], int]):
        self.settings = settings
        self.writes = writes
        self._store: Any = None
        self._seen = -1
        self._lock = ReadWriteLock()

    def search(
        self, query: str, kind: str | None, character: str | None, volume: str | None, k: int
    ) -> list[Any]:
        from memory.retrieval import search

        self._refresh()
        with self._lock.reading():
            if self._store is None:
                return []
            return search(self._store, query, kind=kind, character=character, volume=volume, k=k)  # type: ignore[arg-type]

    def warm(self) -> None:
        """Open the memory and load the embedder before the first search needs them."""
        self._refresh()
        with self._lock.reading():
            if self._store is not None:
                self._store.embed_query("Tex")

    def _refresh(self) -> None:
        count = self.writes()
        if count == self._seen:
            return
        with self._lock.writing():
            if count == self._seen:
                return
            self._store = self._open()
            self._seen = count

    def _open(self) -> Any:
        from agent.context import open_memory

        if self.settings.memory.mode == "embedded" and self._store is not None:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()  # drop this process's stale index; reload from disk
        return open_memory(self.settings)


class ReadWriteLock:
    """Many readers at once, or one writer alone."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and self._readers == 0)
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


def _json_or_none(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
