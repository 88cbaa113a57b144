"""Lettering-aware normalisation of balloon text (Bonelli conventions), decided with an Italian lexicon.

Letterers write accented capitals as a letter plus an apostrophe (`E'` for È, `PIU'` for PIÙ), while a true
elision keeps its apostrophe (`L'UOMO`, `BELL'E`). OCR turns the apostrophe into `*`, `™`, `»` or `’`.
`normalise_lettering(lines)` joins the balloon's lines into one sentence string and fixes all of this, but
only ever towards words the lexicon knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from tools.ocr.hand_repairs import repair_hand_lettering, series_words, unpaired_quotes
from tools.ocr.lexicon import Lexicon, italian_lexicon
from tools.word_forms import inflected_form

APOSTROPHES = "'’‘`´′ʼ"
# What OCR makes of a lettered apostrophe after a capital; only trusted when the result is a word.
CONFUSABLE_MARKS = '*™»”"°º^'
GRAVE = {"a": "à", "e": "è", "i": "ì", "o": "ò", "u": "ù"}
ACUTE = {"e": "é", "o": "ó", "i": "í", "u": "ú", "a": "á"}
# OCR digit/symbol confusions inside capital-lettered words.
LOOKALIKES = {"0": "O", "1": "I", "|": "I", "l": "I", "5": "S", "$": "S", "8": "B", "€": "E"}
# Marks that lettering never uses: what is left of them after the accent repair is scan noise.
STRAY_MARKS = "©®_~|•™*°º^{}[]<>=+#@\\"
CANONICAL = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "′": "'",
        "ʼ": "'",
        "“": '"',
        "„": '"',
        "\u00a0": " ",
        "€": "E",
        "—": "-",
        "–": "-",
    }
)

_MARK_RE = re.compile(rf"([^\W\d_]+)([{re.escape(APOSTROPHES + CONFUSABLE_MARKS)}])(?=([^\W\d_]*))")
_HYPHEN_END_RE = re.compile(r"[^\W\d_]-$")
_ELIDED_END_RE = re.compile(rf"([^\W\d_]+)[{re.escape(APOSTROPHES)}]$")
_STRAY_TABLE = str.maketrans("", "", STRAY_MARKS)
_FRAGMENT_END_RE = re.compile(r"(?<![\w'])([^\W\d_]+)[.:,_~]?$")
_FRAGMENT_START_RE = re.compile(r"([^\W\d_]+)")
_TWO_DOTS_RE = re.compile(r"(?<!\.)\.\.(?!\.)")
_MANY_DOTS_RE = re.compile(r"\.{4,}")  # lettering has no four-dot mark: an ellipsis read with extra dots
_LEADING_DOT_RE = re.compile(r"^\.(?=\w)")  # a balloon never opens on one dot: an ellipsis that lost two
_EXCLAIM_RE = re.compile(r"(?<![\w'])([^\W\d_]+)([Il])(?=\s|$)")
_LONE_APOSTROPHE_RE = re.compile(r"(\S+)\s+'(?=\s)")
_BARE_WORD_RE = re.compile(r"(?<![\w'])[^\W\d_]+(?![\w'])")
_ELIDED_E_RE = re.compile(r"(?<![\w'])(C|DOV|COM|COS|QUAND)'E(?![\w'’])")
"""Elisions before the verb È (`C'È`, `DOV'È`): a lone E after them cannot be the conjunction (which does
follow other elisions: `BELL'E FATTO`)."""
VERB_E_AFTER = (
    "NON",
    "SI",
    "CHE",
    "CHI",
    "CI",
    "VI",
    "MI",
    "TI",
    "NE",
    "CUI",
    "SE",
    "ED",
    "GLI",
    "QUANTO",
    "QUAL",
)
"""Words after which a lone E is the verb È, not the conjunction: in the 70 ELTeC novels each is followed by
`è` at least 95 % of the times it is followed by `è` or `e`, over 50 times or more (`non è` 3,070 against
`non e` 7; `ma`, `forse`, `cosa` stay out: 89 %, 86 %, 79 %). Checked by tests/test_ocr_normalise.py."""
ACCENT_USUAL = ("PERÒ", "COSÌ", "FARÒ")
"""Words whose unaccented spelling is a word too (`PERO`, pear tree; `COSI`; `FARO`, lighthouse) but is
almost never what speech says: in the quoted speech of the 70 ELTeC novels each accented form is at least
95 % of the pair's uses, 50 times or more (però 258 against pero 1, così 882 / 6, farò 162 / 1). In capitals
the unaccented word is read as the accented one (hand lettering loses the accent first). Counted on the
novels' dialogue, not their narration, where the narrative past (`guardò`) would outvote the speaker's
present (`guardo`). Checked by tests/test_ocr_normalise.py."""
_ACCENT_USUAL = {word.translate(str.maketrans("ÀÈÉÌÒÙ", "AEEIOU")): word for word in ACCENT_USUAL}
_VERB_E_RE = re.compile(rf"(?<![\w'])({'|'.join(VERB_E_AFTER)}) E(?![\w'’])")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.;:!?])")
# `CAMERA?È UN FURTO`: lettering always spaces after a mark (not inside an ellipsis `...OH`, not in `3.5`)
_NO_SPACE_AFTER_PUNCT_RE = re.compile(r"((?<![.\d])[,;:!?]|(?<![.\d])\.(?!\.))(?=[^\W\d_])")
_LOOKALIKE_TOKEN_RE = re.compile(r"[\w|$€]+")


def _match_case(model: str, text: str) -> str:
    return text.upper() if model.isupper() else text


def accented_form(word: str, lexicon: Lexicon) -> str | None:
    """`PIU` -> `PIÙ`, `PERCHE` -> `PERCHÉ`: the word with its last vowel accented, if the lexicon knows it."""
    last = word[-1:].lower()
    for table in (GRAVE, ACUTE):
        if last in table:
            candidate = word[:-1].lower() + table[last]
            if candidate in lexicon:
                return _match_case(word, candidate)
    return None


def _resolve_mark(match: re.Match[str], lexicon: Lexicon) -> str:
    """Replace `WORD + mark` by an accented word, an elision, or leave it as lettered."""
    word, mark, following = match.group(1), match.group(2), match.group(3)
    is_apostrophe = mark in APOSTROPHES
    if following:  # letters follow directly: an elision (L'UOMO) or a lost space (E'PIU')
        if is_apostrophe and lexicon.is_elision_prefix(word):
            return word + "'"
        accented = accented_form(word, lexicon)
        if accented and (following in lexicon or accented_form(following, lexicon)):
            return accented + " "
        return word + ("'" if is_apostrophe else mark)
    if is_apostrophe and (word + "'") in lexicon:  # PO', DI': lettered apocopes stay
        return word + "'"
    accented = accented_form(word, lexicon)
    if accented:
        return accented
    if is_apostrophe and (lexicon.is_elision_prefix(word) or word not in lexicon):
        return word + "'"  # an elision split by a space, or an unknown word: leave it to the reader
    return word  # a known word with a stray mark after it (ADESSO’): scan noise


def fix_accents(text: str, lexicon: Lexicon) -> str:
    """Turn lettered accents (`E'`, `PIU™`) into accented letters; keep real elisions and unknown words."""
    return _MARK_RE.sub(lambda m: _resolve_mark(m, lexicon), text)


def restore_dropped_accents(text: str, lexicon: Lexicon) -> str:
    """`GIA` -> `GIÀ` when OCR lost the apostrophe: only for capital non-words whose accented form is a word,
    and for the few capital words whose accented form is what speech almost always says (ACCENT_USUAL);
    and `C'E` -> `C'È` (`DOV'E`, `COM'E`, `COS'E`): after these elisions a lone E can only be the verb, whose
    accent is the smallest mark of hand lettering; so is a lone E after `NON`, `SI`, `CHE`... (VERB_E_AFTER)."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in _ACCENT_USUAL:
            return _ACCENT_USUAL[word]
        if not word.isupper() or len(word) < 2 or word in lexicon:
            return word
        return accented_form(word, lexicon) or word

    text = _ELIDED_E_RE.sub(r"\1'È", _BARE_WORD_RE.sub(fix, text))
    return _VERB_E_RE.sub(r"\1 È", text)


