"""Prompt templates as files (Jinja2, StrictUndefined): a writer can tune a voice without reading Python."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Any

import jinja2


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(lambda name: files("prompts").joinpath(name).read_text("utf-8"))
    return jinja2.Environment(
        loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False
    )


def render(name: str, **variables: Any) -> str:
    """Render `prompts/<name>` (e.g. `narrator/outline.j2`); a missing variable is an error, not blank text."""
    return _environment().get_template(name).render(**variables)


def available() -> list[str]:
    """Every template shipped in the package, as names `render` accepts."""
    root = files("prompts")
    names: list[str] = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.name.startswith("__"):
                stack.append((entry, f"{prefix}{entry.name}/"))
            elif entry.name.endswith(".j2"):
                names.append(prefix + entry.name)
    return sorted(names)
