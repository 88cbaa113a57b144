"""What a message does: slash commands first, then the rule-based intents, read by where the story stands
(a storyline before there is a story, a note for the narrator at the outline, a rewrite note at a scene)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from agent.chat import freechat, voice_samples
from agent.chat.intents import Intent, detect, without_page_count
from agent.chat.session import ChatSession, session_title
from agent.chat.sessions import list_sessions
from agent.chat.story import partial_script
from tools.errors import NuvolaError

Editor = Callable[[str], "str | None"]
MIN_STORY_WORDS = 4
"""A storyline has at least this many words (shorter messages get asked for one)."""


@dataclass
class Outcome:
    """What the loop does after a message: go on, quit, or switch to another (or a new) session."""

    quit: bool = False
    load: str | None = None
    new_story: Intent | None = None


@dataclass(frozen=True)
class SlashCommand:
    name: str
    usage: str
    run: Callable[[ChatSession, str, Editor], Outcome | None]


def open_in_editor(text: str) -> str | None:
    """The text after $EDITOR (VISUAL, EDITOR, else vi) closes; None when it was not saved."""
    try:
        return click.edit(text, extension=".txt", require_save=True)
    except click.ClickException as exc:
        raise NuvolaError(f"could not open an editor ({exc.format_message()}): set $EDITOR") from exc


def _number(session: ChatSession, args: str, usage: str) -> int | None:
    if args.strip().isdigit():
        return int(args.strip())
    session.view.say("usage", usage=usage)
    return None


def _outline(session: ChatSession, args: str, editor: Editor) -> None:
    session.show_outline()


def _scene(session: ChatSession, args: str, editor: Editor) -> None:
    number = _number(session, args, "/scene N")
    if number is not None:
        session.show_scene(number)


def _page(session: ChatSession, args: str, editor: Editor) -> None:
    number = _number(session, args, "/page N")
    if number is not None:
        session.show_page(number)


def _edit(session: ChatSession, args: str, editor: Editor) -> None:
    try:
        session.edit(editor)
    except NuvolaError as exc:
        session.view.say("error", style="red", error=str(exc))


def _undo(session: ChatSession, args: str, editor: Editor) -> None:
    session.undo()


def _voice(session: ChatSession, args: str, editor: Editor) -> None:
    """Sample lines in a character's voice, written by the graph's voice writer."""
    values = session.thread.values
    cast = list(values.get("cast", []))
    name, situation = voice_samples.split_request(args, session.profile, cast)
    if not args.strip():
        session.view.say("usage", usage="/voice PERSONAGGIO [situazione]")
        return
    if name is None:
        known = ", ".join(c.name for c in session.profile.characters)
        session.view.say("voice_unknown", name=args.strip(), series=session.profile.name, known=known)
        return
    stage = session.stage()
    scene = session.focused_scene(stage) if values.get("outline") else None
    session.log.set_stage("voice")
    try:
        with session.working():
            model, samples = voice_samples.sample_lines(session.ctx, values, name, situation, scene)
    except KeyboardInterrupt:
        session.view.say("stopped", style="yellow")
        return
    where = situation or (
        values["outline"][scene]["place"] if scene is not None else voice_samples.DEFAULT_SCENE["place"]
    )
    out = Text(
        session.view.text("voice_header", name=name, model=model, situation=where) + "\n", style="bold"
    )
    for sample in samples:
        out.append(f"  {name.upper()}: {sample.text}")
        out.append(f"  ({session.view.text('voice_fallback')})\n" if sample.fallback else "\n", style="dim")
    out.rstrip()
    session.view.show(out, kind="voice")


def _render(session: ChatSession, args: str, editor: Editor) -> None:
    """Draw the pages written so far and print where the files are."""
    from memory.retrieval import art_lookups
    from tools.render import render_issue

    script = partial_script(session.thread.values, session.ctx, session.meta.id)
    if script is None:
        session.view.say("render_nothing")
        return
    artist = session.settings.model_for("artist")
    color = args.strip().lower() not in ("bn", "bw", "b/n", "b/w")
    count = len(script.pages)
    session.view.say("render_start", pages=count, plural=_plural(session, count), artist=artist)
    started = time.perf_counter()
    catalogue, store = _archives(session, artist)
    try:
        with session.view.console.status("…"):
            result = render_issue(
                script,
                session.paths.render,
                color=color,
                artist=artist,
                seed=script.seed,
                catalogue=catalogue,
                **art_lookups(store),
            )
    except (NuvolaError, KeyboardInterrupt) as exc:
        session.view.say("error", style="red", error=str(exc) or "interrupted")
        return
    session.view.say("render_done", style="green", seconds=f"{time.perf_counter() - started:.1f}")
    rows = [(f"p. {n}", path) for n, path in enumerate(result.pages, start=1)]
    rows += [("CBZ", result.cbz), ("PDF", result.pdf), ("HTML", result.html)]
    for label, path in rows:
        session.view.say("render_paths", label=label, path=str(path), kind="render")


def _plural(session: ChatSession, count: int) -> str:
    if session.meta.lang == "it":
        return "a" if count == 1 else "e"
    return "" if count == 1 else "s"


def _archives(session: ChatSession, artist: str) -> tuple[Any, Any]:
    """Catalogue and memory for the remix artist (it paints from the read pages); none otherwise."""
    if not artist.startswith("remix"):
        return None, None
    from agent.context import open_archives

    def warn(warning: str) -> None:
        session.view.console.print(f"[yellow]{warning}[/]")

    return open_archives(session.settings, artist, warn)


def _save(session: ChatSession, args: str, editor: Editor) -> None:
    from agent.write.deliver import write_outputs

    session.save()
    script = partial_script(session.thread.values, session.ctx, session.meta.id)
    if script is not None:
        _, markdown = write_outputs(script, Path(session.meta.out_dir))
        session.view.say("saved_script", pages=len(script.pages), markdown=str(markdown))
    session.view.say("saved", root=str(session.paths.root), id=session.meta.id)


def _load(session: ChatSession, args: str, editor: Editor) -> Outcome | None:
    if not args.strip():
        session.view.say("usage", usage="/load ID")
        return None
    return Outcome(load=args.strip())


def _sessions(session: ChatSession, args: str, editor: Editor) -> None:
    show_sessions(session)


def show_sessions(session: ChatSession) -> None:
    rows = list_sessions(session.base_settings)
    if not rows:
        session.view.say("sessions_none")
    for meta in rows:
        session.view.say(
            "session_row",
            id=meta.id,
            updated=meta.updated.replace("T", " "),
            stage=meta.stage,
            pages=meta.written_pages,
            title=session_title(meta),
        )


def _model(session: ChatSession, args: str, editor: Editor) -> None:
    parts = args.split(maxsplit=1)
    if len(parts) != 2:
        roles = session.view.text("model_roles", roles=", ".join(session.base_settings.models.roles()))
        session.view.say("usage", usage=f"/model ROLE NAME — {roles}")
        return
    session.set_model(parts[0], parts[1].strip())


def _help(session: ChatSession, args: str, editor: Editor) -> None:
    view = session.view
    out = Text(view.text("help_intro") + "\n")
    for command in COMMANDS.values():
        out.append(f"  {command.usage:<26}", style="bold")
        out.append(view.text(f"cmd_{command.name}") + "\n")
    out.append(view.text("help_multiline"), style="dim")
    view.show(out, kind="help")


def _quit(session: ChatSession, args: str, editor: Editor) -> Outcome:
    return Outcome(quit=True)


COMMANDS: dict[str, SlashCommand] = {
    c.name: c
    for c in (
        SlashCommand("outline", "/outline", _outline),
        SlashCommand("scene", "/scene N", _scene),
        SlashCommand("page", "/page N", _page),
        SlashCommand("voice", "/voice PERSONAGGIO [...]", _voice),
        SlashCommand("edit", "/edit", _edit),
        SlashCommand("undo", "/undo", _undo),
        SlashCommand("render", "/render [bn]", _render),
        SlashCommand("save", "/save", _save),
        SlashCommand("load", "/load ID", _load),
        SlashCommand("sessions", "/sessions", _sessions),
        SlashCommand("model", "/model ROLE NAME", _model),
        SlashCommand("help", "/help", _help),
        SlashCommand("quit", "/quit", _quit),
    )
}
ALIASES = {
    "exit": "quit",
    "q": "quit",
    "esci": "quit",
    "aiuto": "help",
    "scaletta": "outline",
    "tavola": "page",
    "scena": "scene",
    "annulla": "undo",
    "salva": "save",
    "voce": "voice",
    "list": "sessions",
}


def command_words() -> list[str]:
    """Every slash command, for completion."""
    return [f"/{name}" for name in COMMANDS]


def handle(session: ChatSession, text: str, editor: Editor = open_in_editor) -> Outcome:
    """Do what one message asks; the session is saved afterwards."""
    session.hear(text)
    try:
        if text.startswith("/"):
            outcome = _slash(session, text, editor)
        else:
            outcome = _talk(session, text.strip())
    finally:
        session.save()
    return outcome or Outcome()


def _slash(session: ChatSession, text: str, editor: Editor) -> Outcome | None:
    name, _, args = text[1:].partition(" ")
    name = ALIASES.get(name.lower(), name.lower())
    command = COMMANDS.get(name)
    if command is None:
        session.view.say("unknown_command", command=text.split()[0])
        return None
    return command.run(session, args.strip(), editor)


def _talk(session: ChatSession, text: str) -> Outcome | None:
    """A free message: the intent by rules, then by where the story stands."""
    intent = detect(text, session.profile)
    stage = session.stage()
    if intent.kind == "approve":
        session.approve()
    elif intent.kind == "finish":
        session.approve(to_end=True)
    elif intent.kind == "about":
        session.about(intent.subject)
    elif intent.kind == "speaks":
        session.speaks(intent.subject)
    elif intent.kind == "pages":
        session.set_pages(intent.pages or session.meta.pages)
    elif intent.kind == "rewrite":
        session.rewrite(intent.note, intent.dialogue_only)
    elif intent.kind == "new_story":
        if stage.kind != "new":
            return Outcome(new_story=intent)
        story_from(session, intent)
    elif intent.kind in ("greeting", "help"):
        session.view.say("greeting") if intent.kind == "greeting" else _help(session, "", open_in_editor)
    elif intent.kind == "question":
        ask_chat_model(session, text)
    elif stage.kind == "new":
        story_from(session, intent)
    elif stage.kind == "outline":
        session.revise_outline(text)
    elif stage.kind in ("scene", "done"):
        session.rewrite(text, dialogue_only=False)
    elif stage.kind == "stopped":
        session.view.say("stopped_hint", style="yellow")
    return None


def story_from(session: ChatSession, intent: Intent) -> None:
    """A storyline: long enough, it starts the story; otherwise the user is asked for one."""
    storyline = without_page_count(intent.note)
    if len(storyline.split()) < MIN_STORY_WORDS:
        session.view.say("needs_story")
        return
    session.start_story(storyline, intent.pages)


def ask_chat_model(session: ChatSession, question: str) -> None:
    """A free question: streamed from a configured chat model, or a plain word on what that needs."""
    name = session.settings.model_for("chat")
    if freechat.needs_larger_model(name):
        session.view.say("needs_model", style="yellow", model=name)
        return
    turns = freechat.messages(
        question,
        session.transcript.conversation()[:-1],
        series=session.profile.title or session.profile.name,
        lang=session.meta.lang,
        story=freechat.story_facts(session.thread.values),
        memory=freechat.memory_facts(session.store, question),
    )
    try:
        for piece in freechat.stream_answer(name, turns):
            session.view.token(piece)
        session.view.end_stream()
    except KeyboardInterrupt:
        session.view.end_stream(session.view.text("interrupted"))
    except Exception as exc:  # noqa: BLE001 - a failing server (network, HTTP, model) must not end the session
        session.view.end_stream()
        session.view.say("chat_failed", style="red", error=str(exc))
