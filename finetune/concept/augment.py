"""Batch augmentation for the element classifiers: small affine warps, flips, contrast and noise."""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def augment(images: torch.Tensor, generator: torch.Generator, strength: float = 1.0) -> torch.Tensor:
    """Randomly warp (scale, shift, rotate), flip, re-expose and add grain to (B, 1, H, W) panels."""
    b = images.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(b, generator=generator)

    scale = uniform(1 - 0.15 * strength, 1 + 0.15 * strength)
    angle = uniform(-5 * strength, 5 * strength) * math.pi / 180
    flip = torch.where(torch.rand(b, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip, cos
    theta[:, :, 2] = (torch.rand(b, 2, generator=generator) - 0.5) * 0.16 * strength
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # warp the ink (1 - x) so that what comes in from outside is blank paper
    warped = 1 - F.grid_sample(1 - images, grid, align_corners=False, padding_mode="zeros")
    contrast = uniform(1 - 0.25 * strength, 1 + 0.1 * strength)[:, None, None, None]
    paper = uniform(0.9, 1.0)[:, None, None, None]
    out = (1 - (1 - warped) * contrast) * paper
    noise = torch.randn(images.shape, generator=generator) * 0.03 * strength
    return (out + noise).clamp(0, 1)
