"""Scene cues in captions: `INTANTO...`, `AL FORTE...`, `ALL'ALBA...` open a new scene and say where/when."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Transitions that, at the head of a caption, change scene (Italian comics' narrative captions).
TRANSITIONS = (
    "intanto",
    "nel frattempo",
    "frattanto",
    "nello stesso momento",
    "nello stesso istante",
    "contemporaneamente",
    "poco dopo",
    "più tardi",
    "qualche ora dopo",
    "alcune ore dopo",
    "ore dopo",
    "qualche giorno dopo",
    "alcuni giorni dopo",
    "giorni dopo",
    "settimane dopo",
    "il giorno dopo",
    "il giorno seguente",
    "la mattina dopo",
    "l'indomani",
    "all'indomani",
    "dopo",
    "lontano",
    "molte miglia",
    "a molte miglia",
    "mentre",
)
# Times of day and their canonical names.
TIMES = {
    "all'alba": "alba",
    "alba": "alba",
    "al tramonto": "tramonto",
    "tramonto": "tramonto",
    "quella notte": "notte",
    "di notte": "notte",
    "la notte": "notte",
    "nella notte": "notte",
    "notte": "notte",
    "quella sera": "sera",
    "la sera": "sera",
    "verso sera": "sera",
    "sera": "sera",
    "la mattina": "mattina",
    "mattina": "mattina",
    "mattino": "mattina",
    "a mezzogiorno": "mezzogiorno",
    "mezzogiorno": "mezzogiorno",
    "il giorno dopo": "giorno dopo",
    "l'indomani": "giorno dopo",
    "all'indomani": "giorno dopo",
    "la mattina dopo": "mattina",
}
# Prepositions that open a place caption: `AL FORTE`, `NELLA RISERVA`, `A TUCSON`, `SULLA PISTA`.
PLACE_PREPOSITIONS = tuple(
    """a ad al alla allo all' ai agli alle in nel nella nello nell' nei negli nelle sul sulla sullo sull' sui
    sugli sulle dal dalla dall' dai dalle presso dentro fuori davanti lungo verso oltre tra fra""".split()
) + ("dalle parti di", "nei pressi di", "non lontano da", "in mezzo a", "ai piedi di", "ai piedi delle")

SHORT_CAPTION_WORDS = 6
NOT_PLACES = frozenset(
    {"quel", "quella", "quello", "questo", "questa", "fine", "lungo", "tempo", "momento", "volte"}
)


@dataclass(frozen=True)
class Cue:
    """What a caption says about a scene change: a transition word, a place, a time."""

    transition: str = ""
    place: str = ""
    time: str = ""

    @property
    def opens_scene(self) -> bool:
        return bool(self.transition or self.place or self.time)


def _normal(text: str) -> str:
    text = text.lower().replace("’", "'").replace("…", "...")
    return " ".join(re.sub(r"[^\w' ]", " ", text).split())


def _head(text: str, phrases: Iterable[str]) -> str:
    """The longest of `phrases` that `text` starts with (word-bounded), or ''."""
    found = ""
    for phrase in phrases:
        if (
            text == phrase
            or text.startswith(phrase + " ")
            or (phrase.endswith("'") and text.startswith(phrase))
        ):
            found = max(found, phrase, key=len)
    return found


# `DUE GIORNI DOPO`, `QUALCHE ORA PIÙ TARDI`, `TRE SETTIMANE PRIMA`: elapsed time opens a scene too.
ELAPSED = re.compile(
    r"^((?:(?:un|una|uno|due|tre|quattro|cinque|sei|sette|otto|dieci|qualche|alcuni|alcune|molti|molte|"
    r"parecchi|parecchie|pochi|poche|\d+) |un')(?:minut|or|giorn|settiman|mes|ann)[a-z]* (?:dopo|più tardi|prima))\b"
)


def caption_cue(caption: str, places: Iterable[str] = ()) -> Cue:
    """Read a caption's opening words for a scene transition, a place and a time of day."""
    text = _normal(caption)
    elapsed = ELAPSED.match(text)
    transition = elapsed.group(1) if elapsed else _head(text, TRANSITIONS)
    rest = text[len(transition) :].lstrip(" ,") if transition else text
    time_phrase = _head(rest, TIMES) or _head(text, TIMES)
    time = TIMES.get(time_phrase, "")
    after_time = (
        rest[len(time_phrase) :].lstrip(" ,") if time_phrase and rest.startswith(time_phrase) else rest
    )
    short = len(text.split()) <= SHORT_CAPTION_WORDS
    place = _place(after_time, places, short) or _place(rest, places, short) or _known_head(rest, places)
    return Cue(transition=transition, place=place, time=time)


def _known_head(text: str, places: Iterable[str]) -> str:
    """A caption that opens on a known place name (`ARIZONA, ESTATE DEL 1878...`)."""
    for place in sorted(places, key=len, reverse=True):
        key = _normal(place)
        if len(key) > 3 and (text == key or text.startswith(key + " ")):
            return place
    return ""


def _place(text: str, places: Iterable[str], allow_unknown: bool) -> str:
    """`al forte della cavalleria` -> `forte`: a known place after a place preposition; in a short
    caption (`AL RANCH DEI MORRISON...`) any noun there counts as a place."""
    prep = _head(text, PLACE_PREPOSITIONS)
    if not prep:
        return ""
    tail = text[len(prep) :].strip()
    for place in sorted(places, key=len, reverse=True):
        key = _normal(place)
        if tail == key or tail.startswith(key + " "):
            return place
    first = tail.split(" ", 1)[0] if tail else ""
    return first if allow_unknown and len(first) > 3 and first not in NOT_PLACES else ""
