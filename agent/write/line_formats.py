"""Line formats the writers ask small models for, and the checks that keep junk out of the script.

Each parser takes the raw completion and returns validated values or raises ValueError with a short
reason; generate_parsed then retries with a fresh seed. Nothing here calls a model.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from agent.characters import fold, match_cast
from tools.comic_script import SHOTS
from tools.models import parse_labelled_lines

BALLOON_MAX_CHARS = 140
CAPTION_MAX_CHARS = 160
MARKUP = re.compile(
    r"\{\{|\}\}|<start_of_turn>|<end_of_turn>|\bSCENA\s*(\d|:)|\b(STORIA|AZIONE|DIDASCALIA|INQUADRATURA|TITOLO|"
    r"LUOGO|TEMPO|OBIETTIVO|CONFLITTO|SVOLTA|PERSONAGGI|PARLANO|IN SCENA)\s*:",
    re.IGNORECASE,
)
META_WORDS = re.compile(
    r"\b(SCEN[AE]|VIGNETT[AE]|PERSONAGG[IO]O?|DIDASCALI[AE]|INQUADRATUR[AE]|SCENEGGIATUR[AE]|FUMETT[OI]|"
    r"BALLOON|NUVOLETT[AE]|BATTUT[AE]|STRISCI[AE]|PARLANO|IN SCENA)\b",
    re.IGNORECASE,
)
"""Words about the comic itself (the same list `nuvola eval script` counts): in the lettering (title, places
and times, captions, balloons) they are the prompt's labels leaking."""
NEAR_REPEAT = 0.8
"""A line this similar (difflib ratio of folded words) to an earlier one is a repeat."""
SHOT_SYNONYMS = {
    "totale": "campo lungo",
    "campo medio": "figura intera",
    "piano intero": "figura intera",
    "mezzo busto": "mezza figura",
    "piano medio": "mezza figura",
    "mezzo primo piano": "primo piano",
    "particolare": "dettaglio",
    "close up": "primo piano",
}
_SENTENCE_END = re.compile(r"[.!?…]+[\"»]?")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]*)?")
_ACCENTED = {"a": "à", "e": "èé", "i": "ì", "o": "ò", "u": "ù"}
_MODERN_YEAR = re.compile(r"\b(19|20)\d\d\b")
UNKNOWN_WORD_SHARE = 0.15
"""At most this share of a text's words may be unknown to the Italian lexicon and the story's own words."""


class Vocabulary:
    """Words a text may use: the Italian lexicon plus the story's own (cast, places, storyline, genre)."""

    def __init__(
        self, extra: set[str] | None = None, banned: set[str] | None = None, vulgar: set[str] | None = None
    ):
        from tools.ocr.lexicon import italian_lexicon

        self.lexicon = italian_lexicon()
        self.extra = {w.lower() for w in (extra or set())}
        self.banned = {w.lower() for w in (banned or set())}
        """Words out of the story's world (anachronisms)."""
        self.vulgar = {w.lower() for w in (vulgar or set())}
        """Swear words a Bonelli balloon does not print (the series is read by all ages)."""

    def knows(self, word: str) -> bool:
        return self._listed(word.lower()) or self._inflected(word)

    def _listed(self, word: str) -> bool:
        if word in self.lexicon or word in self.extra:
            return True
        head, _, tail = word.partition("'")
        if word.endswith("'") and head and head[-1] in _ACCENTED:  # lettering writes PERCHE' for PERCHÉ
            return any(head[:-1] + accented in self.lexicon for accented in _ACCENTED[head[-1]])
        head_ok = head in self.lexicon or self.lexicon.is_elision_prefix(head) or head in self.extra
        return bool(tail) and head_ok and (tail in self.lexicon or tail in self.extra)

    def unknown(self, text: str) -> list[str]:
        return [w for w in _WORD.findall(text) if not self.knows(w)]

    def _inflected(self, word: str) -> bool:
        """Hunspell's affix rules, for the inflected forms the flat lexicon lacks (`esibisce`)."""
        from tools.word_forms import inflected_form

        return inflected_form(word)

    def out_of_world(self, text: str) -> list[str]:
        """Anachronisms in `text`, elided ones too (`un'auto`)."""
        return _listed_in(text, self.banned)

    def swearing(self, text: str) -> list[str]:
        """Swear words in `text`, elided ones too."""
        return _listed_in(text, self.vulgar)