ITALIAN_ACCENTED = "àèéìòù"
BASE_VOWEL = {
    "à": "a",
    "á": "a",
    "è": "e",
    "é": "e",
    "ì": "i",
    "í": "i",
    "ò": "o",
    "ó": "o",
    "ù": "u",
    "ú": "u",
}


def _other_accents(stem: str, last: str, lexicon: Lexicon) -> list[str]:
    """The words made by another Italian accented vowel in place of `last`: those on the same vowel first
    (the accent's slant misread, PERCHÈ), and only when none is a word those on other vowels (the
    vowel under the accent misread, COSÈ)."""
    same = [stem + v for v in ITALIAN_ACCENTED if v != last and BASE_VOWEL[v] == BASE_VOWEL[last]]
    other = [stem + v for v in ITALIAN_ACCENTED if BASE_VOWEL[v] != BASE_VOWEL[last]]
    for candidates in (same, other):
        found = [word for word in candidates if word in lexicon]
        if found:
            return found
    return []


def left_to_rules(word: str, lexicon: Lexicon) -> bool:
    """Whether the lettering rules below know what to make of an unknown word: a name of the series, an
    accent lost (`PIU`) or misread (`PERCHÈ`), a space or an apostrophe lost (`DINOI`, `ALLALBA`)."""
    from tools.ocr.hand_repairs import split_repair

    last = word[-1:].lower()
    if word.lower() in series_words() or accented_form(word, lexicon) or inflected_form(word):
        return True
    if last in BASE_VOWEL and _other_accents(word[:-1].lower(), last, lexicon):
        return True
    if last in "èé" and lexicon.is_elision_prefix(word[:-1]):  # DOVÈ: DOV'È with its apostrophe lost
        return True
    exclaim = _EXCLAIM_RE.fullmatch(word)  # `nemmenol`: an exclamation mark read as a letter
    if exclaim and _exclaim_fix(exclaim, lexicon) != word:
        return True
    return split_repair(word, lexicon) is not None


