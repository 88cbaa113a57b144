"""Text helpers for transcribed lettering: sentence case with proper names, words, sentences."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
SENTENCE_END_RE = re.compile(r"[.!?…]+")
_NAME_CANDIDATE_RE = re.compile(r"(?<![\w'])[^\W\d_]{3,}(?![\w'])", re.UNICODE)
_SENTENCE_START_RE = re.compile(r"(^|[.!?…]\s+|[«\"]\s*)([^\W\d_])", re.UNICODE)

# Italian function words: never a "frequent expression" on their own.
STOPWORDS = frozenset(
    """a ad al alla alle allo ai agli all anche ancora che chi ci con cosa così da dal dalla dai degli dei del
    della delle dello di e è ed gli ha hai ho i il in io la le lei li lo loro lui ma me mi mia mie miei mio
    ne nei nel nella no noi non o per più poi qui quel quella quello questa questo se sei si sì sia siamo
    sono su sua sue sul sulla suo suoi te ti tra tu tua tue tuo tuoi un una uno va vi voi l un' c' d' s' m'
    t' v' n' dell' dall' nell' sull' all' quell' quest' com' po' è' e' sta sto siete era ci' ce
    """.split()
)


def is_lettering_case(text: str) -> bool:
    """True when the text is written in capitals, as comics are lettered."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


def sentence_case(text: str, names: Iterable[str] = (), is_word: Callable[[str], bool] | None = None) -> str:
    """`TI AMMAZZERÒ, TEX WILLER!` -> `Ti ammazzerò, Tex Willer!`; text not in capitals is kept.

    `names` get their own capitals back; with `is_word` (a lexicon test), any other word that is not a
    common word is taken for a name too (`IL CUERVO` -> `il Cuervo`).
    """
    text = " ".join(text.split())
    if not is_lettering_case(text):
        return text
    out = _SENTENCE_START_RE.sub(lambda m: m.group(1) + m.group(2).upper(), text.lower())
    if is_word is not None:
        out = _NAME_CANDIDATE_RE.sub(
            lambda m: m.group(0) if is_word(m.group(0)) else m.group(0).capitalize(), out
        )
    for name in sorted(set(names), key=len, reverse=True):
        out = re.sub(rf"(?<![\w']){re.escape(name)}(?![\w])", name, out, flags=re.IGNORECASE)
    return out


def words(text: str) -> list[str]:
    """Lower-case words (elisions kept together: `l'uomo`)."""
    return [w.lower() for w in WORD_RE.findall(text.replace("’", "'"))]


def sentences(text: str) -> list[str]:
    """Sentences split at . ! ? … (a line without end mark is one sentence)."""
    parts = [p.strip() for p in SENTENCE_END_RE.split(text)]
    return [p for p in parts if words(p)]


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