def _listed_in(text: str, words: set[str]) -> list[str]:
    return [w for w in _WORD.findall(text) if {w.lower(), w.lower().partition("'")[2]} & words]


def check_words(text: str, what: str, vocabulary: Vocabulary | None, names: int = 0) -> str:
    """ValueError when too many words are not Italian (invented words are the small model's tell);
    where a proper noun is expected (a place), one name of up to `names` adjacent unknown words is allowed
    on top (`Fort Defiance`), never scattered ones."""
    if _MODERN_YEAR.search(text):
        raise ValueError(f"{what} names a modern year ({text[:40]!r})")
    if vocabulary is None:
        return text
    banned = vocabulary.out_of_world(text)
    if banned:
        raise ValueError(f"{what} does not belong in the story's time: {', '.join(banned[:3])}")
    swearing = vocabulary.swearing(text)
    if swearing:
        raise ValueError(f"{what} swears, which the series never prints: {', '.join(swearing[:3])}")
    words = _WORD.findall(text)
    unknown = vocabulary.unknown(text)
    if len(unknown) > int(UNKNOWN_WORD_SHARE * len(words)) + min(names, _longest_run(words, vocabulary)):
        raise ValueError(f"{what} has words that are not Italian: {', '.join(unknown[:4])}")
    return text


def _longest_run(words: list[str], vocabulary: Vocabulary) -> int:
    """The most unknown words in a row (a name of several words)."""
    longest = run = 0
    for word in words:
        run = 0 if vocabulary.knows(word) else run + 1
        longest = max(longest, run)
    return longest


def check_text(
    value: str,
    what: str,
    *,
    min_chars: int = 3,
    max_chars: int = 200,
    vocabulary: Vocabulary | None = None,
    names: int = 0,
) -> str:
    """`value` stripped, or ValueError when it is not usable prose (empty, markup, noise, loops, non-words)."""
    text = clean_value(value)
    if len(text) < min_chars:
        raise ValueError(f"{what} is empty or too short ({text!r})")
    if len(text) > max_chars:
        raise ValueError(f"{what} is too long ({len(text)} > {max_chars} characters)")
    if MARKUP.search(text):
        raise ValueError(f"{what} contains prompt markup ({text[:40]!r})")
    visible = [c for c in text if not c.isspace()]
    letters = sum(c.isalpha() for c in visible)
    if letters < 0.6 * len(visible):
        raise ValueError(f"{what} is mostly not letters ({text[:40]!r})")
    if any(c.isalpha() and not _latin(c) for c in visible):
        raise ValueError(f"{what} is not in the Latin alphabet ({text[:40]!r})")
    if _looping(text):
        raise ValueError(f"{what} repeats itself ({text[:40]!r})")
    return check_words(text, what, vocabulary, names)


def clean_value(value: str) -> str:
    """A field's value as `check_text` measures it: spaces collapsed, quotes and list marks stripped (text
    added to `value` can only make it longer)."""
    return " ".join(value.replace("\u200b", "").split()).strip(" -*#\"'«»")


def _latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _looping(text: str) -> bool:
    words = fold(text).split()
    if len(words) >= 6 and len(set(words)) <= len(words) / 3:
        return True
    return any(words[i] == words[i + 1] == words[i + 2] for i in range(len(words) - 2))


def no_echo(text: str, what: str) -> str:
    """ValueError when a sentence of two words or more comes twice in `text` (`Non posso. Non posso.`);
    a repeated single word is emphasis (`No! No!`)."""
    sentences = [fold(s) for s in _SENTENCE_SPLIT.split(text)]
    said = [s for s in sentences if len(s.split()) >= 2]
    if len(said) != len(set(said)):
        raise ValueError(f"{what} says the same sentence twice ({text[:40]!r})")
    return text


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|[.!?…]+$")


def no_meta_words(text: str, what: str) -> str:
    """ValueError when `text`, which will be lettered, talks about the comic (SCENA, VIGNETTA...)."""
    found = META_WORDS.search(text)
    if found:
        raise ValueError(f"{what} talks about the comic ({found.group(0)!r} in {text[:40]!r})")
    return text


def not_a_copy(text: str, seen: list[str], what: str) -> str:
    """ValueError when `text` repeats a few-shot example or an earlier line verbatim."""
    folded = fold(text)
    if any(folded == fold(s) for s in seen if s):
        raise ValueError(f"{what} copies an example or an earlier line ({text[:40]!r})")
    return text


