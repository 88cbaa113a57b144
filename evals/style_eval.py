"""`nuvola eval style`: every style metric for each candidate against the reference, and a baseline.

Per candidate: Burrows' and cosine Delta from the reference profile, the style classifier's calibrated
P(reference) (when background text is given), perplexity under a chosen model (when one is given), comic
format fidelity, and the optional LLM judge. A baseline set (e.g. the base model's issue, without LoRA)
is measured the same way and the mean differences are reported.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from evals.comic_format import FormatComparison, compare_format
from evals.copies import NgramIndex
from evals.corpus import chunk_words, count_words
from evals.judge import JudgeVerdict
from evals.perplexity import TextPerplexity
from evals.samples import TextSample
from evals.style_classifier import StyleClassifier, StyleProbability, even_sample
from evals.style_profile import StyleProfiler
from evals.stylometry import DeltaSpace, profile_delta

MIN_POPULATION_CHUNKS = 5
MIN_SAMPLE_WORDS = 500
COPY_WORDS = 8
MAX_PROFILE_CHUNKS = 300
REFERENCE_PROFILE = "<reference>"


@dataclass
class StyleEvalConfig:
    """Everything that decides a style report's numbers (logged with them)."""

    mfw: int = 300
    delta_chunk_words: int = 500
    classifier_chunk_words: int = 100
    max_background_chunks: int = 2000
    perplexity_models: tuple[str, ...] = ()
    perplexity_window: int = 256
    perplexity_max_tokens: int = 4096
    judge_model: str | None = None
    series: str = "tex"
    seed: int = 0


class ProfileScore(BaseModel):
    """The style score (evals.style_profile, validated by attribution) for the reference profile against
    one profile per background author: standardised across profiles, and the reference's rank (1 = closest)."""

    score: float
    rank: int
    profiles: int
    nearest: str


class AuthorLMScore(BaseModel):
    """P(reference | candidate) from per-author language models (evals.author_lm) of the reference and of
    each background profile, scored on the candidate with copied runs of the reference cut out."""

    p_reference: float
    rank: int
    profiles: int
    nearest: str


class CandidateScores(BaseModel):
    """Every metric of one candidate."""

    name: str
    source: str
    words: int
    balloons: int
    burrows_delta: float
    cosine_delta: float | None
    style_probability: StyleProbability | None = None
    style_score: ProfileScore | None = None
    author_lm: AuthorLMScore | None = None
    copied_share: float = 0.0
    short: bool = False
    perplexity: dict[str, TextPerplexity] = {}
    format: FormatComparison
    judge: JudgeVerdict | None = None
    errors: list[str] = []


class SideSummary(BaseModel):
    name: str
    source: str
    words: int
    balloons: int


class StyleReport(BaseModel):
    """What `nuvola eval style` prints: the reference, each candidate, the baseline and the differences."""

    reference: SideSummary
    background: SideSummary | None
    candidates: list[CandidateScores]
    baseline: list[CandidateScores]
    comparison: dict[str, float]
    notes: list[str]
    config: dict[str, Any]
    seconds: float


