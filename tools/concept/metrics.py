"""Per-element consistency of a set of panels, as judged by an element classifier.

For each element i: mean p_ij over panels where the script puts it (p̂_ij = 1, higher is better), mean
p_ij where it is absent (lower is better), and the cross-panel feature distance: the mean pairwise cosine
distance between the element's descriptors (`ElementNet.embed`) in the panels that show it (lower means
the element is drawn the same way from panel to panel).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F

from tools.concept.nets import ElementNet


@dataclass
class ElementConsistency:
    """Consistency figures of one element."""

    element: str
    mean_p_present: float | None
    mean_p_absent: float | None
    feature_distance: float | None
    n_present: int
    n_absent: int


@dataclass
class ConsistencyReport:
    """Figures per element, plus the mean BCE and the 0.5-threshold agreement with p̂ over all ij."""

    elements: list[ElementConsistency]
    mean_bce: float
    agreement: float
    probabilities: list[list[float]]

    def to_dict(self) -> dict:
        return asdict(self)

    def element(self, name: str) -> ElementConsistency:
        return next(e for e in self.elements if e.element == name)


@torch.no_grad()
def classify(net: ElementNet, images: torch.Tensor, batch: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (J, I), descriptors (J, I, C)) of images (J, 1, H, W), resized to the net's input size."""
    net.eval()
    device = next(net.parameters()).device
    logits, embeds = [], []
    for start in range(0, images.shape[0], batch):
        x = fit_to(images[start : start + batch].to(device), net.config.size)
        logits.append(net(x).cpu())
        embeds.append(net.embed(x).cpu())
    return torch.cat(logits), torch.cat(embeds)


def fit_to(images: torch.Tensor, size: int) -> torch.Tensor:
    """Differentiably resize square (B, 1, H, W) images to `size` (no-op when already there)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def consistency(net: ElementNet, images: torch.Tensor, prior: np.ndarray) -> ConsistencyReport:
    """The consistency report of `images` (J, 1, H, W) against p̂ (J, I) in the net's element order."""
    logits, embeds = classify(net, images)
    p = torch.sigmoid(logits).cpu().numpy()
    prior = np.asarray(prior, np.float32)
    if p.shape != prior.shape:
        raise ValueError(f"prior is {prior.shape} but the classifier gives {p.shape}")
    rows = [
        element_row(name, p[:, i], prior[:, i], embeds[:, i]) for i, name in enumerate(net.config.elements)
    ]
    bce = F.binary_cross_entropy(torch.from_numpy(p).clamp(1e-6, 1 - 1e-6), torch.from_numpy(prior))
    agreement = float(((p > 0.5) == (prior > 0.5)).mean())
    return ConsistencyReport(rows, float(bce), agreement, np.round(p, 4).tolist())


def element_row(name: str, p: np.ndarray, prior: np.ndarray, embeds: torch.Tensor) -> ElementConsistency:
    present, absent = prior > 0.5, prior <= 0.5
    return ElementConsistency(
        element=name,
        mean_p_present=float(p[present].mean()) if present.any() else None,
        mean_p_absent=float(p[absent].mean()) if absent.any() else None,
        feature_distance=pairwise_cosine_distance(embeds[torch.from_numpy(present)]),
        n_present=int(present.sum()),
        n_absent=int(absent.sum()),
    )


def pairwise_cosine_distance(vectors: torch.Tensor) -> float | None:
    """Mean 1 - cos over distinct pairs; None with fewer than two vectors."""
    if vectors.shape[0] < 2:
        return None
    unit = F.normalize(vectors.float(), dim=1)
    sim = unit @ unit.T
    n = vectors.shape[0]
    off = sim[~torch.eye(n, dtype=torch.bool)]
    return float((1 - off).mean())