def parse_title(text: str, vocabulary: Vocabulary | None = None) -> str:
    """First line of the completion as an UPPERCASE title of at most 8 words."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    title = check_text(line, "title", min_chars=3, max_chars=60, vocabulary=vocabulary).rstrip(".")
    no_meta_words(title, "title")
    if len(title.split()) > 8:
        raise ValueError("title has more than 8 words")
    return title.upper()


SCENE_FIELDS = {
    "LUOGO": "place",
    "TEMPO": "time",
    "PERSONAGGI": "cast",
    "OBIETTIVO": "goal",
    "CONFLITTO": "conflict",
    "SVOLTA": "turn",
}
REQUIRED_SCENE_FIELDS = ("place", "goal")
OPTIONAL_SCENE_FIELDS = ("time", "conflict", "turn")
"""Fields a scene may leave out; a line with one of their labels and nothing after it is a field left out
(the 270M model writes `CONFLITTO: ` and `SVOLTA: ` with nothing after them, above all once an earlier
scene of the prompt lacks them; rejecting the block for it sent whole scenes to the fixed fallback)."""
SHORT_FIELDS = ("place", "time")
"""Scene fields lettered in the opening caption: 40 characters at most (the others 200)."""


def field_max_chars(key: str) -> int:
    """The most characters `parse_scene` takes in a scene field."""
    return 40 if key in SHORT_FIELDS else 200


def left_out(key: str, value: str) -> bool:
    """True for an optional scene field written with nothing after its label."""
    return key in OPTIONAL_SCENE_FIELDS and not clean_value(value)


def parse_scene(
    text: str,
    cast: list[str],
    profile: Any,
    examples: list[dict[str, str]],
    vocabulary: Vocabulary | None = None,
) -> dict[str, Any]:
    """A `LUOGO: ... / TEMPO: ...` block -> scene fields; place and goal are required, copies are junk."""
    block = text.split("\nSCENA")[0]
    found: dict[str, Any] = {}
    for label, value in parse_labelled_lines(block, set(SCENE_FIELDS)):
        key = SCENE_FIELDS[label.upper()]
        if key in found or left_out(key, value):
            continue
        if key == "cast":
            found[key] = match_cast(value, cast, profile)
        else:
            names = 2 if key == "place" else 0
            found[key] = check_text(
                value, key, max_chars=field_max_chars(key), vocabulary=vocabulary, names=names
            )
            if key in SHORT_FIELDS:  # lettered in the opening caption
                no_meta_words(found[key], key)
    missing = [k for k in REQUIRED_SCENE_FIELDS if not found.get(k)]
    if missing:
        raise ValueError(f"scene lacks {', '.join(missing)}")
    for example in examples:
        same = [k for k in ("goal", "conflict", "turn") if found.get(k) and _same(found[k], example.get(k))]
        if same:
            raise ValueError(f"scene repeats the {same[0]} of an example or an earlier scene")
    for key in ("place", "time"):
        if key in found:
            found[key] = found[key].upper().rstrip(".")
    return found


def _same(a: Any, b: Any) -> bool:
    return bool(b) and fold(str(a)) == fold(str(b))


def names_someone(text: str, cast: list[str], profile: Any) -> bool:
    """True when `text` names a cast member (by name or alias)."""
    from agent.characters import mentioned_characters

    return bool(set(mentioned_characters(profile, text)) & set(cast))


def parse_beats(
    text: str,
    seen: list[str],
    *,
    cast: list[str] | None = None,
    profile: Any = None,
    vocabulary: Vocabulary | None = None,
) -> list[dict[str, str | None]]:
    """`DIDASCALIA:` / `AZIONE:` lines -> beats, each an action with the caption that precedes it.

    Lines are kept in order until the first unusable one; with a cast, some kept line must name it.
    """
    beats, _ = read_beats(text, seen, vocabulary)
    if not beats:
        raise ValueError("no usable AZIONE line")
    if cast and not any(names_someone(str(b["action"]), cast, profile) for b in beats):
        raise ValueError("no action names anyone of the cast")
    return beats


def read_beats(
    text: str, seen: list[str], vocabulary: Vocabulary | None = None
) -> tuple[list[dict[str, str | None]], bool]:
    """The usable beats of `text` in order, and whether an unusable action ended them (the lines after it
    are never read); ValueError when `text` has no labelled line at all."""
    beats: list[dict[str, str | None]] = []
    caption: str | None = None
    for label, value in parse_labelled_lines(text, {"AZIONE", "DIDASCALIA"}):
        if label.upper() == "DIDASCALIA":
            try:
                caption = caption_text(value, vocabulary)
            except ValueError:
                caption = None
            continue
        try:
            action = check_text(
                value, "action", min_chars=8, max_chars=ACTION_MAX_CHARS, vocabulary=vocabulary
            )
            action = not_a_copy(action, seen, "action")
        except ValueError:
            return beats, True  # the model went astray: keep what came before
        seen = [*seen, action]
        beats.append({"action": action, "caption": caption})
        caption = None
    return beats, False


def beats_settled(
    text: str,
    seen: list[str],
    wanted: int,
    *,
    cast: list[str] | None = None,
    profile: Any = None,
    vocabulary: Vocabulary | None = None,
) -> bool:
    """True when the complete lines of a beats completion already decide what `parse_beats` keeps of the
    whole of it: an unusable action ended them, or they hold `wanted` beats and (with a cast) one names it.
    More text could only add beats the caller does not take."""
    try:
        beats, stopped = read_beats(text.rpartition("\n")[0], seen, vocabulary)
    except ValueError:
        return False
    if stopped:
        return True
    named = not cast or any(names_someone(str(b["action"]), cast, profile) for b in beats)
    return len(beats) >= wanted and named


ACTION_MAX_CHARS = 160


def caption_text(value: str, vocabulary: Vocabulary | None = None) -> str:
    """A narrative caption in UPPERCASE, at most CAPTION_MAX_CHARS, passing the balloons' meta-word check."""
    text = no_meta_words(
        check_text(value, "caption", min_chars=6, max_chars=400, vocabulary=vocabulary), "caption"
    )
    return letter(fit_balloon(text, CAPTION_MAX_CHARS))


