"""The chat's own words (prompts/chat/messages.yaml), in the language the user writes in."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

LANGS = ("it", "en")
_WORD = re.compile(r"[a-zàèéìòù']+")
_ITALIAN = set(
    "il lo la gli le un una di del della che chi e è non per con su sono cosa come sai sappiamo pagine pagina "
    "storia scena tavola riscrivi va bene questo questa quello ma anche più perché dove quando ciao grazie "
    "nel nella al alla dei delle ha hanno fa fai vuoi voglio".split()
)
_ENGLISH = set(
    "the an of and is are what who how does do we know about story scene page pages rewrite please this "
    "that with for to on it talk speak tell write make more why where when hello thanks you want".split()
)


@cache
def _table() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(files("prompts").joinpath("chat/messages.yaml").read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("prompts/chat/messages.yaml must hold a mapping")
    return data


def message(key: str, lang: str, **values: Any) -> str:
    """The message `key` in `lang` (Italian when the language is not covered), filled with `values`."""
    entry = _table()[key]
    return entry.get(lang, entry["it"]).format(**values)


def detect_language(text: str, current: str) -> str:
    """ "it" or "en" by common words; `current` when the text does not tell (a name, "ok", a command)."""
    words = _WORD.findall(text.lower())
    italian = sum(w in _ITALIAN for w in words)
    english = sum(w in _ENGLISH for w in words)
    if italian == english:
        return current
    return "it" if italian > english else "en"
