"""How each character speaks: line counts, sentence length, ! and ? rates, frequent expressions, samples."""

from __future__ import annotations

from collections import Counter
from statistics import mean

from tools.story.model import CharacterVoice, StoryLine
from tools.story.text import STOPWORDS, ngrams, sentences, words

MAX_EXPRESSIONS = 8
MAX_SAMPLES = 5


def character_voices(lines: list[StoryLine]) -> list[CharacterVoice]:
    """A voice record per speaker, most talkative first."""
    by_speaker: dict[str, list[StoryLine]] = {}
    for line in lines:
        if line.kind == "speech" and line.speaker:
            by_speaker.setdefault(line.speaker, []).append(line)
    background = _ngram_counts([line for line in lines if line.kind == "speech"])
    voices = [_voice(name, said, background) for name, said in by_speaker.items()]
    return sorted(voices, key=lambda v: (-v.line_count, v.first_page, v.name))


def _voice(name: str, said: list[StoryLine], background: Counter[tuple[str, ...]]) -> CharacterVoice:
    texts = [line.text for line in said]
    lengths = [len(words(s)) for text in texts for s in sentences(text)]
    expressions = frequent_expressions(said, background)
    addressees = Counter(line.addressee for line in said if line.addressee)
    acts = Counter(line.act for line in said if line.act)
    return CharacterVoice(
        name=name,
        line_count=len(said),
        word_count=sum(len(words(t)) for t in texts),
        avg_sentence_words=round(mean(lengths), 2) if lengths else 0.0,
        exclamation_rate=round(sum("!" in t for t in texts) / len(texts), 3),
        question_rate=round(sum("?" in t for t in texts) / len(texts), 3),
        frequent_expressions=expressions,
        addressees=dict(addressees.most_common()),
        acts=dict(acts.most_common()),
        voice_samples=voice_samples(said, expressions),
        first_page=min(line.page_index for line in said),
    )


def _ngram_counts(lines: list[StoryLine]) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    for line in lines:
        tokens = words(line.text)
        for n in (1, 2, 3):
            counts.update(set(ngrams(tokens, n)))  # count lines, not repetitions inside one line
    return counts


def frequent_expressions(said: list[StoryLine], background: Counter[tuple[str, ...]]) -> list[str]:
    """Word sequences a character uses in two or more lines, ranked by how much they are *theirs*."""
    own = _ngram_counts(said)
    scored = []
    for gram, count in own.items():
        if count < 2 or all(w in STOPWORDS for w in gram):
            continue
        share = count / background[gram]  # 1.0 when nobody else says it
        scored.append((count * share * len(gram), count, " ".join(gram)))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    chosen: list[str] = []
    for _, _, text in scored:
        if not any(text in longer or longer in text for longer in chosen):
            chosen.append(text)
        if len(chosen) == MAX_EXPRESSIONS:
            break
    return chosen


def voice_samples(said: list[StoryLine], expressions: list[str]) -> list[StoryLine]:
    """Up to five characteristic lines: mid-length, using the character's expressions, varied openings."""

    def score(line: StoryLine) -> tuple[float, int]:
        n = len(words(line.text))
        fit = 1.0 if 5 <= n <= 22 else 0.3 if n >= 3 else 0.0
        uses = sum(expr in " ".join(words(line.text)) for expr in expressions)
        marks = 0.5 if ("!" in line.text or "?" in line.text) else 0.0
        return (fit * 2 + uses + marks, -line.page_index)

    samples: list[StoryLine] = []
    openings: set[str] = set()
    for line in sorted(said, key=score, reverse=True):
        opening = " ".join(words(line.text)[:2])
        if opening in openings or not words(line.text):
            continue
        openings.add(opening)
        samples.append(line)
        if len(samples) == MAX_SAMPLES:
            break
    return sorted(samples, key=lambda line: (line.page_index, line.balloon_id))
