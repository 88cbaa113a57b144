"""The style network's own loss S_j and the Comic Book Loss.

    Comic Book Loss = Σ_j S_j + λ Σ_ij BCE(p̂_ij, p_ij)

S_j = L1(output_j, target_j) + w · Σ_l ‖G_l(output_j) − G_l(target)‖² / ‖G_l(target)‖², with G_l the Gram
matrix of layer l of a frozen feature network (the element classifier's backbone). In self-supervised
training the target is the original panel; in consistency fine-tuning it is the un-fine-tuned network's
output for the sketch (so the drawing stays the user's) and the corpus' mean Grams (so the look stays the
series'). p_ij = σ(logit_ij) comes from the frozen element classifiers, p̂_ij from the script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from tools.concept.nets import ElementNet, gram


@dataclass
class ComicBookLoss:
    """The loss and its parts (all tensors, so `total.backward()` works)."""

    total: torch.Tensor
    style: torch.Tensor  # Σ_j S_j
    bce: torch.Tensor  # Σ_ij BCE(p̂_ij, p_ij)
    bce_matrix: torch.Tensor  # (panels, elements)


def bce_matrix(logits: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
    """BCE(p̂_ij, σ(logit_ij)) for every panel j and element i, from logits for numerical stability."""
    if logits.shape != prior.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and prior {tuple(prior.shape)} differ in shape")
    return F.binary_cross_entropy_with_logits(logits, prior.to(logits.dtype), reduction="none")


def comic_book_loss(
    style_losses: torch.Tensor, logits: torch.Tensor, prior: torch.Tensor, lam: float
) -> ComicBookLoss:
    """Σ_j S_j + λ Σ_ij BCE(p̂_ij, p_ij); `style_losses` is S_j per panel, `logits`/`prior` are (J, I)."""
    if style_losses.ndim != 1 or style_losses.shape[0] != logits.shape[0]:
        raise ValueError(
            f"need one S_j per panel: got {tuple(style_losses.shape)} for {logits.shape[0]} panels"
        )
    matrix = bce_matrix(logits, prior)
    style, bce = style_losses.sum(), matrix.sum()
    return ComicBookLoss(total=style + lam * bce, style=style, bce=bce, bce_matrix=matrix)


def gram_targets(features: ElementNet, images: torch.Tensor) -> list[torch.Tensor]:
    """Mean Gram matrix per layer over `images` (the corpus' look), detached."""
    with torch.no_grad():
        return [gram(f).mean(dim=0) for f in features.features(images)]


def style_term(features: ElementNet, output: torch.Tensor, targets: Sequence[torch.Tensor]) -> torch.Tensor:
    """Relative Gram distance per sample; `targets` are (C,C) shared or (B,C,C) per sample, per layer."""
    total = output.new_zeros(output.shape[0])
    for fmap, target in zip(features.features(output), targets, strict=True):
        g = gram(fmap)
        t = target.expand_as(g)
        total = total + ((g - t) ** 2).sum(dim=(1, 2)) / ((t**2).sum(dim=(1, 2)) + 1e-8)
    return total


def style_net_loss(
    output: torch.Tensor,
    target: torch.Tensor,
    features: ElementNet | None,
    grams: Sequence[torch.Tensor] | None = None,
    style_weight: float = 0.1,
) -> torch.Tensor:
    """S_j per sample: L1 reconstruction plus the weighted Gram style term (targets' own Grams if None)."""
    rec = (output - target).abs().mean(dim=(1, 2, 3))
    if features is None or style_weight == 0:
        return rec
    if grams is None:
        with torch.no_grad():
            grams = [gram(f) for f in features.features(target)]
    return rec + style_weight * style_term(features, output, grams)
