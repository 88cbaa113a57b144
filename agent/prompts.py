"""The writers' prompt templates (prompts/writer/*.j2) and their few-shot and fallback data (YAML)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from prompts import render


def writer_prompt(name: str, **variables: Any) -> str:
    """Render `prompts/writer/<name>.j2`."""
    return render(f"writer/{name}.j2", **variables)


@cache
def writer_data(name: str) -> dict[str, Any]:
    """`prompts/writer/<name>.yaml` (few-shot examples, fallback material), parsed once."""
    text = files("prompts").joinpath(f"writer/{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"prompts/writer/{name}.yaml must hold a mapping")
    return data


def fill(template: str, **values: str) -> str:
    """Fill `{placeholders}` in fallback material; unknown placeholders stay visible rather than crash."""

    class _Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return template.format_map(_Keep(values))
