"""The writer's side of a panel too small for its text: a completion model shortens a line to a character budget.

    render_issue(script, out, shorten=writer_shortener(llm))

The letterer calls `shorten(balloon, max_chars)` when a panel cannot hold its balloons at 2.2 mm lettering and
the line has no shorter run of whole sentences that fits. The model answers in a few-shot line format
(`prompts/writer/shorten.j2`). A small model often answers with something else than a shorter line — the
budget it was shown ("40"), an example's line, invented words — so an answer is taken only when it is *the
line's own words*: every word of three letters or more must be a word of the line (accents and case aside;
an ending may change: `fucili` for `fucile`), no digit the line does not have, at least one content word of the line (four letters or more).
Anything else is declined (None), and the letterer cuts the text at a clause or word itself.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from prompts import render
from tools.comic_script import Balloon
from tools.errors import NuvolaError

log = logging.getLogger(__name__)

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
STEM = 4
"""Letters two words must share at the start to count as the same word with another ending."""
CONTENT = 4
"""Letters of the shortest word that carries content (`non`, `lo`, `so` say nothing of the line alone)."""


def _fold(word: str) -> str:
    """Lower case without accents: `PERCHÉ` and `perche'` are one word."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return [_fold(w) for w in WORD.findall(text)]


def _same_word(word: str, known: set[str]) -> bool:
    if word in known:
        return True
    return len(word) > STEM and any(len(k) > STEM and k[:STEM] == word[:STEM] for k in known)


def unfaithful(answer: str, line: str) -> str | None:
    """Why `answer` is not a shortening of `line` in the line's own words, or None when it is."""
    words, known = _words(answer), set(_words(line))
    if not any(len(w) >= 2 for w in words):
        return "no word in the answer"
    digits = set(re.findall(r"\d+", answer)) - set(re.findall(r"\d+", line))
    if digits:
        return f"a number the line does not have ({', '.join(sorted(digits))})"
    new = [w for w in words if len(w) >= 3 and not _same_word(w, known)]
    if new:
        return f"words the line does not have ({', '.join(new[:4])})"
    if not any(_same_word(w, known) for w in words if len(w) >= CONTENT):
        return "none of the line's content words"
    return None


def writer_shortener(llm: Any, *, seed: int = 0) -> Callable[[Balloon, int], str | None]:
    """A `shorten` callable for render_issue backed by a completion model (any model behind the seam)."""
    from tools.models.structured import generate_parsed

    def shorten(balloon: Balloon, budget: int) -> str | None:
        text = " ".join(balloon.text.split())

        def parse(output: str) -> str:
            line = output.strip().splitlines()[0].strip() if output.strip() else ""
            if not line:
                raise ValueError("empty answer")
            if len(line) > budget:
                raise ValueError(f"{len(line)} characters, the most is {budget}")
            why = unfaithful(line, text)
            if why:
                raise ValueError(f"not the line's own words: {why}")
            return line

        prompt = render("writer/shorten.j2", text=text, budget=budget)
        try:
            return generate_parsed(
                llm,
                prompt,
                parse,
                retries=1,
                what="shorter line",
                max_tokens=max(16, budget // 2),
                stop=["\n"],
                seed=seed,
            )
        except NuvolaError as exc:  # the model could not do it: the letterer cuts the line itself
            log.info("the writer did not shorten %r: %s", balloon.text[:40], exc)
            return None

    return shorten