def repair_wrong_accents(text: str, lexicon: Lexicon) -> str:
    """`COSÈ` -> `COSÌ`, `PERCHÈ` -> `PERCHÉ`, `CITTÁ` -> `CITTÀ`: a capital word ending in an accented vowel
    that is no word becomes the one word another accented vowel makes (see `_other_accents`); it is left as
    read when no word or several words are made (`PERÓ`: PERÒ and PERÌ)."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        last = word[-1].lower()
        if not word.isupper() or len(word) < 2 or last not in BASE_VOWEL or word in lexicon:
            return word
        found = _other_accents(word[:-1].lower(), last, lexicon)
        return _match_case(word, found[0]) if len(found) == 1 else word

    return _BARE_WORD_RE.sub(fix, text)


def _lookalike_fix(token: str, lexicon: Lexicon) -> str:
    if token.lower() in lexicon or not any(ch in LOOKALIKES for ch in token):
        return token
    letters = [ch for ch in token if ch.isalpha()]
    if not letters or sum(ch.isupper() for ch in letters) < len(letters) / 2:
        return token  # only capital lettering: in lower case `l` is a letter, not an I
    fixed = "".join(LOOKALIKES.get(ch, ch) for ch in token)
    return fixed if fixed.lower() in lexicon else token


def repair_lookalikes(text: str, lexicon: Lexicon) -> str:
    """`T0RNA` -> `TORNA`, `|L` -> `IL`: digit/letter confusions fixed only when the result is a word."""
    return _LOOKALIKE_TOKEN_RE.sub(lambda m: _lookalike_fix(m.group(0), lexicon), text)


def join_lines(lines: Sequence[str], lexicon: Lexicon | None = None) -> str:
    """Join balloon lines: `MORDE-` + `RE` -> `MORDERE`, `DELL'` + `ORO` -> `DELL'ORO`, others with a space."""
    lexicon = lexicon or italian_lexicon()
    out = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if not out:
            out = line
        elif _HYPHEN_END_RE.search(out) and line[0].isalpha():
            out = out[:-1] + line
        elif _ends_with_elision(out, lexicon) and line[0].isalpha():
            out = out[:-1] + "'" + line
        elif (joined := _misread_hyphen_join(out, line, lexicon)) is not None:
            out = joined
        else:
            out = f"{out} {line}"
    return out


def _misread_hyphen_join(out: str, line: str, lexicon: Lexicon) -> str | None:
    """`PUN.` + `TANO` -> `PUNTANO`: a hyphen read as a dot, colon or nothing, when only the joined word is one."""
    tail = _FRAGMENT_END_RE.search(out)
    head = _FRAGMENT_START_RE.match(line)
    if not tail or not head:
        return None
    left, right = tail.group(1), head.group(1)
    if (left in lexicon and right in lexicon) or (left + right) not in lexicon:
        return None
    return out[: tail.start()] + left + line


def _ends_with_elision(text: str, lexicon: Lexicon) -> bool:
    match = _ELIDED_END_RE.search(text)
    if not match:
        return False
    word = match.group(1)
    return lexicon.is_elision_prefix(word) and accented_form(word, lexicon) is None


def _exclaim_fix(match: re.Match[str], lexicon: Lexicon) -> str:
    """`NULLAI` -> `NULLA!`, `nemmenol` -> `nemmeno!`: an exclamation mark read as I (after capitals) or
    as l (after small letters), when only the shorter word is one."""
    word, stem, mark = match.group(0), match.group(1), match.group(2)
    if (mark == "I" and not word.isupper()) or (mark == "l" and not stem.islower()):
        return word
    if word.lower() in lexicon or stem.lower() not in lexicon:
        return word
    return stem + "!"


def _lone_apostrophe(text: str, lexicon: Lexicon) -> str:
    """`per ' la` -> `per la`, `po ' di` -> `po' di`: an apostrophe with a space on both sides is no mark of
    Italian lettering; it belongs to the word before when that makes an apocope the lexicon knows (`po'`),
    else it is scan noise."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(1)
        return word + "'" if word + "'" in lexicon else word

    return _LONE_APOSTROPHE_RE.sub(fix, text)


