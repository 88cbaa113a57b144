"""Tokens as they are generated: a callback handler that every model call inside the story graph reaches
(through a LangChain configure hook, so the graph's own code is untouched) and shows on a status line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tracers.context import register_configure_hook

TAIL_CHARS = 70
_ACTIVE: ContextVar[BaseCallbackHandler | None] = ContextVar("nuvola_chat_tokens", default=None)
register_configure_hook(_ACTIVE, inheritable=True)


class TokenTicker(BaseCallbackHandler):
    """Feeds `show(label, tail)` with the stage being written and the last characters generated."""

    def __init__(self, show: Callable[[str], None], label: Callable[[], str]):
        self.show = show
        self.label = label
        self.text = ""
        self.tokens = 0

    def on_llm_start(self, serialized: Any, prompts: Any, **kwargs: Any) -> None:
        self.text = ""
        self.show(self.label())

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self.tokens += 1
        self.text = (self.text + (token if isinstance(token, str) else ""))[-TAIL_CHARS:]
        tail = " ".join(self.text.split())
        self.show(f"{self.label()} [dim]{_escape(tail)}[/]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@contextmanager
def ticking(handler: BaseCallbackHandler) -> Iterator[BaseCallbackHandler]:
    """Route the tokens of every model call made inside the block to `handler`."""
    token = _ACTIVE.set(handler)
    try:
        yield handler
    finally:
        _ACTIVE.reset(token)
