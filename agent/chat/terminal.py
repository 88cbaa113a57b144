"""Reading what the user types: prompt_toolkit on a terminal (history, command completion, Alt+Enter for a
new line, pasted text kept whole), plain lines otherwise (pipes, tests). Either way a line ending with a
backslash goes on to the next line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TextIO

PROMPTS = {"it": "tu> ", "en": "you> "}
MORE = "... "


class LineReader(Protocol):
    def read(self, prompt: str) -> str | None:
        """The next message (possibly several lines); None at end of input (Ctrl-D). Ctrl-C raises
        KeyboardInterrupt."""


def _joined(first: str, more: Callable[[], str | None]) -> str:
    lines = [first]
    while lines[-1].endswith("\\"):
        lines[-1] = lines[-1][:-1]
        nxt = more()
        if nxt is None:
            break
        lines.append(nxt)
    return "\n".join(lines)


class PlainReader:
    """Lines from a stream, echoed after the prompt so the session reads as a conversation."""

    def __init__(self, stream: TextIO | None = None, echo: TextIO | None = None):
        self.stream = stream
        self.echo = echo

    def _line(self, prompt: str) -> str | None:
        stream = self.stream or sys.stdin
        out = self.echo or sys.stdout
        line = stream.readline()
        if not line:
            return None
        line = line.rstrip("\n").rstrip("\r")
        out.write(f"{prompt}{line}\n")
        out.flush()
        return line

    def read(self, prompt: str = PROMPTS["it"]) -> str | None:
        first = self._line(prompt)
        return None if first is None else _joined(first, lambda: self._line(MORE))


class PromptReader:
    """prompt_toolkit input: Enter sends, Alt+Enter (Esc Enter) adds a line, Tab completes commands."""

    def __init__(self, history: Path, commands: list[str], *, input: Any = None, output: Any = None):
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import WordCompleter
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings

        bindings = KeyBindings()

        @bindings.add("escape", "enter")
        def _newline(event: object) -> None:
            event.current_buffer.insert_text("\n")  # type: ignore[attr-defined]

        history.parent.mkdir(parents=True, exist_ok=True)
        self.session: PromptSession[str] = PromptSession(
            history=FileHistory(str(history)),
            completer=WordCompleter(commands, sentence=True),
            key_bindings=bindings,
            complete_while_typing=False,
            input=input,
            output=output,
        )

    def _line(self, prompt: str) -> str | None:
        try:
            return self.session.prompt(prompt)
        except EOFError:
            return None

    def read(self, prompt: str = PROMPTS["it"]) -> str | None:
        first = self._line(prompt)
        return None if first is None else _joined(first, lambda: self._line(MORE))


def make_reader(history: Path, commands: list[str]) -> LineReader:
    """prompt_toolkit when both ends are a terminal, plain lines otherwise."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return PromptReader(history, commands)
    return PlainReader()
