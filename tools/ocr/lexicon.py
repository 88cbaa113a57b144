"""The Italian lexicon that decides lettering questions: accent or elision, which OCR repair is a real word.

Words come from Debian's `witalian` list (`/usr/share/dict/italian`, inflected forms) and the stems of
`hunspell-it` (`it_IT.dic`, which adds function words such as `è`, `e`, `po'`). Extra words (character
names from the series profile) can be added per instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tools.errors import InputFileError

WORD_LISTS = (Path("/usr/share/dict/italian"),)
HUNSPELL_DICS = (Path("/usr/share/hunspell/it_IT.dic"),)
# Names and words of the series that no dictionary has; the profile adds its own cast on top.
SERIES_WORDS = (
    "tex",
    "willer",
    "kit",
    "carson",
    "tiger",
    "jack",
    "navajo",
    "navajos",
    "aquila",
    "ranger",
    "rangers",
)


@dataclass
class Lexicon:
    """A set of lowercase Italian word forms, plus the elision prefixes (`l`, `dell`, `quell`) they show."""

    words: set[str] = field(default_factory=set)
    elision_prefixes: set[str] = field(default_factory=set)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self.words

    def add(self, words: Iterable[str]) -> None:
        """Add word forms (any case); multi-word names are split."""
        for word in words:
            for part in word.lower().split():
                self._add_form(part.strip('.,;:!?"'))

    def _add_form(self, form: str) -> None:
        if not form:
            return
        self.words.add(form)
        head, sep, tail = form.partition("'")
        if sep and tail and head.isalpha():
            self.elision_prefixes.add(head)
            self.words.add(tail)

    def is_elision_prefix(self, word: str) -> bool:
        return word.lower() in self.elision_prefixes

    def __len__(self) -> int:
        return len(self.words)


def read_word_list(path: Path) -> list[str]:
    """One word per line (witalian format)."""
    try:
        return path.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the word list ({exc})") from exc


def read_hunspell_stems(path: Path) -> list[str]:
    """The stems of a hunspell .dic (first line is a count; `/FLAGS` and comment lines are dropped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the hunspell dictionary ({exc})") from exc
    stems = []
    for line in lines:
        stem = line.split("/", 1)[0].split("\t", 1)[0].strip()
        if stem and not line.startswith("/") and " " not in stem:
            stems.append(stem)
    return stems


def build_lexicon(word_lists: Iterable[Path] = WORD_LISTS, dics: Iterable[Path] = HUNSPELL_DICS) -> Lexicon:
    """A lexicon from every word list and hunspell dictionary present; none present is an error."""
    lexicon = Lexicon()
    found = []
    for path in word_lists:
        if path.is_file():
            lexicon.add(read_word_list(path))
            found.append(path)
    for path in dics:
        if path.is_file():
            lexicon.add(read_hunspell_stems(path))
            found.append(path)
    if not found:
        raise InputFileError(
            " or ".join(str(p) for p in (*word_lists, *dics)),
            "no Italian lexicon found; install the Debian packages witalian and hunspell-it",
        )
    lexicon.add(SERIES_WORDS)
    return lexicon


@lru_cache(maxsize=1)
def italian_lexicon() -> Lexicon:
    """The shared Italian lexicon, built once per process (~0.5 s)."""
    return build_lexicon()
