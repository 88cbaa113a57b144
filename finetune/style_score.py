"""The style-fidelity score of generations with and without an adapter, from the evals style classifier.

`evals.style_profile.StyleProfiler` is fitted on the adapter's training text (the target profile) and on
contrast texts (other authors or series, one profile each); a generation's score is its standardised
similarity to the target profile (higher: closer in style). Without contrast texts or without evals/ the
report says the score is pending instead of inventing one; held-out perplexity then stands alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finetune.data.examples import read_text

TARGET = "target"
CHUNK_WORDS = 400
MAX_CHUNKS_PER_PROFILE = 60


def profile_label(path: Path) -> str:
    """A contrast file's profile: the author of an ELTeC-style `Author-Name_Title_Year.txt`, else the stem."""
    return path.stem.split("_")[0]


def _chunks(text: str) -> list[str]:
    from evals.corpus import chunk_words

    chunks = chunk_words(text, CHUNK_WORDS)
    step = max(1, len(chunks) // MAX_CHUNKS_PER_PROFILE)
    return chunks[::step][:MAX_CHUNKS_PER_PROFILE]


def fit_profiler(target_texts: Sequence[str], contrast: Sequence[Path]) -> Any:
    """A StyleProfiler over the target style and one profile per contrast author/file."""
    from evals.style_profile import StyleProfiler

    chunks, labels = [], []
    for text in target_texts:
        found = _chunks(text)
        chunks += found
        labels += [TARGET] * len(found)
    for path in contrast:
        found = _chunks(read_text(path))
        chunks += found
        labels += [profile_label(path)] * len(found)
    return StyleProfiler().fit(chunks, labels)


def target_scores(profiler: Any, texts: Sequence[str]) -> list[float]:
    """Each text's standardised style score for the target profile."""
    column = list(profiler.classes).index(TARGET)
    return [float(row[column]) for row in profiler.scores(list(texts))]


def style_score_report(
    target_texts: Sequence[str],
    contrast: Sequence[Path],
    base_texts: Sequence[str],
    adapter_texts: Sequence[str],
) -> dict[str, Any]:
    """{"status", "scores": {"base", "adapter", ...}}: mean target-style score of each set of generations."""
    if not contrast:
        return {
            "status": "pending: give contrast texts (--contrast) for the style classifier to compare against",
            "scores": {},
        }
    try:
        profiler = fit_profiler(target_texts, contrast)
    except ImportError:
        return {
            "status": "pending: the evals style classifier (evals.style_profile) is not installed",
            "scores": {},
        }
    base, mine = target_scores(profiler, base_texts), target_scores(profiler, adapter_texts)
    pooled = target_scores(profiler, [" ".join(base_texts), " ".join(adapter_texts)])
    return {
        "status": f"evals.style_profile against {len(set(map(profile_label, contrast)))} contrast profile(s)",
        "scores": {
            "base": round(sum(base) / len(base), 4),
            "adapter": round(sum(mine) / len(mine), 4),
            "base_pooled": round(pooled[0], 4),
            "adapter_pooled": round(pooled[1], 4),
            "adapter_wins": sum(m > b for m, b in zip(mine, base, strict=True)),
            "samples": len(base),
        },
    }
