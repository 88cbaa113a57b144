"""Where chat sessions live: NUVOLA_HOME/chats/<id>/ with the story graph's SQLite thread, the session's
own record (session.json) and the transcript (transcript.jsonl)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from agent.runs import new_run_id
from tools.atomic import write_text_atomic
from tools.errors import InputFileError, NuvolaError
from tools.settings import Settings

CHATS = "chats"


class SessionNotFoundError(NuvolaError):
    """--resume or /load names a chat session that does not exist."""


@dataclass(frozen=True)
class SessionPaths:
    """The files of one chat session."""

    root: Path

    @classmethod
    def of(cls, settings: Settings, session_id: str) -> SessionPaths:
        return cls(Path(settings.home) / CHATS / session_id)

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints.sqlite"

    @property
    def meta(self) -> Path:
        return self.root / "session.json"

    @property
    def transcript(self) -> Path:
        return self.root / "transcript.jsonl"

    @property
    def run_log(self) -> Path:
        return self.root / "run_log.jsonl"

    @property
    def render(self) -> Path:
        return self.root / "render"


class SessionMeta(BaseModel):
    """What the chat keeps beside the graph thread: where the user stands, and how to step back."""

    id: str
    created: str = Field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    updated: str = ""
    lang: str = "it"
    """The language the assistant answers in (the user's, as last detected)."""
    storyline: str = ""
    title: str = ""
    pages: int = 0
    seed: int = 0
    out_dir: str = ""
    """Where the finished script.json / script.md go."""
    models: dict[str, str] = Field(default_factory=dict)
    """Model overrides chosen with /model (or --model), by role."""
    head: str | None = None
    """The graph checkpoint the user is looking at (None: the thread's latest)."""
    undo: list[str] = Field(default_factory=list)
    """Checkpoints to go back to, oldest first (/undo pops the last)."""
    undo_labels: list[str] = Field(default_factory=list)
    """What each undo step takes back, in words."""
    focus: str = "outline"
    """The item /edit opens: "outline", "scene:N" or "page:N"."""
    stage: str = "new"
    """Where the story stands (for --list): new, outline, scene N/M, stopped, done."""
    written_pages: int = 0


def new_session_id() -> str:
    return new_run_id()


def save_meta(paths: SessionPaths, meta: SessionMeta) -> None:
    """Write session.json atomically, stamping the update time."""
    meta.updated = datetime.now().isoformat(timespec="seconds")
    write_text_atomic(paths.meta, meta.model_dump_json(indent=2) + "\n")


def load_meta(paths: SessionPaths) -> SessionMeta:
    """The session record; a missing session is a SessionNotFoundError, a corrupt one an InputFileError."""
    if not paths.meta.is_file():
        raise SessionNotFoundError(
            f"no chat session {paths.id!r} under {paths.root.parent} (see `nuvola chat --list`)"
        )
    try:
        return SessionMeta.model_validate_json(paths.meta.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise InputFileError(paths.meta, f"not a chat session record ({exc})") from exc


def list_sessions(settings: Settings) -> list[SessionMeta]:
    """Every saved session, most recently updated first (unreadable records are skipped)."""
    root = Path(settings.home) / CHATS
    found = []
    for folder in sorted(root.glob("*/session.json")) if root.is_dir() else []:
        try:
            found.append(load_meta(SessionPaths(folder.parent)))
        except NuvolaError:
            continue
    return sorted(found, key=lambda m: m.updated or m.created, reverse=True)


def resolve_session_id(settings: Settings, wanted: str) -> str:
    """`last` means the most recently updated session; any other id is taken as given."""
    if wanted != "last":
        return wanted
    sessions = list_sessions(settings)
    if not sessions:
        raise SessionNotFoundError(
            f"no chat session under {Path(settings.home) / CHATS} yet: start one with `nuvola chat`"
        )
    return sessions[0].id
