"""Differentiable batch augmentation: small affine warps, flips, blur, exposure and grain.

Used to train the element classifiers (robust to framing and to the style network's softer lines) and,
during consistency fine-tuning, on the style network's outputs before they are classified, so that the
BCE term rewards elements that stay recognisable under small changes rather than pixel-exact tricks
(expectation over transformations).
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

BLUR = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def augment(images: torch.Tensor, generator: torch.Generator, strength: float = 1.0) -> torch.Tensor:
    """Randomly warp (scale, shift, rotate), flip, blur, re-expose and add grain to (B, 1, H, W) panels."""
    b, device = images.shape[0], images.device

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return (lo + (hi - lo) * torch.rand(b, generator=generator)).to(device)

    scale = uniform(1 - 0.15 * strength, 1 + 0.15 * strength)
    angle = uniform(-5 * strength, 5 * strength) * math.pi / 180
    flip = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.zeros(b, 2, 3, device=device)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip, cos
    theta[:, :, 2] = ((torch.rand(b, 2, generator=generator) - 0.5) * 0.16 * strength).to(device)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # warp the ink (1 - x) so that what comes in from outside is blank paper
    warped = 1 - F.grid_sample(1 - images, grid, align_corners=False, padding_mode="zeros")
    soft = torch.where((uniform(0, 1) < 0.5 * min(1.0, strength))[:, None, None, None], blur(warped), warped)
    contrast = uniform(1 - 0.25 * strength, 1 + 0.1 * strength)[:, None, None, None]
    paper = uniform(1 - 0.1 * strength, 1.0)[:, None, None, None]
    out = (1 - (1 - soft) * contrast) * paper
    noise = torch.randn(images.shape, generator=generator).to(device) * 0.03 * strength
    return (out + noise).clamp(0, 1)


def blur(images: torch.Tensor) -> torch.Tensor:
    """A 5x5 binomial blur (about sigma 1 px), edges replicated."""
    kernel = (BLUR[:, None] * BLUR[None, :]).to(images)[None, None]
    return F.conv2d(F.pad(images, (2, 2, 2, 2), mode="replicate"), kernel)