def match_shot(value: str) -> str:
    """A shot name from free text ("Campo lungo.", "PRIMISSIMO PIANO"), or ValueError."""
    folded = fold(value)
    for shot in sorted(SHOTS, key=len, reverse=True):
        if folded.startswith(fold(shot)):
            return shot
    for synonym, shot in SHOT_SYNONYMS.items():
        if folded.startswith(synonym):
            return shot
    raise ValueError(f"unknown shot {value[:30]!r}")


SILENT_SHARE = 1 / 3
"""At most this share of a scene's panels may have nobody speaking."""
EMPTY_SHOTS = ("dettaglio", "campo lunghissimo")
"""Shots that may show nobody of the cast."""


def parse_direction(
    text: str,
    cast: list[str],
    profile: Any,
    *,
    action: str = "",
    previous: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`INQUADRATURA / IN SCENA / PARLANO` lines -> shot, figures (cast names) and speakers in order.

    Checked against the action (whoever it names is in the panel, so no empty close-up of them) and
    the scene so far (no third identical shot in a row, not too many silent panels).
    """
    labels = {"INQUADRATURA", "IN SCENA", "PARLANO"}
    fields = {label.upper(): value for label, value in parse_labelled_lines(text, labels)}
    missing = [label for label in ("INQUADRATURA", "PARLANO") if label not in fields]
    if missing:
        raise ValueError(f"no {' or '.join(missing)} line")
    shot = match_shot(fields["INQUADRATURA"])
    previous = previous or []
    if len(previous) >= 2 and all(p["shot"] == shot for p in previous[-2:]):
        raise ValueError(f"a third {shot} in a row")
    named = [n for n in cast if names_someone(action, [n], profile)]
    if named and shot == "dettaglio":
        raise ValueError(f"a dettaglio for an action with {', '.join(named)}")
    figures = match_cast(fields.get("IN SCENA", ""), cast, profile)
    speakers_text = fields.get("PARLANO", "")
    silent = fold(speakers_text) in ("", "nessuno", "nessuna")
    speakers = [] if silent else match_cast(speakers_text, cast, profile)
    if not silent and not speakers:
        raise ValueError(f"PARLANO names nobody in the cast ({speakers_text[:30]!r})")
    silent_before = sum(not p["speakers"] for p in previous)
    if silent and previous and silent_before + 1 > SILENT_SHARE * (len(previous) + 1) + 1:
        raise ValueError("too many panels where nobody speaks")
    figures = list(dict.fromkeys([*speakers, *named, *figures]))
    return {"shot": shot, "figures": figures, "speakers": speakers[:2]}


def fit_balloon(text: str, limit: int = BALLOON_MAX_CHARS) -> str:
    """`text` if it fits, else cut after its last full sentence within `limit`; ValueError if none does."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= limit]
    if not ends or ends[-1] < 10:
        raise ValueError(f"line too long for a balloon ({len(text)} characters)")
    return text[: ends[-1]].strip()


def parse_balloon(
    text: str,
    seen: list[str],
    vocabulary: Vocabulary | None = None,
    earlier: list[str] | None = None,
    names: Sequence[str] = (),
) -> str:
    """The first line of a completion (up to a closing ») as balloon text: lettered in UPPERCASE with
    accents (È, not E'), fits a balloon, no meta words, copies no example, repeats no `earlier` line nor a
    sentence of its own; a speaker label the model wrote first (`TEX:`, `Kit Carson:`) is dropped."""
    line = text.strip().split("»")[0].splitlines()[0].strip() if text.strip() else ""
    line = strip_label(line.lstrip('—–-«" ').strip(), names).lstrip('—–-«" ').strip()
    line = _PO_SPACED.sub(r"\1' ", line)  # the tokeniser's `un po 'di` for `un po' di`
    value = fit_balloon(no_echo(check_text(line, "line", min_chars=2, max_chars=600), "line"))
    value = no_meta_words(check_words(value, "line", vocabulary), "line")
    value = not_a_copy(letter(value), seen, "line")
    return not_a_repeat(value, earlier or [], "line")


_PO_SPACED = re.compile(r"\b([Pp][Oo]) '\s*")
_LABEL = re.compile(r"^([^\W\d_][^\W\d_ .']*(?:[ .'][^\W\d_]+){0,3})\s*:\s*")


def strip_label(line: str, names: Sequence[str] = ()) -> str:
    """`line` without a leading speaker label: one in capitals (`TEX:`), or any case when it is one of
    `names` (`Kit Carson:`); a word before a colon in ordinary case is speech (`Ascolta: ...`)."""
    found = _LABEL.match(line)
    if not found:
        return line
    label = found.group(1)
    if (len(label) > 1 and label.isupper()) or fold(label) in {fold(n) for n in names}:
        return line[found.end() :]
    return line


def letter(text: str) -> str:
    """Text as lettered in a Bonelli balloon: capitals, accents kept (lettering's E' and PERCHE' become È,
    PERCHÉ)."""
    from tools.dialogue.ngram import unletter

    return unletter(text).upper()


def not_a_repeat(text: str, earlier: list[str], what: str) -> str:
    """ValueError when `text` nearly repeats an earlier line of the issue."""
    from difflib import SequenceMatcher

    folded = fold(text)
    for line in earlier:
        if line and SequenceMatcher(None, folded, fold(line)).ratio() >= NEAR_REPEAT:
            raise ValueError(f"{what} repeats an earlier line ({line[:40]!r})")
    return text


def sentence_case(text: str, names: list[str]) -> str:
    """Lettering (capitals) back to ordinary case for a prompt: sentence starts and `names` capitalised."""
    from tools.dialogue.ngram import unletter

    out = re.sub(
        r"(^|[.!?…]\s+)([^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), unletter(text.strip())
    )
    for name in sorted(names, key=len, reverse=True):
        out = re.sub(rf"(?i)\b{re.escape(name)}\b", name, out)
    return out


def story_vocabulary(
    storyline: str,
    profile: Any,
    genre_words: list[str],
    anachronisms: list[str] | None = None,
    vulgarities: list[str] | None = None,
) -> Vocabulary:
    """The lexicon check for one story: Italian plus the profile's names and places, the storyline's
    own words and the genre's (pards, saloon, hombre...); anachronisms and swear words are refused unless
    the storyline itself uses them."""
    extra: set[str] = set(genre_words)
    for character in getattr(profile, "characters", []) or []:
        for name in [character.name, *(getattr(character, "aliases", []) or [])]:
            extra |= {w.lower() for w in _WORD.findall(name)}
        for line in getattr(character, "sample_lines", []) or []:
            extra |= {w.lower() for w in _WORD.findall(line)}
    for place in getattr(profile, "places", []) or []:
        extra |= {w.lower() for w in _WORD.findall(place)}
    extra |= {w.lower() for w in _WORD.findall(storyline)}
    own = {w.lower() for w in _WORD.findall(storyline)}
    banned = {w.lower() for w in anachronisms or []} - own
    return Vocabulary(extra, banned, {w.lower() for w in vulgarities or []} - own)
