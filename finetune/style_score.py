"""The style-fidelity score of generations with and without an adapter, from per-author language models.

`evals.author_lm.AuthorLM` is fitted on held-out text of the target style (never the adapter's training
text) and on contrast texts (one model per other author or series); a group of generations scores
P(target | text), calibrated over all those models. Before scoring, every run of ≥ 8 words copied from the
training or the reference text is flagged and cut out, and generations are pooled into samples of at least
500 words. Two controls are scored by the same models: real target text kept out of the fit (the ceiling)
and real text of a contrast author kept out of the fit (the floor).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finetune.data.examples import read_text

TARGET = "target"
MIN_SAMPLE_WORDS = 500
COPY_WORDS = 8
CONTROL_SHARE = 0.2
MAX_PROFILE_WORDS = 150_000


def profile_label(path: Path) -> str:
    """A contrast file's profile: the author of an ELTeC-style `Author-Name_Title_Year.txt`, else the stem."""
    return path.stem.split("_")[0]


def split_tail(text: str, share: float = CONTROL_SHARE) -> tuple[str, str]:
    """(head, tail) of a text cut at a word, the tail holding `share` of its words (kept out of the fit)."""
    words = text.split()
    cut = len(words) - int(len(words) * share)
    return " ".join(words[:cut]), " ".join(words[cut:])


def fit_models(reference: str, contrast: Sequence[tuple[str, str]]) -> Any:
    """Author LMs over the target style and one per contrast profile (each capped in words)."""
    from evals.author_lm import AuthorLM

    texts = [reference, *(t for _, t in contrast)]
    labels = [TARGET, *(label for label, _ in contrast)]
    return AuthorLM(max_train_words=MAX_PROFILE_WORDS).fit(texts, labels)


def strip_copies(texts: Sequence[str], sources: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    """The texts without the words covered by ≥ COPY_WORDS-grams found in `sources`, and the flags."""
    from evals.copies import NgramIndex

    index = NgramIndex.build(sources, COPY_WORDS)
    kept, copied, total, flagged = [], 0, 0, 0
    for text in texts:
        clean, n_copied, n_words = index.remove_copies(text)
        kept.append(clean)
        copied, total, flagged = copied + n_copied, total + n_words, flagged + (n_copied > 0)
    return kept, {"copied_words": copied, "words": total, "flagged_samples": flagged}


def pooled_samples(texts: Sequence[str], min_words: int = MIN_SAMPLE_WORDS) -> list[str]:
    """Consecutive generations joined until each sample holds ≥ `min_words` words (a short tail joins the
    last sample; fewer words in all give one short sample)."""
    samples: list[str] = []
    current: list[str] = []
    for text in texts:
        current.append(text)
        if len(" ".join(current).split()) >= min_words:
            samples.append(" ".join(current))
            current = []
    if current:
        if samples:
            samples[-1] += " " + " ".join(current)
        else:
            samples.append(" ".join(current))
    return [s for s in samples if s.strip()]


def target_probabilities(models: Any, samples: Sequence[str]) -> list[float]:
    """Calibrated P(target style) of each sample."""
    if not samples:
        return []
    column = list(models.classes).index(TARGET)
    return [round(float(row[column]), 4) for row in models.probabilities(list(samples))]


def one_probability(models: Any, text: str) -> float | None:
    probs = target_probabilities(models, [text] if text.strip() else [])
    return probs[0] if probs else None


def side_score(models: Any, texts: Sequence[str], sources: Sequence[str]) -> dict[str, Any]:
    """Copy check, pooling into ≥ 500-word samples and the mean P(target) of one side's generations."""
    clean, copies = strip_copies(texts, sources)
    samples = pooled_samples(clean)
    probs = target_probabilities(models, samples)
    words = [len(s.split()) for s in samples]
    return {
        "p_target": round(sum(probs) / len(probs), 4) if probs else None,
        "samples": len(samples),
        "sample_words": words,
        "short": bool(words) and min(words) < MIN_SAMPLE_WORDS,
        "per_sample": probs,
        **copies,
    }


def style_score_report(
    reference_texts: Sequence[str],
    contrast: Sequence[Path],
    base_texts: Sequence[str],
    adapter_texts: Sequence[str],
    training_texts: Sequence[str] = (),
) -> dict[str, Any]:
    """{"status", "scores"}: P(target style) of base and adapter generations, with the two controls.

    `reference_texts` must be text of the target style the adapter was NOT trained on; `training_texts`
    (the adapter's training text) is only used to find copied passages."""
    if not contrast:
        return {
            "status": "pending: give contrast texts (--contrast) for the style models to compare against",
            "scores": {},
        }
    try:
        import evals.author_lm  # noqa: F401
    except ImportError:
        return {"status": "pending: the evals author language models are not installed", "scores": {}}
    words = sum(len(t.split()) for t in reference_texts)
    if words < 2 * MIN_SAMPLE_WORDS:
        return {
            "status": f"pending: the held-out target text has {words} words; the style models need at least "
            f"{2 * MIN_SAMPLE_WORDS} (give more --heldout text)",
            "scores": {},
        }
    reference, target_control = split_tail("\n".join(reference_texts))
    others = [(profile_label(p), read_text(p)) for p in contrast]
    first_label, first_text = others[0]
    kept, other_control = split_tail(first_text)
    models = fit_models(reference, [(first_label, kept), *others[1:]])
    sources = [*training_texts, *reference_texts]
    base = side_score(models, base_texts, sources)
    mine = side_score(models, adapter_texts, sources)
    status = (
        f"evals.author_lm: held-out target text against {len({lab for lab, _ in others})} contrast profile(s)"
    )
    return {
        "status": status,
        "scores": {
            "base": base["p_target"],
            "adapter": mine["p_target"],
            "control_target": one_probability(models, target_control),
            "control_other": one_probability(models, other_control),
            "control_other_author": first_label,
            "samples": mine["samples"],
            "copied_words": base["copied_words"] + mine["copied_words"],
        },
        "details": {"base": base, "adapter": mine},
    }
