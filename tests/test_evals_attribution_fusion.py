"""Fusion of attribution methods: the conditional logit weighs an informative method over noise, its
probabilities sum to one, and the fold-against-fold check judges weights on chunks they were not fitted on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evals.attribution import AttributionConfig
from evals.attribution_fusion import (
    FoldScores,
    cross_fit,
    fit_weights,
    leave_one_out_scores,
    negative_log_likelihood,
)
from evals.author_lm import AuthorLM
from tests.test_evals_attribution import write_corpus


def synthetic_fold(seed: int, chunks: int = 300, authors: int = 6) -> FoldScores:
    """`signal` puts +1.5 on the true author's column; `noise` is unrelated to the truth."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, authors, size=chunks)
    signal = rng.normal(size=(chunks, authors))
    signal[np.arange(chunks), truth] += 1.5
    return FoldScores({"signal": signal, "noise": rng.normal(size=(chunks, authors))}, truth)


def test_fit_weights_trusts_the_informative_method() -> None:
    weights = fit_weights([synthetic_fold(0), synthetic_fold(1)], ["signal", "noise"])
    assert weights["signal"] > 1.0 and abs(weights["noise"]) < 0.3


def test_zero_weights_give_the_uniform_log_loss() -> None:
    fold = synthetic_fold(2)
    features = fold.stacked(["signal", "noise"])
    assert negative_log_likelihood(np.zeros(2), features, fold.truth) == pytest.approx(np.log(6))


def test_cross_fit_scores_each_fold_with_the_other_folds_weights() -> None:
    folds = [synthetic_fold(3), synthetic_fold(4)]
    checks = cross_fit(folds, ["signal", "noise"])
    assert [(c.fitted_on, c.tested_on) for c in checks] == [(0, 1), (1, 0)]
    for check in checks:
        assert check.accuracy > 0.5 and check.log_loss < np.log(6)
    noise_only = cross_fit(folds, ["noise"])
    assert all(c.accuracy < 0.35 for c in noise_only)


def test_no_chunks_is_refused() -> None:
    empty = FoldScores({"signal": np.zeros((0, 3))}, np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="no scored chunks"):
        fit_weights([empty], ["signal"])


def test_leave_one_out_scores_give_one_matrix_per_method_and_fold(tmp_path: Path) -> None:
    """On a constructed corpus: the fold scores line up with the truth and the fit trusts the right part."""
    corpus = write_corpus(tmp_path / "corpus")
    config = AttributionConfig(chunk_words=250)
    folds = leave_one_out_scores(corpus, config, ["author_lm", "burrows_delta"], part="all")
    assert len(folds) == 2
    for fold in folds:
        assert len(fold.truth) == 30 and set(fold.truth) == {0, 1, 2}  # A, B, C held out; D is a distractor
        assert all(s.shape == (30, 4) for s in fold.scores.values())
        assert (fold.scores["author_lm"].argmax(axis=1) == fold.truth).mean() >= 0.9
    assert fit_weights(folds, ["author_lm"])["author_lm"] > 1.0


def test_author_lm_channels_are_scored_one_by_one_for_the_channel_fit(tmp_path: Path) -> None:
    """With two channels, each channel's z-scores come too, and the author LMs' score is their sum."""
    corpus = write_corpus(tmp_path / "corpus")
    lm = AuthorLM(skeleton_weight=0.5, impostor_words=300, relative_weight=2.0, token_clip=0.0)
    config = AttributionConfig(chunk_words=250, lm=lm)
    folds = leave_one_out_scores(corpus, config, ["author_lm"], part="all")
    for fold in folds:
        channels = ("word", "skeleton", "word.relative", "skeleton.relative")
        assert set(fold.scores) == {"author_lm", *(f"author_lm.{c}" for c in channels)}
        weights = (1.0, 0.5, 2.0, 1.0)  # the skeleton's relative z: its weight times relative_weight
        total = sum(w * fold.scores[f"author_lm.{c}"] for w, c in zip(weights, channels, strict=True))
        assert np.allclose(fold.scores["author_lm"], total)


def test_clipped_author_lm_channels_are_scored_one_by_one(tmp_path: Path) -> None:
    """With clipped ratios (the default) each channel has one z-score, weighted by the channel's weight."""
    corpus = write_corpus(tmp_path / "corpus")
    config = AttributionConfig(chunk_words=250, lm=AuthorLM(skeleton_weight=0.5, impostor_words=300))
    for fold in leave_one_out_scores(corpus, config, ["author_lm"], part="all"):
        channels = {"word": 1.0, "skeleton": 0.5, "char": 1.0}  # characters: clipped_char_weight
        assert set(fold.scores) == {"author_lm", *(f"author_lm.{c}" for c in channels)}
        total = sum(w * fold.scores[f"author_lm.{c}"] for c, w in channels.items())
        assert np.allclose(fold.scores["author_lm"], total)
        assert (fold.scores["author_lm"].argmax(axis=1) == fold.truth).mean() >= 0.9
