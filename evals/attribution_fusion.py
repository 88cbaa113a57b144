"""Calibrated fusion of attribution methods: a conditional logit over their row-standardised scores.

P(author | chunk) = softmax over authors of Σ_m w_m · standardise_rows(score_m). The weights w are fitted
by maximum likelihood on leave-one-novel-out scores of the dev authors' novels (never the frozen ones), so
one fit gives both how much each method counts and how sharp the probabilities are. `cross_fit` checks the
fit fold against fold: weights from one fold, accuracy and log-loss on the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import minimize

from evals.style_profile import standardise_rows

if TYPE_CHECKING:
    from evals.attribution import AttributionConfig


@dataclass
class FoldScores:
    """One fold's scores: per method a chunks × authors matrix (columns in `classes` order), and the true
    author's column of each chunk."""

    scores: dict[str, np.ndarray]
    truth: np.ndarray

    def stacked(self, methods: Sequence[str]) -> np.ndarray:
        """chunks × authors × methods, each method's scores standardised across authors per chunk."""
        return np.stack([standardise_rows(self.scores[m]) for m in methods], axis=2)


def negative_log_likelihood(weights: np.ndarray, features: np.ndarray, truth: np.ndarray) -> float:
    """Mean -ln P(true author) under softmax(features · weights)."""
    logits = features @ weights
    logits = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits).sum(axis=1))
    return float(-(logits[np.arange(len(truth)), truth] - log_norm).mean())


def fit_weights(folds: Sequence[FoldScores], methods: Sequence[str], ridge: float = 1e-3) -> dict[str, float]:
    """Maximum-likelihood weights of `methods` over the chunks of `folds` (small ridge for stability)."""
    features = np.concatenate([f.stacked(methods) for f in folds])
    truth = np.concatenate([f.truth for f in folds])
    if len(truth) == 0:
        raise ValueError("no scored chunks to fit fusion weights on")

    def objective(w: np.ndarray) -> float:
        return negative_log_likelihood(w, features, truth) + ridge * float(w @ w)

    result = minimize(objective, np.ones(len(methods)), method="L-BFGS-B")
    return {m: round(float(w), 3) for m, w in zip(methods, result.x, strict=True)}


@dataclass
class FusionCheck:
    """Weights fitted on one fold, judged on another."""

    fitted_on: int
    tested_on: int
    weights: dict[str, float]
    accuracy: float
    log_loss: float


def cross_fit(folds: Sequence[FoldScores], methods: Sequence[str]) -> list[FusionCheck]:
    """For every ordered pair of folds: weights from the first, top-1 accuracy and log-loss on the second."""
    checks = []
    for i, source in enumerate(folds):
        weights = fit_weights([source], methods)
        w = np.array([weights[m] for m in methods])
        for j, target in enumerate(folds):
            if i == j:
                continue
            features = target.stacked(methods)
            accuracy = float(((features @ w).argmax(axis=1) == target.truth).mean())
            loss = negative_log_likelihood(w, features, target.truth)
            checks.append(FusionCheck(i, j, weights, round(accuracy, 4), round(loss, 4)))
    return checks


def leave_one_out_scores(
    corpus_dir: Path | str, config: AttributionConfig, methods: Sequence[str], part: str = "dev"
) -> list[FoldScores]:
    """Each fold's scores of its held-out chunks by every method in `methods` (the dev protocol by default:
    the frozen authors of the split are neither trained on nor scored); author LMs with several channels
    add each channel's impostor z-scores as `author_lm.<channel>`."""
    from evals.attribution import dev_texts, fitted, load_split, read_chunks
    from evals.author_lm import AuthorLM
    from evals.corpus import leave_one_novel_out, list_texts

    texts = list_texts(Path(corpus_dir))
    if part == "dev":
        texts = dev_texts(texts, load_split())
    out = []
    for fold in leave_one_novel_out(texts):
        errors: list[str] = []
        train, labels = read_chunks(fold.train, config.chunk_words, True, errors)
        classes = np.unique(np.asarray(labels))
        known = [t for t in fold.test if t.author in set(labels)]
        test, truth = read_chunks(known, config.chunk_words, False, errors)
        scores = {}
        for method in methods:
            model = fitted(config, method, fold, train, labels)
            if isinstance(model, AuthorLM):  # each channel too, scored once
                channels = model.channel_scores(test)
                scores[method] = sum(model.score_weight(c) * z for c, z in channels.items())
                scores |= {f"{method}.{c}": z for c, z in channels.items()} if len(channels) > 1 else {}
            else:
                scores[method] = model.scores(test)
        out.append(FoldScores(scores, np.searchsorted(classes, np.asarray(truth))))
    return out
