"""Inflected Italian word forms through hunspell's affix rules (spylls, pure Python).

The flat lexicon (`tools.ocr.lexicon`) holds witalian's forms and hunspell's *stems*; hunspell's affix file
derives the rest (`esibisce` from `esibire`, `portateglielo`, `inseguirono`). The writers' lexicon check asks
here about a word the flat lexicon lacks, so a real but rarer form is not taken for an invented word.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tools.errors import InputFileError

HUNSPELL_STEM = Path("/usr/share/hunspell/it_IT")
"""Debian's hunspell-it dictionary: `it_IT.aff` and `it_IT.dic`."""


class WordForms:
    """Whether a word is a form the hunspell dictionary accepts (any case)."""

    def __init__(self, stem: Path = HUNSPELL_STEM):
        self.stem = stem
        self._dictionary = None

    def load(self):
        """The parsed dictionary, read on first use (~0.6 s)."""
        if self._dictionary is None:
            aff, dic = self.stem.with_suffix(".aff"), self.stem.with_suffix(".dic")
            for path in (aff, dic):
                if not path.is_file():
                    raise InputFileError(
                        path, "hunspell dictionary missing; install the Debian package hunspell-it"
                    )
            from spylls.hunspell import Dictionary

            try:
                self._dictionary = Dictionary.from_files(str(self.stem))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise InputFileError(dic, f"cannot read the hunspell dictionary ({exc})") from exc
        return self._dictionary

    def accepts(self, word: str) -> bool:
        word = word.strip()
        if not word or not word.replace("'", "").isalpha():
            return False
        dictionary = self.load()
        return bool(dictionary.lookup(word) or dictionary.lookup(word.lower()))


@lru_cache(maxsize=1)
def italian_word_forms() -> WordForms | None:
    """The shared checker, or None when hunspell-it is not installed (the flat lexicon then decides alone)."""
    forms = WordForms()
    try:
        forms.load()
    except InputFileError:
        return None
    return forms


def inflected_form(word: str) -> bool:
    """True when hunspell-it's affix rules make `word`; False when they do not or hunspell-it is missing."""
    forms = italian_word_forms()
    return forms is not None and forms.accepts(word)
