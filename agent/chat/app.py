"""The chat loop: read a message, do it, until /quit or Ctrl-D; Ctrl-C at the prompt clears the line, during
writing it stops the writing (the session goes on). /load and "nuova storia" switch sessions in place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.language_models import BaseLLM
from rich.console import Console

from agent.chat.commands import Editor, Outcome, handle, open_in_editor
from agent.chat.session import ChatSession, session_title
from agent.chat.sessions import CHATS
from agent.chat.terminal import PROMPTS, LineReader
from tools.errors import NuvolaError
from tools.settings import Settings


@dataclass
class ChatApp:
    """Opens sessions with the same settings and models, and runs the loop over them."""

    settings: Settings
    console: Console
    pages: int = 1
    seed: int = 0
    out_dir: Path | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    models: dict[str, BaseLLM] = field(default_factory=dict)
    editor: Editor = open_in_editor

    def new(self, lang: str = "it") -> ChatSession:
        session = ChatSession.create(
            self.settings,
            self.console,
            pages=self.pages,
            seed=self.seed,
            out_dir=self.out_dir,
            lang=lang,
            models=self.models,
            overrides=self.overrides,
        )
        session.view.say("welcome", style="bold", id=session.meta.id)
        self._models_line(session)
        return session

    def resume(self, session_id: str) -> ChatSession:
        session = ChatSession.open(
            self.settings, session_id, self.console, models=self.models, overrides=self.overrides
        )
        session.view.say("resumed", style="bold", id=session.meta.id, title=session_title(session.meta))
        self._models_line(session)
        session.show_stage()
        session.save()
        return session

    def _models_line(self, session: ChatSession) -> None:
        roles = ("narrator", "director", "voice", "chat")
        models = ", ".join(f"{role}={session.settings.model_for(role)}" for role in roles)
        memory = session.view.text("memory_open" if session.store is not None else "memory_none")
        session.view.say("models_line", style="dim", models=models, memory=memory)

    @property
    def history(self) -> Path:
        return Path(self.settings.home) / CHATS / "history.txt"

    def run(self, session: ChatSession, reader: LineReader) -> ChatSession:
        """Talk until the user leaves; returns the session that was open at the end (saved)."""
        while True:
            try:
                text = reader.read(PROMPTS.get(session.meta.lang, PROMPTS["it"]))
            except KeyboardInterrupt:
                session.view.console.print("[dim](Ctrl-D, /quit)[/]")
                continue
            if text is None:
                break
            if not text.strip() and session.stage().kind not in ("outline", "scene"):
                continue
            try:
                outcome = handle(session, text, self.editor)
            except NuvolaError as exc:
                session.view.say("error", style="red", error=str(exc))
                continue
            if outcome.quit:
                break
            session = self._switch(session, outcome)
        session.view.say("goodbye", id=session.meta.id)
        session.close()
        return session

    def _switch(self, session: ChatSession, outcome: Outcome) -> ChatSession:
        """Another session in place of this one (this one is saved first)."""
        if outcome.load is None and outcome.new_story is None:
            return session
        try:
            if outcome.load is not None:
                other = ChatSession.open(
                    self.settings, outcome.load, self.console, models=self.models, overrides=self.overrides
                )
            else:
                other = self.new(session.meta.lang)
        except NuvolaError as exc:
            session.view.say("error", style="red", error=str(exc))
            return session
        old = session.meta.id
        session.close()
        if outcome.load is not None:
            other.view.say("loaded", id=other.meta.id)
            other.show_stage()
        else:
            other.view.say("new_session", id=other.meta.id, old=old)
            intent = outcome.new_story
            if intent is not None and len(intent.note.split()) >= 4:
                from agent.chat.commands import story_from

                story_from(other, intent)
        other.save()
        return other
