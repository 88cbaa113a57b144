"""What the user sees: outline, scenes, pages and answers as rich text on the terminal, and the same words,
as plain text, in the session transcript."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from agent.characters import speaker_label
from agent.chat.messages import message
from agent.chat.transcript import Transcript

FALLBACK = "†"
UNWRAPPED = {"render_paths", "saved", "saved_script", "finished", "goodbye"}


class View:
    """Prints to the console and records to the transcript; `lang` is read at each message."""

    def __init__(self, console: Console, transcript: Transcript, lang: Callable[[], str]):
        self.console = console
        self.transcript = transcript
        self._lang = lang
        self._stream: list[str] = []

    @property
    def lang(self) -> str:
        return self._lang()

    def text(self, key: str, **values: Any) -> str:
        return message(key, self.lang, **values)

    def say(self, key: str, *, style: str = "", kind: str = "", **values: Any) -> str:
        """Print and record the message `key`; messages naming files are not wrapped (paths stay whole)."""
        text = self.text(key, **values)
        self.show(Text(text, style=style), kind=kind or key, wrap=key not in UNWRAPPED)
        return text

    def show(self, text: Text, kind: str = "", wrap: bool = True) -> None:
        self.console.print(text, soft_wrap=not wrap)
        self.transcript.add("assistant", text.plain, kind)

    def user(self, text: str) -> None:
        self.transcript.add("user", text)

    def step(self, label: str, seconds: float) -> None:
        self.console.print(f"[green]✓[/] {escape(label)} [dim]({seconds:.1f}s)[/]", soft_wrap=True)
        self.transcript.add("step", label)

    def token(self, piece: str) -> None:
        """One streamed piece of a chat model's answer, printed as it comes."""
        if not self._stream:
            self.console.print("[bold cyan]nuvola>[/] ", end="")
        self._stream.append(piece)
        self.console.print(Text(piece), end="", soft_wrap=True)

    def end_stream(self, suffix: str = "") -> str:
        """Close a streamed answer (with e.g. "[stopped]") and record it."""
        answer = "".join(self._stream).strip()
        self.console.print(Text(f" {suffix}" if suffix else "", style="yellow"))
        self._stream = []
        self.transcript.add("assistant", (answer + (f" {suffix}" if suffix else "")).strip(), "chat")
        return answer


class Timer:
    """Seconds since the last step (progress lines show how long each node took)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        return seconds


def outline_text(values: dict[str, Any]) -> Text:
    """The title and the numbered scenes: place, time, pages, cast, goal, conflict, turn."""
    out = Text()
    out.append(f"{values.get('title') or '…'}\n", style="bold")
    fallen = {str(f["where"]) for f in values.get("fallbacks") or [] if f.get("what") == "outline scene"}
    for scene in values.get("outline") or []:
        mark = f" {FALLBACK}" if f"scene {scene['index'] + 1}" in fallen else ""
        out.append(f"{scene['index'] + 1}. ", style="bold")
        out.append(f"{scene['place']}", style="bold")
        cast = ", ".join(scene.get("cast", []))
        out.append(f", {scene.get('time', '')} ({pages_label(scene.get('pages', []))}) — {cast}{mark}\n")
        for label, key in (("obiettivo", "goal"), ("conflitto", "conflict"), ("svolta", "turn")):
            if scene.get(key):
                out.append(f"   {label}: ", style="dim")
                out.append(f"{scene[key]}\n")
    out.rstrip()
    return out


def pages_label(pages: list[int]) -> str:
    if not pages:
        return "–"
    return f"p. {pages[0]}" if len(pages) == 1 else f"pp. {pages[0]}–{pages[-1]}"


def scene_text(values: dict[str, Any], index: int, not_written: str) -> Text:
    """One scene: its outline entry, the narrator's captions and actions, and its pages' dialogue."""
    scene = values["outline"][index]
    out = Text()
    out.append(f"Scena {index + 1}: {scene['place']}, {scene.get('time', '')} ", style="bold")
    out.append(f"({pages_label(scene.get('pages', []))})\n")
    for label, key in (("obiettivo", "goal"), ("conflitto", "conflict"), ("svolta", "turn")):
        if scene.get(key):
            out.append(f"   {label}: ", style="dim")
            out.append(f"{scene[key]}\n")
    beats = (values.get("scene_beats") or {}).get(str(index), {}).get("beats", [])
    for beat in beats:
        if beat.get("caption"):
            out.append(f"   DIDASCALIA: {beat['caption']}\n", style="italic")
        out.append(f"   · {beat['action']}\n")
    dialogue = (values.get("scene_dialogue") or {}).get(str(index))
    if dialogue is None:
        out.append(f"   {not_written}\n", style="dim")
    else:
        for page in dialogue["pages"]:
            out.append_text(page_text(page, flagged_panels(values)))
            out.append("\n")
    out.rstrip()
    return out


def flagged_panels(values: dict[str, Any]) -> set[str]:
    """Panel ids where a fallback wrote something (shown with a dagger)."""
    return {
        str(f["where"]).split()[0] for f in values.get("fallbacks") or [] if str(f["where"]).startswith("p")
    }


def page_text(page: dict[str, Any], flagged: set[str] | None = None) -> Text:
    """A page tier by tier: each panel's id, shot and action, then its caption and balloons."""
    flagged = flagged or set()
    out = Text()
    out.append(f"Tavola {page['number']}\n", style="bold underline")
    for number, tier in enumerate(page["tiers"], start=1):
        out.append(f" striscia {number}\n", style="dim")
        for panel in tier["panels"]:
            mark = f" {FALLBACK}" if panel["id"] in flagged else ""
            out.append(f"  [{panel['id']}] ", style="dim")
            out.append(f"{panel.get('shot', '')}", style="magenta")
            out.append(f" — {panel.get('description', '')}{mark}\n")
            for balloon in panel.get("balloons", []):
                if balloon["kind"] == "caption":
                    out.append(f"     DIDASCALIA: {balloon['text']}\n", style="italic")
                else:
                    out.append(f"     {speaker_label(balloon.get('speaker') or '?')}: ", style="bold cyan")
                    out.append(f"{balloon['text']}\n")
    out.rstrip()
    return out
