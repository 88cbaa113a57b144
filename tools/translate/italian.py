"""Is there Italian left in an English line? A small list of Italian function words that English never uses."""

from __future__ import annotations

import re

# Frequent Italian words that are not English words (nor names a comic would keep): articles, pronouns,
# prepositions with articles, common verbs and adverbs. A line of English dialogue contains none of them.
ITALIAN_WORDS = frozenset(
    """
il lo gli della dello delle degli dei nel nella nelle negli sul sulla sui alla alle agli allo dal dalla
dai che chi non per una uno del questo questa questi queste quello quella quelli quelle sono siamo siete
hai abbiamo avete hanno essere stato stata sei era erano sarà sarò anche ancora ecco dove quando perché
perche più già così cosa tutto tutti tutte niente nulla io tu lui lei noi voi loro mio mia miei tuo tua
suo sua nostro vostro ci vi ma però mai sempre qui qua là lassù laggiù adesso subito poi dopo prima
bene male molto troppo poco tanto grazie signore signora amico amici fratello buongiorno buonasera
andiamo vieni guarda fermo fermi presto forse allora invece senza verso fino dentro fuori sopra sotto
""".split()
)
WORD = re.compile(r"[a-zà-ù]+", re.IGNORECASE)


def words(text: str) -> list[str]:
    """The lower-case words of `text` (letters with Italian accents included)."""
    return [w.lower() for w in WORD.findall(text)]


def italian_words(text: str, keep: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The Italian function words found in `text`, except those in `keep` (glossary terms kept as they are)."""
    return [w for w in words(text) if w in ITALIAN_WORDS and w not in keep]


def looks_italian(text: str, keep: frozenset[str] | set[str] = frozenset()) -> bool:
    """True when `text` has Italian words left: two or more, or one in a line of at most four words."""
    found = italian_words(text, keep)
    return len(found) >= 2 or (len(found) == 1 and len(words(text)) <= 4)
