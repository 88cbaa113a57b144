"""The writer's side of a panel too small for its text: a completion model shortens a line to a character budget.

    render_issue(script, out, shorten=writer_shortener(llm))

The letterer calls `shorten(balloon, max_chars)` when a panel cannot hold its balloons at 2.2 mm lettering.
The model answers in a few-shot line format (`BREVE: ...`); an answer that is empty, longer than the budget or
not produced is declined (None), and the letterer then cuts the text at a sentence boundary itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from tools.comic_script import Balloon
from tools.errors import NuvolaError

log = logging.getLogger(__name__)

PROMPT = """Accorcia la battuta di un fumetto western senza cambiarne il senso, al massimo {budget} caratteri.

BATTUTA: Ce ne andremo presto, amico. Prima vogliamo sapere chi ha bruciato quel carro.
MASSIMO: 40
BREVE: Chi ha bruciato quel carro?

BATTUTA: Guarda laggiù, vecchio mio: fumo nero sopra la mesa, segnali apache!
MASSIMO: 30
BREVE: Fumo sulla mesa: apache!

BATTUTA: {text}
MASSIMO: {budget}
BREVE:"""


def writer_shortener(llm: Any, *, seed: int = 0) -> Callable[[Balloon, int], str | None]:
    """A `shorten` callable for render_issue backed by a completion model (any model behind the seam)."""
    from tools.models.structured import generate_parsed

    def shorten(balloon: Balloon, budget: int) -> str | None:
        def parse(output: str) -> str:
            line = output.strip().splitlines()[0].strip() if output.strip() else ""
            if not line:
                raise ValueError("empty answer")
            if len(line) > budget:
                raise ValueError(f"{len(line)} characters, the most is {budget}")
            return line

        prompt = PROMPT.format(text=" ".join(balloon.text.split()), budget=budget)
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
        except NuvolaError as exc:  # the model could not do it: the letterer cuts at a sentence instead
            log.info("the writer did not shorten %r: %s", balloon.text[:40], exc)
            return None

    return shorten
