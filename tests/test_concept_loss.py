"""The Comic Book Loss and the style network's own loss: known values, gradients, shapes."""

from __future__ import annotations

import math

import pytest
import torch

from tools.concept.loss import bce_matrix, comic_book_loss, gram_targets, style_net_loss, style_term
from tools.concept.nets import ElementNet, ElementNetConfig, StyleNetConfig, StyleUNet, gram


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One torch thread (fastest on a shared CPU), restored afterwards for other areas' tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_known_p_and_prior_give_the_known_loss() -> None:
    p = [[0.8, 0.3], [0.6, 0.9]]
    prior = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    logits = torch.tensor([[logit(v) for v in row] for row in p])
    style = torch.tensor([0.25, 0.5])
    loss = comic_book_loss(style, logits, prior, lam=2.0)
    expected_bce = -(math.log(0.8) + math.log(0.7) + math.log(0.4) + math.log(0.9))
    assert loss.bce.item() == pytest.approx(expected_bce, rel=1e-5)
    assert loss.style.item() == pytest.approx(0.75)
    assert loss.total.item() == pytest.approx(0.75 + 2.0 * expected_bce, rel=1e-5)
    assert loss.bce_matrix[0, 1].item() == pytest.approx(-math.log(0.7), rel=1e-5)


def test_uninformed_classifier_costs_ln2_per_entry() -> None:
    logits = torch.zeros(3, 4)
    prior = (torch.arange(12).reshape(3, 4) % 2).float()
    assert bce_matrix(logits, prior).sum().item() == pytest.approx(12 * math.log(2), rel=1e-6)
    assert comic_book_loss(torch.zeros(3), logits, prior, lam=0.0).total.item() == 0.0


def test_shape_mismatches_are_errors() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        bce_matrix(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="one S_j per panel"):
        comic_book_loss(torch.zeros(3), torch.zeros(2, 2), torch.zeros(2, 2), 1.0)


def tiny_nets(seed: int = 0) -> tuple[StyleUNet, ElementNet]:
    torch.manual_seed(seed)
    style = StyleUNet(StyleNetConfig(width=4, depth=2, size=16))
    classifier = ElementNet(ElementNetConfig(elements=["tex", "tiger"], width=4, size=16))
    for p in classifier.parameters():
        p.requires_grad_(False)
    return style, classifier.eval()


def test_gradients_flow_from_both_terms_into_the_style_net_only() -> None:
    style, classifier = tiny_nets()
    sketches = torch.rand(3, 1, 16, 16)
    anchor = torch.rand(3, 1, 16, 16)
    grams = gram_targets(classifier, torch.rand(5, 1, 16, 16))
    out = style(sketches)
    s_j = style_net_loss(out, anchor, classifier, grams, style_weight=0.5)
    assert s_j.shape == (3,)
    loss = comic_book_loss(s_j, classifier(out), torch.tensor([[1.0, 0], [0, 1], [1, 1]]), lam=1.0)
    loss.total.backward()
    grads = [p.grad for p in style.parameters()]
    assert all(g is not None for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    assert all(p.grad is None for p in classifier.parameters())


def test_bce_term_alone_moves_the_style_net() -> None:
    """With S_j = 0 the gradient still reaches the style net through the classifier."""
    style, classifier = tiny_nets(1)
    out = style(torch.rand(2, 1, 16, 16))
    comic_book_loss(torch.zeros(2), classifier(out), torch.ones(2, 2), lam=1.0).total.backward()
    assert float(style.out.weight.grad.abs().sum()) > 0


def test_style_term_is_zero_for_identical_texture_and_positive_otherwise() -> None:
    _, classifier = tiny_nets(2)
    images = torch.rand(2, 1, 16, 16)
    own = [gram(f) for f in classifier.features(images)]
    assert torch.allclose(style_term(classifier, images, own), torch.zeros(2), atol=1e-6)
    assert (style_term(classifier, torch.ones(2, 1, 16, 16) * 0.5, own) > 0).all()


def test_style_net_loss_is_l1_without_a_feature_net() -> None:
    out, target = torch.zeros(2, 1, 4, 4), torch.full((2, 1, 4, 4), 0.25)
    assert torch.allclose(style_net_loss(out, target, None), torch.full((2,), 0.25))
