"""A deterministic stand-in for the writers' model: answers each prompt template in its line format.

Answers depend only on the prompt and on how many times that same prompt was asked (a retry gets a new
answer, as a real model gets a new seed), so a run resumed after a kill gets the same answers as an
uninterrupted one. `delay` makes each call take time, so a test can kill a run mid-node.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter

PLACES = [
    "IL CONFINE MESSICANO",
    "UN CANYON DEL RIO BRAVO",
    "LA MISSIONE ABBANDONATA",
    "UN SALOON DI FRONTIERA",
]
TIMES = ["ALL'ALBA", "A MEZZOGIORNO", "AL TRAMONTO", "DI NOTTE"]
VERBS = ["osserva", "indica", "carica", "raggiunge", "scruta", "afferra", "sorprende", "insegue"]
OBJECTS = [
    "le tracce dei carri",
    "il fucile",
    "la collina",
    "il fiume",
    "la porta del saloon",
    "i cavalli",
    "le casse di fucili",
    "il sentiero",
]
WORDS = [
    "FERMI",
    "ATTENTI",
    "ANDIAMO",
    "PRESTO",
    "GIÙ",
    "LAGGIÙ",
    "CARSON",
    "AMICO",
    "ADESSO",
    "CORAGGIO",
    "FIUME",
    "CAVALLI",
    "FUCILI",
    "BANDA",
    "CONFINE",
    "NOTTE",
    "SENTIERO",
    "CANYON",
    "ROCCE",
    "CARRI",
    "SUBITO",
    "LONTANO",
    "VICINO",
    "DOMANI",
    "STASERA",
    "NESSUNO",
    "TUTTI",
    "SPARATE",
    "ASPETTA",
    "CORRI",
]
SHOTS = ["campo lungo", "figura intera", "piano americano", "primo piano", "mezza figura"]


def _h(text: str, salt: str = "") -> int:
    return zlib.crc32((salt + text).encode("utf-8"))


class WritingResponder:
    """Callable for FakeLLM.responder: title, outline scene, beats, direction or balloon, by prompt ending."""

    def __init__(self, delay: float = 0.0, cast: tuple[str, ...] = ("Tex", "Kit Carson")):
        self.delay = delay
        self.cast = cast
        self.asked: Counter[str] = Counter()

    def __call__(self, prompt: str) -> str:
        if self.delay:
            time.sleep(self.delay)
        tail = prompt.rstrip("\n").splitlines()[-1]
        self.asked[prompt] += 1
        h = _h(prompt, salt=str(self.asked[prompt]))
        if tail.startswith("TITOLO:"):
            return f" LA PISTA DI {PLACES[h % len(PLACES)].split()[-1]}\n"
        if tail == "LUOGO:":
            return self.scene(h).removeprefix("\nLUOGO:")
        if tail in ("DIDASCALIA:", "AZIONE:"):
            return self.beats(prompt, h, caption=tail == "DIDASCALIA:")
        if tail.startswith("AZIONE: "):  # the action starts with a cast member's name, given
            text = self.beats(prompt, h, caption=False)
            leader = next(name for name in self.cast if text.startswith(name))
            return text[len(leader) :]
        if tail == "INQUADRATURA:":
            return self.direction(h)
        return self.balloon(h)

    def scene(self, h: int) -> str:
        return (
            f"\nLUOGO: {PLACES[h % len(PLACES)]}\nTEMPO: {TIMES[h % len(TIMES)]}\n"
            f"PERSONAGGI: {', '.join(self.cast)}\nOBIETTIVO: I pards cercano la banda numero {h % 97}.\n"
            f"CONFLITTO: I contrabbandieri sparano dalle rocce, tempo {h % 89}.\n"
            f"SVOLTA: Un carro di fucili si rovescia, tempo {h % 83}.\n"
        )

    def beats(self, prompt: str, h: int, caption: bool) -> str:
        done = prompt.count("\nAZIONE: ")
        lines = [f" POCO DOPO, {PLACES[h % len(PLACES)]}..."] if caption else []
        for i in range(6):
            leader = self.cast[(h + i) % len(self.cast)]
            action = f"{leader} {VERBS[(h + i) % len(VERBS)]} {OBJECTS[(h // 7 + i) % len(OBJECTS)]} (tempo {done + i})"
            lines.append(action if not caption and i == 0 else f"AZIONE: {action}")
        return "\n".join(lines) + "\n"

    def direction(self, h: int) -> str:
        speaker = self.cast[h % len(self.cast)]
        return f" {SHOTS[h % len(SHOTS)]}\nPARLANO: {speaker}\nIN SCENA: {', '.join(self.cast)}\n"

    def balloon(self, h: int) -> str:
        words = [WORDS[(h >> (5 * i)) % len(WORDS)] for i in range(5)]
        return f" {words[0]}, {words[1]}! {words[2]} {words[3]} {words[4]}, NUMERO {h % 1000}!\n"
