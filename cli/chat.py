"""`nuvola chat`: co-write an issue in the terminal, over the story graph and the memory."""

from __future__ import annotations

from pathlib import Path

import click

from agent.write.state import MAX_PAGES
from cli.context import AppContext, console, pass_app


@click.command("chat")
@click.option(
    "--resume", "resume_id", metavar="ID", help="Continue a saved session (`last`: the most recent)."
)
@click.option("--list", "list_sessions", is_flag=True, help="List the saved sessions and leave.")
@click.option(
    "--pages",
    type=click.IntRange(1, MAX_PAGES),
    default=1,
    show_default=True,
    help='Pages of a new story when you do not say ("4 pagine" in the chat also works).',
)
@click.option("--seed", type=int, default=None, help="Random seed of a new story (default: settings.seed).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Where the finished script goes (default: the session folder).",
)
@click.option(
    "--model",
    "-m",
    "models",
    multiple=True,
    metavar="ROLE=NAME",
    help="Model for a role, e.g. chat=openai:http://127.0.0.1:8080/v1#model (kept by the session).",
)
@pass_app
def chat_command(
    app: AppContext,
    resume_id: str | None,
    list_sessions: bool,
    pages: int,
    seed: int | None,
    out: Path | None,
    models: tuple[str, ...],
) -> None:
    """Write an issue together with Nuvola: storyline, outline, scenes, pages, dialogue; /help inside."""
    from agent.chat.app import ChatApp
    from agent.chat.sessions import resolve_session_id
    from agent.chat.terminal import make_reader
    from tools.settings import parse_model_overrides

    if list_sessions:
        _print_sessions(app)
        return
    settings = app.settings
    chat = ChatApp(
        settings,
        console,
        pages=pages,
        seed=settings.seed if seed is None else seed,
        out_dir=out,
        overrides=parse_model_overrides(models),
    )
    if resume_id:
        session = chat.resume(resolve_session_id(settings, resume_id))
    else:
        session = chat.new()
    from agent.chat.commands import command_words

    chat.run(session, make_reader(chat.history, command_words()))


def _print_sessions(app: AppContext) -> None:
    from rich.table import Table

    from agent.chat.session import session_title
    from agent.chat.sessions import list_sessions

    sessions = list_sessions(app.settings)
    if not sessions:
        console.print("no saved chat session yet: start one with `nuvola chat`")
        return
    table = Table(title="chat sessions (nuvola chat --resume ID)")
    for column in ("id", "updated", "stage", "pages", "title"):
        table.add_column(column, no_wrap=column != "title")
    for meta in sessions:
        table.add_row(
            meta.id,
            meta.updated.replace("T", " "),
            meta.stage,
            f"{meta.written_pages}/{meta.pages}",
            session_title(meta),
        )
    console.print(table)


def register(cli: click.Group) -> None:
    cli.add_command(chat_command)
