"""Voice attribution: does each character sound like themselves?

A classifier learns the characters' own lines (from the memory, or the series profile's sample lines when
the memory has none); each generated line meant for character X is attributed to a character, and the
share attributed to X is that character's score. The macro accuracy averages those shares over characters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline

from evals.attribution import Confusion, confusion
from evals.corpus import WORD_RE
from tools.errors import InputFileError, NuvolaError
from tools.settings import Settings

MIN_LINES = 2
MAX_LINES = 400


class VoiceEvalError(NuvolaError):
    """Voice attribution cannot run: too few characters with reference lines, or no dialogue."""


@dataclass
class ReferenceLines:
    """Each character's own lines, and where they were found."""

    lines: dict[str, list[str]]
    source: str
    notes: list[str] = field(default_factory=list)

    def usable(self, minimum: int = MIN_LINES) -> dict[str, list[str]]:
        return {name: ls for name, ls in self.lines.items() if len(ls) >= minimum}


def voice_pipeline(seed: int = 0) -> Pipeline:
    """Word-bounded char 2–4-grams and words 1–2, TF-IDF, into a class-balanced logistic regression."""
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=True),
            ),
            (
                "words",
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
            ),
        ]
    )
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000, random_state=seed)
    return make_pipeline(features, model)


@dataclass
class VoiceClassifier:
    """Which character a line sounds like."""

    seed: int = 0
    pipeline: Any = None
    classes: list[str] = field(default_factory=list)

    def fit(self, reference: dict[str, list[str]]) -> VoiceClassifier:
        if len(reference) < 2:
            raise VoiceEvalError(
                f"voice attribution needs reference lines of at least two characters, got {sorted(reference)}"
            )
        lines = [line for ls in reference.values() for line in ls]
        labels = [name for name, ls in reference.items() for _ in ls]
        self.pipeline = voice_pipeline(self.seed).fit(lines, labels)
        self.classes = [str(c) for c in self.pipeline.classes_]
        return self

    def predict(self, lines: Sequence[str]) -> list[str]:
        return [str(p) for p in self.pipeline.predict(list(lines))]


def cross_validated(reference: dict[str, list[str]], seed: int = 0, folds: int = 5) -> float | None:
    """Macro accuracy of the classifier on the reference lines themselves (stratified k-fold): how
    separable the voices are at all; None when some character has too few lines to hold any out."""
    counts = [len(ls) for ls in reference.values()]
    k = min(folds, min(counts))
    if k < 2 or len(reference) < 2:
        return None
    lines = np.array([line for ls in reference.values() for line in ls], dtype=object)
    labels = np.array([name for name, ls in reference.items() for _ in ls])
    predicted = np.empty(len(labels), dtype=object)
    for train, test in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(lines, labels):
        model = voice_pipeline(seed).fit(list(lines[train]), list(labels[train]))
        predicted[test] = model.predict(list(lines[test]))
    return round(float(np.mean([np.mean(predicted[labels == n] == n) for n in reference])), 4)


class CharacterVoice(BaseModel):
    lines: int
    attributed_to_self: int
    share: float
    attributed: dict[str, int]


class VoiceReport(BaseModel):
    """What `nuvola eval voices` prints for one run."""

    characters: list[str]
    per_character: dict[str, CharacterVoice]
    accuracy: float
    macro_accuracy: float
    chance: float
    n_lines: int
    confusion: Confusion
    skipped_speakers: dict[str, int]
    copied_lines: int
    reference_source: str
    reference_lines: dict[str, int]
    reference_cv_macro_accuracy: float | None
    notes: list[str]
    config: dict[str, object]


def line_key(text: str) -> str:
    """A line's words, lower-cased: a generated line equal to a reference line is a copy, not a voice."""
    return " ".join(WORD_RE.findall(text.lower()))


