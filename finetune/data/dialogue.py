"""Dialogue sets: the quoted speech of the TRAINING novels of the frozen ELTeC split (never a held-out
author), written the way the voice writer's balloon prompt writes lines (`prompts/writer/balloon.j2`).

Each conversation of a novel (consecutive paragraphs with speech) becomes one passage: the prompt's
opening words, then its lines as `TEX: «…»` with two of the series' characters taking turns, and the short
narration of a paragraph as a prose sentence before its speech, as the prompt puts the panel's situation
before the line it asks for. Lines are kept as the line bank keeps them (`tools.dialogue.bank.usable_line`:
3-16 words, a sentence end, no names inside). The passages have no prompt, so they are packed and every
token is learned; every HELDOUT_EVERY-th conversation is held out for the adapter's perplexity.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from finetune.data.examples import TextExample, TrainingSet
from tools.dialogue.bank import usable_line
from tools.dialogue.corpus import _CURLY, _DASH, _GUILLEMETS, _STRAIGHT, DialogueSplit, read_novel
from tools.errors import InputFileError

OPENING = "Dialoghi di un romanzo western italiano."
"""The balloon prompt's first words (its plot sentence follows them there)."""
MAX_LINES = 8
"""Lines of one conversation at most (a longer one is cut into several)."""
MAX_NARRATION_WORDS = 24
MIN_NARRATION_WORDS = 5
"""Narration longer than this is a new paragraph of the novel, not a situation: it ends the conversation."""
HELDOUT_EVERY = 10
_BROKEN = re.compile(r"[,;:][.!?]|[.!?] *[.!?,]|[.!?] [a-zà-ÿ]")
"""Narration left broken where its speech was taken out (`disse: .`, `piano. chiese`)."""
Turn = tuple[str, str]
"""('speech' | 'narration', text)."""


def paragraphs(text: str) -> list[str]:
    """A novel's paragraphs: its lines, or its blank-line blocks joined when the text is hard-wrapped."""
    lines = text.splitlines()
    if sum(1 for line in lines if not line.strip()) * 20 < len(lines):
        return [line for line in lines if line.strip()]
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]


def paragraph_turns(paragraph: str) -> tuple[list[Turn], bool]:
    """One paragraph's usable lines, its short narration before them as a situation sentence, and
    whether the paragraph is a long stretch of narration (which ends a conversation)."""
    stripped = " ".join(paragraph.split())
    if stripped.startswith(("—", "–")):
        parts = _DASH.split(stripped)[1:]
        speech, narration = [p.strip(" ,") for p in parts[0::2]], " ".join(parts[1::2])
    else:
        speech, narration = [], stripped
        for pattern in (_GUILLEMETS, _CURLY, _STRAIGHT):
            speech += [m.group(1).strip() for m in pattern.finditer(narration)]
            narration = pattern.sub(" ", narration)
    lines = [("speech", s) for s in (" ".join(s.split()) for s in speech) if usable_line(s)]
    if not speech:
        return [], len(stripped.split()) > MAX_NARRATION_WORDS
    return ([*situation(narration), *lines] if lines else []), False


def situation(text: str) -> list[Turn]:
    """Narration around speech as one prose sentence, when it is a sentence of a few words."""
    text = re.sub(r"\s+([,;:.!?])", r"\1", " ".join(text.split()))
    text = re.sub(r"[,;:]+(?=[.!?]|$)|^[\s,;:.!?—–-]+|[\s,;:—–-]+$", "", text).strip()
    count = len(text.split())
    if not MIN_NARRATION_WORDS <= count <= MAX_NARRATION_WORDS or _BROKEN.search(text):
        return []
    sentence = text[0].upper() + text[1:]
    return [("narration", sentence if sentence[-1] in ".!?…" else sentence + ".")]


def conversations(text: str) -> list[list[Turn]]:
    """Runs of paragraphs with usable speech; a long paragraph of narration alone ends a run."""
    runs: list[list[Turn]] = [[]]
    for paragraph in paragraphs(text):
        turns, ends = paragraph_turns(paragraph)
        if ends:
            runs.append([])
        runs[-1] += turns
    out: list[list[Turn]] = []
    for run in runs:
        out += _cut(run)
    return out


def _cut(run: list[Turn]) -> list[list[Turn]]:
    """A run as conversations of at most MAX_LINES lines, each with at least two."""
    pieces: list[list[Turn]] = [[]]
    for turn in run:
        if turn[0] == "speech" and sum(k == "speech" for k, _ in pieces[-1]) == MAX_LINES:
            pieces.append([])
        pieces[-1].append(turn)
    return [p for p in pieces if sum(k == "speech" for k, _ in p) >= 2]


def passage(turns: Sequence[Turn], labels: Sequence[str]) -> str:
    """A conversation as the balloon prompt writes lines: speakers take turns, narration as prose."""
    lines, speaker = [OPENING], 0
    for kind, text in turns:
        if kind == "narration":
            lines.append(text)
            continue
        lines.append(f"{labels[speaker % len(labels)]}: «{text}»")
        speaker += 1
    # a situation with no line after it says nothing the prompt would ask for
    while lines and not lines[-1].endswith("»"):
        lines.pop()
    return "\n".join(lines)


def dialogue_set(
    novels: Iterable[Path],
    labels: Sequence[str],
    *,
    seed: int = 0,
    limit: int | None = None,
    source_names: Sequence[str] = (),
) -> TrainingSet:
    """Passages of the novels' conversations (two of `labels` per conversation), at most `limit` spread over
    every novel in a seeded order; every HELDOUT_EVERY-th is held out."""
    if len(labels) < 2:
        raise InputFileError("series profile", "a dialogue set needs at least two character labels")
    rng = random.Random(seed)
    texts: list[str] = []
    for path in novels:
        for turns in conversations(read_novel(path)):
            pair = rng.sample(list(labels), 2)
            texts.append(passage(turns, pair))
    if len(texts) < 2:
        raise InputFileError(
            ", ".join(source_names) or "novels", "fewer than two conversations of quoted speech found"
        )
    rng.shuffle(texts)
    held = [t for i, t in enumerate(texts) if i % HELDOUT_EVERY == HELDOUT_EVERY - 1]
    train = [t for i, t in enumerate(texts) if i % HELDOUT_EVERY != HELDOUT_EVERY - 1]
    if limit is not None:
        train, held = train[:limit], held[: max(1, limit // HELDOUT_EVERY)]
    return TrainingSet(
        "dialogue",
        [TextExample("", t) for t in train],
        [TextExample("", t) for t in held],
        list(source_names),
        [],
    )


def training_novels(folder: Path) -> tuple[Path, ...]:
    """The training novels of the frozen author split (the held-out authors are the benchmark's reference)."""
    return DialogueSplit.load(folder).train