def population_chunks(texts: Sequence[str], size: int) -> tuple[list[str], int]:
    """Chunks that z-score the Delta space; smaller chunks when the texts are too short for five."""
    words = sum(count_words(t) for t in texts)
    if words // max(size, 1) < MIN_POPULATION_CHUNKS:
        size = max(20, words // MIN_POPULATION_CHUNKS)
    chunks = [c for t in texts for c in chunk_words(t, size)]
    return chunks, size


def fit_profiler(
    reference_chunks: list[str], background: Sequence[tuple[str, str]], size: int, config: StyleEvalConfig
) -> StyleProfiler | None:
    """A StyleProfiler over the reference and each background author (at most MAX_PROFILE_CHUNKS chunks each)."""
    chunks = even_sample(reference_chunks, MAX_PROFILE_CHUNKS, config.seed)
    labels = [REFERENCE_PROFILE] * len(chunks)
    by_label: dict[str, list[str]] = {}
    for label, text in background:
        by_label.setdefault(label, []).extend(chunk_words(text, size))
    for label, pieces in sorted(by_label.items()):
        picked = even_sample(pieces, MAX_PROFILE_CHUNKS, config.seed)
        chunks += picked
        labels += [label] * len(picked)
    if len(set(labels)) < 2:
        return None
    return StyleProfiler().fit(chunks, labels)


def fit_author_models(reference: str, background: Sequence[tuple[str, str]]) -> Any:
    """Per-author LMs of the reference and of each background profile (at most 150k words each)."""
    from evals.author_lm import AuthorLM

    by_label: dict[str, list[str]] = {}
    for label, text in background:
        by_label.setdefault(label, []).append(text)
    if not by_label:
        return None
    texts = [reference, *("\n".join(v) for v in by_label.values())]
    labels = [REFERENCE_PROFILE, *by_label]
    return AuthorLM(
        max_train_words=150_000, impostor_words=min(1000, max(50, count_words(reference) // 8))
    ).fit(texts, labels)


def reference_self_delta(space: DeltaSpace, chunks: Sequence[str]) -> float | None:
    """Mean Burrows' Delta of the reference's own chunks from its profile: the distance a text of the
    reference itself is typically at (read candidate Deltas against it)."""
    if len(chunks) < 2:
        return None
    z = space.z(chunks)
    return round(float(np.abs(z - z.mean(axis=0)).mean()), 4)


def summary(sample: TextSample) -> SideSummary:
    return SideSummary(
        name=sample.name, source=sample.source, words=count_words(sample.text), balloons=len(sample.balloons)
    )


@dataclass
class StyleEvaluator:
    """Fitted once on the reference (and background); scores any number of candidate samples."""

    reference: TextSample
    background: list[tuple[str, str]]
    config: StyleEvalConfig
    space: DeltaSpace | None = None
    reference_chunks: list[str] | None = None
    population: int = 0
    self_delta: float | None = None
    profiler: StyleProfiler | None = None
    classifier: StyleClassifier | None = None
    author_models: Any = None
    copies: NgramIndex | None = None
    judge_llm: Any = None

    def fit(self) -> StyleEvaluator:
        """Fit the Delta space on chunks of the reference and the background (z-scores are measured on
        that population), the style classifier when there is background, and load the judge."""
        ref_chunks, size = population_chunks([self.reference.text], self.config.delta_chunk_words)
        bg_all = [c for _, t in self.background for c in chunk_words(t, size)]
        bg_chunks = even_sample(bg_all, self.config.max_background_chunks, self.config.seed)
        self.reference_chunks = ref_chunks or [self.reference.text]
        self.population = len(self.reference_chunks) + len(bg_chunks)
        self.space = DeltaSpace.fit(self.reference_chunks + bg_chunks, self.config.mfw)
        self.self_delta = reference_self_delta(self.space, self.reference_chunks)
        if self.background:
            self.classifier = StyleClassifier(
                chunk_words=self.config.classifier_chunk_words,
                max_chunks=self.config.max_background_chunks,
                seed=self.config.seed,
            ).fit([self.reference.text], [t for _, t in self.background])
            self.profiler = fit_profiler(self.reference_chunks, self.background, size, self.config)
            self.author_models = fit_author_models(self.reference.text, self.background)
        self.copies = NgramIndex.build([self.reference.text], COPY_WORDS)
        if self.config.judge_model:
            from tools.models import get_llm

            self.judge_llm = get_llm(self.config.judge_model)
        return self

    def score(self, sample: TextSample, perplexity: dict[str, TextPerplexity]) -> CandidateScores:
        assert self.space is not None and self.reference_chunks is not None and self.copies is not None
        clean, copied, words = self.copies.remove_copies(sample.text)
        delta = profile_delta(self.space, self.reference_chunks, [sample.text])
        burrows, cosine = delta["burrows_delta"] or [float("nan")], delta["cosine_delta"]
        scores = CandidateScores(
            name=sample.name,
            source=sample.source,
            words=count_words(sample.text),
            balloons=len(sample.balloons),
            burrows_delta=round(burrows[0], 4),
            cosine_delta=None if cosine is None else round(cosine[0], 4),
            style_probability=self.classifier.probability(sample.text) if self.classifier else None,
            style_score=self.profile_score(sample.text) if self.profiler else None,
            author_lm=self.author_lm_score(clean) if self.author_models is not None else None,
            copied_share=round(copied / words, 4) if words else 0.0,
            short=count_words(sample.text) < MIN_SAMPLE_WORDS,
            perplexity=perplexity,
            format=compare_format(self.reference, sample),
        )
        if self.judge_llm is not None:
            self._judge(sample, scores)
        return scores

    def profile_score(self, text: str) -> ProfileScore:
        """The harness's style score of `text` for the reference profile, and its rank among all profiles."""
        assert self.profiler is not None
        row = self.profiler.scores([text])[0]
        column = list(self.profiler.classes).index(REFERENCE_PROFILE)
        ranked = [str(self.profiler.classes[i]) for i in np.argsort(-row)]
        return ProfileScore(
            score=round(float(row[column]), 4),
            rank=1 + int((row > row[column]).sum()),
            profiles=len(row),
            nearest=ranked[0],
        )

    def author_lm_score(self, text: str) -> AuthorLMScore | None:
        """Calibrated P(reference) of `text` among the reference and background author models."""
        if not text.strip():
            return None
        row = self.author_models.probabilities([text])[0]
        classes = [str(c) for c in self.author_models.classes]
        p = float(row[classes.index(REFERENCE_PROFILE)])
        return AuthorLMScore(
            p_reference=round(p, 4),
            rank=1 + int((row > p).sum()),
            profiles=len(classes),
            nearest=classes[int(row.argmax())],
        )

    def _judge(self, sample: TextSample, scores: CandidateScores) -> None:
        from evals.judge import judge
        from tools.errors import StructuredOutputError

        reference = [b.text for b in self.reference.balloons]
        step = max(1, len(reference) // 40)
        try:
            scores.judge = judge(
                self.judge_llm,
                self.config.series,
                reference[::step],
                sample.name,
                [b.text for b in sample.balloons],
                self.config.seed,
            )
        except StructuredOutputError as exc:
            scores.errors.append(f"judge: {exc}")

    def config_dict(self) -> dict[str, Any]:
        out = asdict(self.config)
        out["delta_vocabulary_size"] = len(self.space.vocabulary) if self.space else 0
        out["delta_reference_chunks"] = len(self.reference_chunks or [])
        out["delta_population_chunks"] = self.population
        out["reference_self_delta"] = self.self_delta
        if self.classifier is not None:
            out["classifier"] = self.classifier.config()
        return out


def with_perplexity(
    samples: Sequence[TextSample], config: StyleEvalConfig
) -> list[dict[str, TextPerplexity]]:
    """Each sample's perplexity under every model of `config.perplexity_models`."""
    from evals.perplexity import perplexities

    out: list[dict[str, TextPerplexity]] = [{} for _ in samples]
    for model in config.perplexity_models:
        texts = [s.text for s in samples]
        values = perplexities(model, texts, config.perplexity_window, config.perplexity_max_tokens)
        for row, value in zip(out, values, strict=True):
            row[model] = value
    return out


def metric_getters(config: StyleEvalConfig) -> dict[str, Any]:
    """The metrics a baseline comparison covers, each a function of CandidateScores (None: not measured)."""
    getters: dict[str, Any] = {
        "burrows_delta": lambda c: c.burrows_delta,
        "cosine_delta": lambda c: c.cosine_delta,
        "style_probability": lambda c: c.style_probability.probability if c.style_probability else None,
        "style_score": lambda c: c.style_score.score if c.style_score else None,
        "author_lm_p_reference": lambda c: c.author_lm.p_reference if c.author_lm else None,
        "copied_share": lambda c: c.copied_share,
        "format_fidelity": lambda c: c.format.fidelity,
        "judge_overall": lambda c: c.judge.overall if c.judge else None,
    }
    for model in config.perplexity_models:
        getters[f"perplexity[{model}]"] = lambda c, m=model: (
            c.perplexity[m].perplexity if m in c.perplexity else None
        )
    return getters


def compare(
    candidates: Sequence[CandidateScores], baseline: Sequence[CandidateScores], config: StyleEvalConfig
) -> dict[str, float]:
    """Mean of each metric over the candidates minus its mean over the baseline."""
    out = {}
    for metric, get in metric_getters(config).items():
        mine = [v for v in map(get, candidates) if v is not None]
        theirs = [v for v in map(get, baseline) if v is not None]
        if mine and theirs:
            out[metric] = round(float(np.mean(mine) - np.mean(theirs)), 4)
    return out


def sample_notes(scored: Sequence[CandidateScores]) -> list[str]:
    """Warnings about samples too short to score and samples that copy the reference."""
    notes = []
    short = [c.name for c in scored if c.short]
    if short:
        notes.append(f"under {MIN_SAMPLE_WORDS} words (style figures are noisy): {', '.join(short)}")
    copied = [f"{c.name} {c.copied_share:.0%}" for c in scored if c.copied_share > 0]
    if copied:
        notes.append(
            f"copies runs of ≥ {COPY_WORDS} words from the reference (cut out before the author-LM score): "
            + ", ".join(copied)
        )
    return notes


def run_style_eval(
    reference: TextSample,
    candidates: Sequence[TextSample],
    config: StyleEvalConfig,
    background: Sequence[tuple[str, str]] = (),
    baseline: Sequence[TextSample] = (),
    background_name: str = "",
) -> StyleReport:
    """Fit on the reference (and background), score every candidate and baseline sample."""
    start = time.perf_counter()
    evaluator = StyleEvaluator(reference, list(background), config).fit()
    notes = []
    if not background:
        notes.append(
            "no --background: Delta is measured in the reference's own spread (cosine Delta needs a population "
            "beyond the reference) and the style classifier (P(reference)) was not run"
        )
    else:
        notes.append(
            "style rank and P(reference) say how much closer a candidate is to the reference than to the "
            f"background profiles ({', '.join(sorted({label for label, _ in background}))}); if the "
            "background is another genre (novels against comic dialogue), part of what they measure is genre: "
            "give other dialogue or comic text as --background to measure style within the genre"
        )
    if not config.perplexity_models:
        notes.append("no --lm: perplexity was not measured")
    scored = [
        evaluator.score(s, p) for s, p in zip(candidates, with_perplexity(candidates, config), strict=True)
    ]
    base = [evaluator.score(s, p) for s, p in zip(baseline, with_perplexity(baseline, config), strict=True)]
    notes += sample_notes([*scored, *base])
    bg = SideSummary(
        name=background_name or "background",
        source=background_name,
        words=sum(count_words(t) for _, t in background),
        balloons=0,
    )
    return StyleReport(
        reference=summary(reference),
        background=bg if background else None,
        candidates=scored,
        baseline=base,
        comparison=compare(scored, base, config),
        notes=notes,
        config=evaluator.config_dict(),
        seconds=round(time.perf_counter() - start, 2),
    )