def attribute_voices(
    reference: ReferenceLines, dialogue: Sequence[tuple[str, str]], seed: int = 0
) -> VoiceReport:
    """Attribute every generated line whose speaker has reference lines; report shares and confusion.

    Lines copied word for word from the reference are counted apart and not attributed (they would
    score the classifier's memory, not the writer's voice)."""
    usable = reference.usable()
    if len(usable) < 2:
        raise VoiceEvalError(
            f"voice attribution needs at least two characters with {MIN_LINES}+ reference lines "
            f"({reference.source} has {', '.join(f'{k}: {len(v)}' for k, v in reference.lines.items()) or 'none'})"
        )
    known = {line_key(line) for ls in usable.values() for line in ls}
    copied = sum(1 for s, t in dialogue if s in usable and line_key(t) in known)
    kept = [(s, t) for s, t in dialogue if s in usable and line_key(t) not in known]
    skipped = Counter(s for s, _ in dialogue if s not in usable)
    if not kept:
        raise VoiceEvalError(
            f"no generated line is spoken by a character with reference lines ({', '.join(sorted(usable))})"
        )
    classifier = VoiceClassifier(seed=seed).fit(usable)
    predicted = classifier.predict([t for _, t in kept])
    truth = [s for s, _ in kept]
    per_character = {}
    for name in sorted({s for s in truth}):
        mine = [p for s, p in zip(truth, predicted, strict=True) if s == name]
        hits = sum(p == name for p in mine)
        per_character[name] = CharacterVoice(
            lines=len(mine),
            attributed_to_self=hits,
            share=round(hits / len(mine), 4),
            attributed=dict(Counter(mine)),
        )
    return VoiceReport(
        characters=sorted(usable),
        per_character=per_character,
        accuracy=round(float(np.mean(np.array(truth) == np.array(predicted))), 4),
        macro_accuracy=round(float(np.mean([c.share for c in per_character.values()])), 4),
        chance=round(1.0 / len(usable), 4),
        n_lines=len(kept),
        confusion=confusion(truth, predicted),
        skipped_speakers=dict(skipped),
        copied_lines=copied,
        reference_source=reference.source,
        reference_lines={k: len(v) for k, v in usable.items()},
        reference_cv_macro_accuracy=cross_validated(usable, seed),
        notes=list(reference.notes),
        config={
            "seed": seed,
            "min_reference_lines": MIN_LINES,
            "max_reference_lines": MAX_LINES,
            "classifier": "char_wb 2-4 + word 1-2 tf-idf, logistic regression C=10 balanced",
        },
    )


def lines_from_file(path: Path) -> ReferenceLines:
    """Reference lines from a text file of `NAME: line` rows (other rows are ignored)."""
    try:
        body = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, str(exc)) from exc
    lines: dict[str, list[str]] = {}
    for row in body.splitlines():
        name, sep, text = row.partition(":")
        if sep and name.strip() and text.strip() and len(name.split()) <= 4:
            lines.setdefault(name.strip(), []).append(text.strip())
    return ReferenceLines(lines=lines, source=str(path))


def lines_from_profile(settings: Settings, characters: Sequence[str]) -> ReferenceLines:
    """The sample lines the series profile writes for each character."""
    from tools.series.profile import load_profile

    profile = load_profile(settings.series)
    found = [profile.find(c) for c in characters]
    wanted = {c.name for c in found if c is not None}
    lines = {c.name: list(c.sample_lines) for c in profile.characters if c.name in wanted and c.sample_lines}
    return ReferenceLines(lines=lines, source=f"profile:{profile.name} sample lines")


def lines_from_memory(
    settings: Settings, characters: Sequence[str], limit: int = MAX_LINES
) -> ReferenceLines:
    """Each character's lines in the memory (spread across their stories)."""
    from evals.reference import spoken_text
    from memory.retrieval import character_lines
    from memory.store import MemoryStore

    store = MemoryStore.open(settings)
    lines: dict[str, list[str]] = {}
    for name in characters:
        canonical = store.canonical(name)
        found = [spoken_text(h.text, h.metadata) for h in character_lines(store, canonical, k=limit)]
        if found:
            lines.setdefault(canonical, []).extend(found)
    return ReferenceLines(lines=lines, source="memory")


def reference_lines(settings: Settings, characters: Sequence[str]) -> ReferenceLines:
    """Lines from the memory when it holds lines of two or more of `characters`, else the profile's."""
    notes: list[str] = []
    try:
        found = lines_from_memory(settings, characters)
        if len(found.usable()) >= 2:
            return found
        notes.append(
            f"memory has reference lines for {len(found.usable())} of the characters; using the series profile"
        )
    except (NuvolaError, ImportError, OSError, ValueError) as exc:
        notes.append(f"memory unavailable ({str(exc)[:120]}); using the series profile")
    fallback = lines_from_profile(settings, characters)
    fallback.notes = notes
    return fallback


def canonical_dialogue(settings: Settings, lines: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Speakers renamed to the series profile's canonical names (aliases such as `Willer` become `Tex`)."""
    from tools.series.profile import load_profile

    profile = load_profile(settings.series)

    def canonical(name: str) -> str:
        found = profile.find(name)
        return found.name if found is not None else name.strip()

    return [(canonical(s), t) for s, t in lines]


def evaluate_voices(
    settings: Settings, dialogue: Sequence[tuple[str, str]], reference_file: Path | None = None, seed: int = 0
) -> VoiceReport:
    """Voice attribution of a run's dialogue against reference lines (a file, the memory or the profile)."""
    lines = canonical_dialogue(settings, dialogue)
    if not lines:
        raise VoiceEvalError("the run has no spoken lines with a named speaker")
    characters = sorted({s for s, _ in lines})
    reference = lines_from_file(reference_file) if reference_file else reference_lines(settings, characters)
    return attribute_voices(reference, lines, seed)