def canonical_marks(text: str) -> str:
    """One apostrophe, one quote, one dash, `...` for the ellipsis, single spaces."""
    text = text.translate(CANONICAL).replace("…", "...")
    return " ".join(text.split())


def is_capital_lettering(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


def normalise_lettering(lines: Iterable[str] | str, lexicon: Lexicon | None = None) -> str:
    """The balloon's text as one normalised sentence string (see the module docstring)."""
    lexicon = lexicon or italian_lexicon()
    if isinstance(lines, str):
        lines = lines.splitlines()
    text = join_lines([canonical_marks(line) for line in lines], lexicon)
    text = repair_lookalikes(text, lexicon)
    if is_capital_lettering(text):  # before the accents: a closing quote after a capital looks like one
        text = unpaired_quotes(text)
    text = fix_accents(text, lexicon)
    text = restore_dropped_accents(text, lexicon)
    text = repair_wrong_accents(text, lexicon)
    if is_capital_lettering(text):  # hand-lettered capitals: G read C, LI read U, word spaces lost
        text = repair_hand_lettering(text, lexicon, series_words())
    text = text.translate(_STRAY_TABLE)
    text = _TWO_DOTS_RE.sub("...", text)  # lettering has no two-dot mark: a dot of an ellipsis was lost
    text = _MANY_DOTS_RE.sub("...", _LEADING_DOT_RE.sub("...", text))
    text = _EXCLAIM_RE.sub(lambda m: _exclaim_fix(m, lexicon), text)
    text = _lone_apostrophe(text, lexicon)
    if is_capital_lettering(text):
        text = text.upper()
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = _NO_SPACE_AFTER_PUNCT_RE.sub(r"\1 ", text)
    return " ".join(text.split())
