"""Words the recogniser read that no dictionary holds, replaced by the dictionary word its own frames favour.

    correct_words(log_probs, alphabet, lexicon) -> CtcReading(text, changes)

The PP-OCR recogniser is a CTC network: per frame (a narrow slice of the line) a probability for every
character and a blank. Its reading is the best character per frame (greedy). A hand's `N` drawn like a
`W` gives `LONTAM` where the frames still give `LONTANI` a good share. So each word of the greedy reading
that the lexicon does not hold is compared with the lexicon's words close to it in spelling (edit
distance 1, 2 for words of five letters or more): each candidate's CTC likelihood over the same frames
(every alignment of its letters with blanks, the forward algorithm) against the read word's own. The best
candidate replaces the word when it is at most `margin` nats less likely: the network's own evidence
decides, not a table of confusions. Words the lexicon holds, short words, numbers and names the caller
protects are left as read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tools.ocr.lexicon import Lexicon

MARGIN = 4.0  # nats: how much less likely than the read word a dictionary word may be and still replace it
MIN_LETTERS = 3  # shorter words are left as read (too many dictionary words lie one letter away)
LONG_WORD = 5  # from this length a candidate may lie two edits away
MAX_CANDIDATES = 24  # dictionary words scored per unknown word, the closest first
MAX_LENGTH_CHANGE = 1  # letters a candidate may add or drop: the network seldom reads two letters not there
BLANK = 0  # PP-OCR's CTC blank is the first class

CandidateFinder = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Emitted:
    """One character of the greedy reading and the frames [first, last] its run covers."""

    char: str
    first: int
    last: int


@dataclass
class CtcReading:
    """The corrected reading and what changed: (read word, dictionary word, likelihood gap in nats)."""

    text: str
    changes: list[tuple[str, str, float]] = field(default_factory=list)


def greedy_path(log_probs: np.ndarray, alphabet: Sequence[str]) -> list[Emitted]:
    """The best class per frame, repeats collapsed and blanks dropped, each character with its frames."""
    best = log_probs.argmax(axis=1)
    emitted: list[Emitted] = []
    previous = BLANK
    for t, k in enumerate(best):
        k = int(k)
        if k != BLANK and k == previous:
            emitted[-1] = Emitted(emitted[-1].char, emitted[-1].first, t)
        elif k != BLANK:
            emitted.append(Emitted(alphabet[k], t, t))
        previous = k
    return emitted


def ctc_log_likelihood(log_probs: np.ndarray, labels: Sequence[int]) -> float:
    """log P(labels | frames) summed over every CTC alignment (the forward algorithm, in log space)."""
    frames = log_probs.shape[0]
    if not labels:
        return float(log_probs[:, BLANK].sum())
    states = np.full(2 * len(labels) + 1, BLANK, dtype=np.int64)
    states[1::2] = labels
    # a label may skip the blank before it unless it repeats the label two states back
    skip = np.zeros(len(states), dtype=bool)
    skip[3::2] = states[3::2] != states[1:-2:2]
    alpha = np.full(len(states), -np.inf)
    alpha[0] = log_probs[0, BLANK]
    alpha[1] = log_probs[0, states[1]]
    for t in range(1, frames):
        stay = alpha
        step = np.concatenate(([-np.inf], alpha[:-1]))
        jump = np.where(skip, np.concatenate(([-np.inf, -np.inf], alpha[:-2])), -np.inf)
        alpha = np.logaddexp(np.logaddexp(stay, step), jump) + log_probs[t, states]
    return float(np.logaddexp(alpha[-1], alpha[-2]))


def word_runs(emitted: Sequence[Emitted]) -> list[tuple[int, int]]:
    """[start, end) indices of the runs of letters in the reading (the words, apostrophes end them)."""
    runs, start = [], None
    for i, item in enumerate(emitted):
        if item.char.isalpha() and start is None:
            start = i
        elif not item.char.isalpha() and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(emitted)))
    return runs


def frame_window(emitted: Sequence[Emitted], start: int, end: int, frames: int) -> tuple[int, int]:
    """The frames a word may occupy: from just after the character before it to just before the next."""
    first = emitted[start - 1].last + 1 if start > 0 else 0
    last = emitted[end].first if end < len(emitted) else frames
    return first, last


def cased_like(word: str, model: str) -> str:
    """`word` in the case the reading used: capitals, a capital first, or small letters."""
    if model.isupper():
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def correct_words(
    log_probs: np.ndarray,
    alphabet: Sequence[str],
    lexicon: Lexicon,
    leave: Callable[[str], bool] = lambda word: False,
    find: CandidateFinder | None = None,
    margin: float = MARGIN,
) -> CtcReading:
    """The greedy reading with each unknown word replaced by its likeliest close dictionary word, when that
    word is at most `margin` nats less likely on the same frames. Words `leave` holds are left as read
    (names; words the lettering rules repair better, such as a lost accent or a lost space)."""
    find = find or lexicon_neighbours(lexicon)
    index = {char: k for k, char in enumerate(alphabet)}
    emitted = greedy_path(log_probs, alphabet)
    pieces = [item.char for item in emitted]
    changes = []
    for start, end in word_runs(emitted):
        word = "".join(pieces[start:end])
        if len(word) < MIN_LETTERS or word.lower() in lexicon or leave(word):
            continue
        if end < len(emitted) and emitted[end].char in "'’" and lexicon.is_elision_prefix(word):
            continue
        first, last = frame_window(emitted, start, end, log_probs.shape[0])
        best, gap = best_word(log_probs[first:last], word, index, find)
        if best is not None and gap <= margin:
            pieces[start:end] = [best] + [""] * (end - start - 1)
            changes.append((word, best, gap))
    return CtcReading("".join(pieces), changes)


def best_word(
    window: np.ndarray, word: str, index: dict[str, int], find: CandidateFinder
) -> tuple[str | None, float]:
    """The close dictionary word (in the word's case) likeliest on `window`, and how many nats less likely
    it is than `word` itself there (negative: more likely); (None, inf) when there is none."""
    own = ctc_log_likelihood(window, [index[c] for c in word])
    best, best_score = None, -np.inf
    for candidate in find(word.lower(), 2 if len(word) >= LONG_WORD else 1):
        cased = cased_like(candidate, word)
        if abs(len(cased) - len(word)) > MAX_LENGTH_CHANGE or any(c not in index for c in cased):
            continue
        score = ctc_log_likelihood(window, [index[c] for c in cased])
        if score > best_score:
            best, best_score = cased, score
    return best, (own - best_score if best is not None else np.inf)


def apply_changes(text: str, changes: Sequence[tuple[str, str, float]]) -> str:
    """`text` with each changed word replaced where it stands whole: the corrections of one reading of a
    line carried onto another reading of it (the detector's, which keeps its own marks)."""
    for read, meant, _ in changes:
        text = re.sub(rf"(?<![^\W\d_]){re.escape(read)}(?![^\W\d_])", meant, text)
    return text


def lexicon_neighbours(lexicon: Lexicon) -> CandidateFinder:
    """Dictionary words within `distance` edits of a word, the closest first (rapidfuzz, C++)."""
    key = (id(lexicon), len(lexicon))
    if key not in _FINDERS:
        _FINDERS[key] = _neighbours_of(_word_list(lexicon))
    return _FINDERS[key]


_FINDERS: dict[tuple[int, int], CandidateFinder] = {}


def _neighbours_of(words: tuple[str, ...]) -> CandidateFinder:
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    def find(word: str, distance: int) -> list[str]:
        found = process.extract(
            word, words, scorer=Levenshtein.distance, score_cutoff=distance, limit=MAX_CANDIDATES
        )
        return [match for match, _, _ in sorted(found, key=lambda m: (m[1], m[2]))]

    return find


def _word_list(lexicon: Lexicon) -> tuple[str, ...]:
    return tuple(sorted(w for w in lexicon.words if w.isalpha() and len(w) >= 2))


def corrected_reading(text: str, log_probs: np.ndarray, alphabet: Sequence[str]) -> str:
    """`text` (a recogniser's reading of a line) with the unknown words that the frames of a reading of
    the same line let the lexicon correct (`correct_words`): the corrections are carried onto
    `text`, which keeps its own marks, and the frames' own reading replaces it when more of its letters
    stand in words. Words the lettering rules repair (`left_to_rules`) are left to them and, in sentence
    case, capitalised words (names) are kept."""
    from tools.ocr.lexicon import italian_lexicon
    from tools.ocr.normalise import is_capital_lettering, left_to_rules
    from tools.ocr.word_share import word_score

    lexicon = italian_lexicon()
    capitals = is_capital_lettering(text)

    def leave(word: str) -> bool:  # in sentence case a capitalised word is a name (Zafferano), kept
        return left_to_rules(word, lexicon) or (not capitals and word[:1].isupper())

    alone = correct_words(log_probs, alphabet, lexicon, leave=leave)
    carried = apply_changes(text, alone.changes)
    return alone.text.strip() if word_score(alone.text) > word_score(carried) else carried
