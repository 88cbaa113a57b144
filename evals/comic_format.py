"""Comic-format fidelity: does a text letter like the reference series?

Per balloon: words, share of upper-case letters, and how many `!`, `?` and ellipses it holds; per panel:
balloons; per page: panels. Each distribution is compared with the reference's by the 1-Wasserstein
(earth mover's) distance, also divided by the spread of both samples pooled so the measures can be averaged.
"""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel
from scipy.stats import wasserstein_distance

from evals.corpus import WORD_RE
from evals.samples import TextSample

ELLIPSIS_RE = re.compile(r"…|\.\.\.+")
BALLOON_METRICS = ("words_per_balloon", "uppercase_share", "exclamations", "questions", "ellipses")
STRUCTURE_METRICS = ("balloons_per_panel", "panels_per_page")


def uppercase_share(text: str) -> float:
    """Share of the letters that are upper case (0 when there are no letters)."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


def format_distributions(sample: TextSample) -> dict[str, np.ndarray]:
    """Every format measure of a sample as an array of values (per balloon, panel or page)."""
    lettered = [b.drawn for b in sample.balloons if b.kind != "sfx"]
    out: dict[str, np.ndarray] = {
        "words_per_balloon": np.array([len(WORD_RE.findall(t)) for t in lettered], dtype=float),
        "uppercase_share": np.array([uppercase_share(t) for t in lettered], dtype=float),
        "exclamations": np.array([t.count("!") for t in lettered], dtype=float),
        "questions": np.array([t.count("?") for t in lettered], dtype=float),
        "ellipses": np.array([len(ELLIPSIS_RE.findall(t)) for t in lettered], dtype=float),
    }
    if sample.balloons_per_panel:
        out["balloons_per_panel"] = np.array(sample.balloons_per_panel, dtype=float)
    if sample.panels_per_page:
        out["panels_per_page"] = np.array(sample.panels_per_page, dtype=float)
    return out


class FormatMeasure(BaseModel):
    """One measure: means on both sides and the distance between the two distributions."""

    reference_mean: float
    candidate_mean: float
    wasserstein: float
    normalised: float
    reference_n: int
    candidate_n: int


class FormatComparison(BaseModel):
    """Every measure both sides have, and the overall fidelity 1 / (1 + mean normalised distance)."""

    measures: dict[str, FormatMeasure]
    fidelity: float | None
    missing: list[str]


def compare_distributions(reference: np.ndarray, candidate: np.ndarray) -> FormatMeasure:
    distance = float(wasserstein_distance(reference, candidate))
    spread = float(np.std(np.concatenate([reference, candidate])))
    scale = spread if spread > 1e-9 else 1.0
    return FormatMeasure(
        reference_mean=round(float(np.mean(reference)), 4),
        candidate_mean=round(float(np.mean(candidate)), 4),
        wasserstein=round(distance, 4),
        normalised=round(distance / scale, 4),
        reference_n=len(reference),
        candidate_n=len(candidate),
    )


def compare_format(reference: TextSample, candidate: TextSample) -> FormatComparison:
    """Compare every measure that both samples have (plain text has no panels or pages)."""
    ref, cand = format_distributions(reference), format_distributions(candidate)
    measures = {
        name: compare_distributions(ref[name], cand[name])
        for name in (*BALLOON_METRICS, *STRUCTURE_METRICS)
        if name in ref and name in cand and len(ref[name]) and len(cand[name])
    }
    missing = [n for n in (*BALLOON_METRICS, *STRUCTURE_METRICS) if n not in measures]
    if not measures:
        return FormatComparison(measures={}, fidelity=None, missing=missing)
    mean_distance = float(np.mean([m.normalised for m in measures.values()]))
    return FormatComparison(
        measures=measures, fidelity=round(1.0 / (1.0 + mean_distance), 4), missing=missing
    )
