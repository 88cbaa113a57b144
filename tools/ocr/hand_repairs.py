"""Repairs for hand-lettered capitals, decided with the Italian lexicon.

A letterer's capitals are read with confusions that printed type does not show: a `G` whose spur is short
reads `C` (`CIORNI`), `LI` set close reads `U` (`MIGUO`, `VOGUA`), and narrow word spaces vanish
(`DINOI`, `CHETIVEDO`). A capital word that neither the lexicon nor hunspell's affix rules know (`AIUTAMI`
and `USCIRETE` are words) is repaired only when one repair makes it known: one confusion swapped
(`confusion_repair`), else the best split into two or three words (`split_repair`). The series' own
names and words (`series_words`: PARD, SALOON) are never repaired; other names stay as read unless a
repair makes them words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tools.ocr.lexicon import Lexicon
from tools.word_forms import inflected_form

# What a capital of hand lettering is read as -> what it may be (each pair tried one at a time).
CONFUSIONS = (
    ("C", "G"),
    ("G", "C"),
    ("U", "LI"),
    ("LI", "U"),
    ("I", "L"),
    ("L", "I"),
    ("O", "D"),
    ("D", "O"),
    ("Q", "O"),
    ("F", "E"),
    ("E", "F"),
    ("P", "R"),
    ("R", "P"),
    ("H", "N"),
    ("N", "H"),
    ("V", "U"),
    ("U", "V"),
    ("U", "VI"),
    ("U", "O"),
    ("M", "N"),
    ("N", "M"),
    ("J", "I"),
    ("W", "N"),
    ("G", "Q"),
)
SHORT_WORDS = frozenset({"a", "e", "è", "i", "o"})  # the one-letter words a split may make
# Words whose space letterers squeeze most: a split into more of them is the likelier one
# (`CHETIVEDO`: CHE TI VEDO, not CHETI VEDO).
FUNCTION_WORDS = frozenset(
    "a ad ai al alla alle allo che chi ci col con da dal dalla dei del della di e è gli ha ho i il in io la "
    "le li lo lui ma me mi ne nei nel nella noi non o per più se si sì su sul sulla te ti tra tu un una "
    "uno vi voi".split()
)
ACCENTED_CAPITALS = "ÀÁÈÉÌÍÒÓÙÚ"  # a word ending on one is the accent repair's (`PERÈ`: PERÒ or PERÌ)
MIN_CONFUSION = 2  # shorter capital words are left as read
TWO_SWAPS = 7  # a word this long may take two confusion swaps (shorter ones would match words by chance)
MIN_SPLIT = 3
_CAPITAL_WORD_RE = re.compile(r"(?<![\w'])[^\W\d_a-zà-ÿ]+(?![\w'])")


def _swaps(word: str) -> set[str]:
    """Every string one confusion swap makes of `word`."""
    out = set()
    for read, meant in CONFUSIONS:
        start = word.find(read)
        while start >= 0:
            out.add(word[:start] + meant + word[start + len(read) :])
            start = word.find(read, start + 1)
    return out


def confusion_repair(word: str, lexicon: Lexicon) -> str | None:
    """The one word that swapping one confusion of `word` makes; for a word of TWO_SWAPS letters or more
    with none, the one word two swaps make (`SURVECLIATO` -> `SORVEGLIATO`); None when there is none or
    several."""
    once = _swaps(word)
    found = {c for c in once if c.lower() in lexicon}
    if not found and len(word) >= TWO_SWAPS:
        found = {c for first in once for c in _swaps(first) if c != word and c.lower() in lexicon}
    return found.pop() if len(found) == 1 else None


def _is_part(part: str, lexicon: Lexicon) -> bool:
    """A word a split may make: a function word, a one-letter word, or a known word of four letters or
    more (the lexicon's rare short forms, `PI`, `ON`, `YAK`, would cut names into pieces)."""
    low = part.lower()
    if low in FUNCTION_WORDS or (len(low) == 1 and low in SHORT_WORDS):
        return True
    return len(low) >= 4 and low in lexicon


def _splits(word: str, parts: int, lexicon: Lexicon) -> list[list[str]]:
    if parts == 1:
        return [[word]] if _is_part(word, lexicon) else []
    out = []
    for cut in range(1, len(word)):
        head = word[:cut]
        if _is_part(head, lexicon):
            out.extend([head, *rest] for rest in _splits(word[cut:], parts - 1, lexicon))
    return out


def _elisions(word: str, lexicon: Lexicon) -> list[list[str]]:
    """`ALLALBA` -> [[`ALL'`, `ALBA`]]: an elision whose apostrophe was lost (the head a prefix the
    lexicon elides, the rest a word of three letters or more starting with a vowel or H)."""
    out = []
    for cut in range(1, len(word) - 2):
        head, tail = word[:cut], word[cut:]
        if tail[0] in "AEIOUHÀÈÉÌÒÙ" and lexicon.is_elision_prefix(head) and tail.lower() in lexicon:
            out.append([head + "'", tail])
    return out


def split_repair(word: str, lexicon: Lexicon) -> str | None:
    """`DINOI` -> `DI NOI`, `ALLALBA` -> `ALL'ALBA`: the split of a run-together word into two known
    words, three with a word among them that is not a function word (`UNALTRA` is not UN AL TRA), or an
    elision, with the most function words and elided heads (then the fewest parts), or None when there is
    none or the best is not unique."""
    threes = [
        parts for parts in _splits(word, 3, lexicon) if any(p.lower() not in FUNCTION_WORDS for p in parts)
    ]
    found = _splits(word, 2, lexicon) + threes + _elisions(word, lexicon)
    if not found:
        return None

    def rank(parts: list[str]) -> tuple[int, int]:
        return sum(p.lower() in FUNCTION_WORDS or p.endswith("'") for p in parts), -len(parts)

    best = max(rank(parts) for parts in found)
    top = [parts for parts in found if rank(parts) == best]
    if len(top) != 1:
        return None
    return "".join(p if p.endswith("'") else p + " " for p in top[0]).rstrip()


@lru_cache(maxsize=1)
def series_words() -> frozenset[str]:
    """Names, places and words of the packaged series profiles (PARD, SALOON, YAKIMA...): never repaired."""
    from tools.series.profile import available_profiles, load_profile

    words: set[str] = set()
    for name in available_profiles():
        profile = load_profile(name)
        phrases = [*profile.places, *profile.vocabulary]
        phrases += [n for c in profile.characters for n in c.names]
        words.update(w.lower() for phrase in phrases for w in re.findall(r"[^\W\d_]+", phrase))
    return frozenset(words)


def repair_hand_lettering(text: str, lexicon: Lexicon, keep: frozenset[str] = frozenset()) -> str:
    """Every capital word of `text` that neither the lexicon nor `keep` knows, repaired when exactly one
    confusion swap, else one best split, makes it known."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < MIN_CONFUSION or word.lower() in lexicon or word.lower() in keep:
            return word
        if inflected_form(word):  # AIUTAMI, PORTIAMOLO, USCIRETE: forms the flat lexicon lacks
            return word
        fixed = confusion_repair(word, lexicon)
        if fixed is None and len(word) >= MIN_SPLIT and word[-1] not in ACCENTED_CAPITALS:
            fixed = split_repair(word, lexicon)
        return fixed or word

    return _CAPITAL_WORD_RE.sub(fix, text)


def unpaired_quotes(text: str) -> str:
    """`"GIÀ, E NESSUNO HA "VOGLIA` -> `GIÀ, E NESSUNO HA VOGLIA`: a quote mark that opens (space or start
    before it, a letter after) with no closing one (after a letter or mark) before the next opening, and a
    quote standing alone between spaces, are specks of the scan. A mark right after a letter is left to
    the accent repair (`E"` is often the lettered `E'`)."""
    marks = [i for i, ch in enumerate(text) if ch == '"']
    if not marks:
        return text

    def after_space(i: int) -> bool:
        return i == 0 or text[i - 1].isspace()

    def before_space(i: int) -> bool:
        return i + 1 == len(text) or text[i + 1].isspace()

    drop: set[int] = set()
    pending: int | None = None
    for i in marks:
        if after_space(i) and before_space(i):
            drop.add(i)
        elif after_space(i):
            if pending is not None:
                drop.add(pending)
            pending = i
        else:
            pending = None
    if pending is not None:
        drop.add(pending)
    cleaned = "".join(ch for i, ch in enumerate(text) if i not in drop)
    return " ".join(cleaned.split())
