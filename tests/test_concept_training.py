"""The training loops on tiny images: classifiers, style net, consistency fine-tuning; checkpoints; metrics."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from finetune.concept.augment import augment
from finetune.concept.consistency import ConsistencyConfig, finetune_consistency
from finetune.concept.elements import ElementTrainConfig, train_elements
from finetune.concept.style import StyleTrainConfig, train_style
from tools.concept.images import to_tensor
from tools.concept.metrics import consistency, pairwise_cosine_distance
from tools.concept.nets import (
    ElementNet,
    load_elements,
    load_style,
    save_elements,
    save_style,
)
from tools.errors import InputFileError

SIZE = 32


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One torch thread (fastest on a shared CPU), restored afterwards for other areas' tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def toy_panel(rng: np.random.Generator, bar: bool, disc: bool) -> np.ndarray:
    """White square with a black vertical bar ("bar") and/or a filled disc ("disc") at random places."""
    image = np.full((SIZE, SIZE), 255, np.uint8)
    if bar:
        x = int(rng.integers(4, 12))
        cv2.rectangle(image, (x, 4), (x + 3, 28), 0, -1)
    if disc:
        cv2.circle(image, (int(rng.integers(18, 26)), int(rng.integers(8, 24))), 5, 0, -1)
    cv2.line(image, (0, 30), (31, 30), 0, 1)
    return image


@pytest.fixture(scope="module")
def toy() -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(0)
    flags = [(k % 2 == 0, k % 3 == 0) for k in range(48)]
    return [toy_panel(rng, b, d) for b, d in flags], np.array(flags, np.float32)


@pytest.fixture(scope="module")
def classifier(toy: tuple[list[np.ndarray], np.ndarray]) -> ElementNet:
    images, targets = toy
    config = ElementTrainConfig(size=SIZE, width=8, epochs=12, batch=16, lr=1e-2, val_fraction=0.25)
    result = train_elements(to_tensor(images), targets, ["bar", "disc"], config)
    first, last = result.history.mean_first_last("loss", k=3)
    assert last < 0.7 * first
    assert result.train_panels == 36 and result.val_panels == 12
    for score in result.scores:
        assert 0.0 <= score.accuracy <= 1.0 and score.positives + score.negatives == 12
    return result.net


def test_classifier_learns_the_toy_elements(
    classifier: ElementNet, toy: tuple[list[np.ndarray], np.ndarray]
) -> None:
    images, targets = toy
    report = consistency(classifier, to_tensor(images), targets)
    assert report.agreement > 0.8
    for row in report.elements:
        assert row.mean_p_present > row.mean_p_absent + 0.3


def test_element_checkpoint_round_trip_and_errors(classifier: ElementNet, tmp_path: Path) -> None:
    path = save_elements(classifier, tmp_path / "e.pt", {"note": "toy"})
    again = load_elements(path)
    x = torch.rand(2, 1, SIZE, SIZE)
    assert torch.allclose(again(x), classifier(x)) and again.config.elements == ["bar", "disc"]
    with pytest.raises(InputFileError, match="train-elements"):
        load_elements(tmp_path / "absent.pt")
    (tmp_path / "junk.pt").write_bytes(b"garbage")
    with pytest.raises(InputFileError, match="not a readable torch checkpoint"):
        load_elements(tmp_path / "junk.pt")
    with pytest.raises(InputFileError, match="not a nuvola-concept-style checkpoint"):
        load_style(path)


def test_tiny_reference_sets_train_without_validation() -> None:
    rng = np.random.default_rng(1)
    images = to_tensor(
        [toy_panel(rng, True, False), toy_panel(rng, False, True), toy_panel(rng, False, False)]
    )
    result = train_elements(
        images,
        np.array([[1, 0], [0, 1], [0, 0]], np.float32),
        ["bar", "disc"],
        ElementTrainConfig(size=SIZE, width=4, epochs=2, repeats=4, batch=4),
    )
    assert result.val_panels == 0 and all(s.accuracy is None and s.auc is None for s in result.scores)
    assert len(result.history.series["loss"]) == 2 * 3  # 12 augmented draws per epoch in batches of 4


def test_augment_keeps_range_and_shape_and_changes_pixels() -> None:
    x = to_tensor([toy_panel(np.random.default_rng(2), True, True)] * 4)
    y = augment(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1 and not torch.allclose(x, y)


@pytest.fixture(scope="module")
def style_bundle(toy: tuple[list[np.ndarray], np.ndarray], classifier: ElementNet):
    images, _ = toy
    config = StyleTrainConfig(size=SIZE, width=8, depth=2, epochs=30, batch=8, lr=5e-3, style_weight=0.1)
    return train_style(images[:24], classifier, config)


def test_style_net_learns_to_restore_panels(style_bundle, toy) -> None:
    from finetune.concept.style import pair_batch
    from tools.concept.sketchify import SketchifyConfig

    sketches, targets = pair_batch(
        toy[0][24:32], np.random.default_rng(9), SketchifyConfig()
    )  # unseen panels
    with torch.no_grad():
        restored = style_bundle.net(sketches)
    copied_l1 = float((sketches - targets).abs().mean())  # what returning the sketch would score
    assert float((restored - targets).abs().mean()) < 0.8 * copied_l1
    assert len(style_bundle.style_grams) == 4 and style_bundle.style_grams[0].shape == (8, 8)


def test_style_checkpoint_round_trip(style_bundle, tmp_path: Path) -> None:
    again = load_style(save_style(style_bundle, tmp_path / "s.pt"))
    x = torch.rand(1, 1, SIZE, SIZE)
    assert torch.allclose(again.net(x), style_bundle.net(x), atol=1e-6)
    assert torch.allclose(again.style_grams[1], style_bundle.style_grams[1])
    assert again.history["l1"] == pytest.approx(style_bundle.history["l1"])


def test_style_size_must_fit_the_depth(toy) -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        train_style(toy[0][:2], None, StyleTrainConfig(size=36, depth=3, epochs=1))


def test_consistency_finetuning_lowers_the_bce_term(style_bundle, classifier: ElementNet) -> None:
    from tools.concept.sketchify import normalize_sketch, sketchify

    rng = np.random.default_rng(5)
    flags = [(True, False), (False, True), (True, True), (False, False), (True, False), (False, True)]
    sketches = to_tensor([normalize_sketch(sketchify(toy_panel(rng, b, d), rng)) for b, d in flags])
    prior = np.array(flags, np.float32)
    weights = {k: v.detach().clone() for k, v in style_bundle.net.state_dict().items()}
    result = finetune_consistency(
        style_bundle, classifier, sketches, prior, ConsistencyConfig(steps=25, lam=1.0, lr=2e-3, batch=6)
    )
    first, last = result.history.mean_first_last("bce", k=3)
    assert last < first
    assert result.after_report.mean_bce < result.before_report.mean_bce
    assert result.before.shape == result.after.shape == sketches.shape
    # the original bundle is untouched: fine-tuning works on a copy (weights equal; outputs equal up to the
    # TF32 convolutions a GPU uses for the copy)
    assert all(torch.equal(v.cpu(), weights[k].cpu()) for k, v in style_bundle.net.state_dict().items())
    with torch.no_grad():
        original = style_bundle.net(sketches[:1].to(next(style_bundle.net.parameters()).device))
    assert torch.allclose(original.cpu(), result.before[:1].cpu(), atol=2e-3)


def test_pairwise_cosine_distance() -> None:
    assert pairwise_cosine_distance(torch.tensor([[1.0, 0.0]])) is None
    assert pairwise_cosine_distance(torch.tensor([[1.0, 0.0], [2.0, 0.0]])) == pytest.approx(0.0, abs=1e-6)
    assert pairwise_cosine_distance(torch.tensor([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(1.0)


def test_consistency_report_rejects_a_wrong_prior(classifier: ElementNet) -> None:
    with pytest.raises(ValueError, match="prior is"):
        consistency(classifier, torch.ones(2, 1, SIZE, SIZE), np.zeros((2, 3)))
