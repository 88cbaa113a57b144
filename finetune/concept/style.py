"""Train the style network self-supervised on the user's corpus: sketchify(panel) -> panel.

Every epoch draws fresh sketches (different jitter, thickness, dropout) of every panel, so the network
learns the series' look from the lines alone; the panel is warped like the sketch's strokes, so each
pair is aligned and the network learns style, not registration. S_j = L1 + w · Gram style term; the Gram features come from
the element classifier's backbone (frozen) when one is given, else from a fixed random-weight ElementNet
built here (random conv features still capture texture statistics). No downloaded weights either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from finetune.concept.progress import LossHistory, StepCallback
from tools.concept.images import to_tensor
from tools.concept.loss import gram_targets, style_net_loss
from tools.concept.nets import (
    ElementNet,
    ElementNetConfig,
    StyleBundle,
    StyleNetConfig,
    StyleUNet,
    pick_device,
)
from tools.concept.sketchify import SketchifyConfig, normalize_sketch, sketch_pair, sketchify


@dataclass
class StyleTrainConfig:
    """Training knobs; `size` must be a multiple of 2**depth."""

    size: int = 128
    width: int = 16
    depth: int = 3
    epochs: int = 20
    batch: int = 8
    lr: float = 2e-3
    style_weight: float = 0.5
    seed: int = 0
    device: str = "auto"
    sketch: SketchifyConfig = field(default_factory=SketchifyConfig)


def frozen(net: ElementNet) -> ElementNet:
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


def random_features(seed: int, width: int = 16, size: int = 128) -> ElementNet:
    """A fixed random-weight feature net for the Gram term when no element classifier is trained yet."""
    torch.manual_seed(seed)
    return frozen(ElementNet(ElementNetConfig(elements=["_"], width=width, size=size)))


def sketch_batch(panels: list[np.ndarray], rng: np.random.Generator, config: SketchifyConfig) -> torch.Tensor:
    """Fresh normalised sketches of uint8 panels, as a (B, 1, H, W) tensor."""
    return to_tensor([normalize_sketch(sketchify(p, rng, config)) for p in panels])


def pair_batch(
    panels: list[np.ndarray], rng: np.random.Generator, config: SketchifyConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """Aligned (normalised sketch, warped panel) training pairs as two (B, 1, H, W) tensors."""
    pairs = [sketch_pair(p, rng, config) for p in panels]
    return to_tensor([normalize_sketch(s) for s, _ in pairs]), to_tensor([t for _, t in pairs])


def train_style(
    panels: list[np.ndarray],
    features: ElementNet | None = None,
    config: StyleTrainConfig | None = None,
    on_step: StepCallback | None = None,
) -> StyleBundle:
    """Train a StyleUNet on letterboxed uint8 panels (size x size); returns it with its S_j ingredients."""
    config = config or StyleTrainConfig()
    if config.size % 2**config.depth:
        raise ValueError(f"size {config.size} is not a multiple of {2**config.depth}")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    features = frozen(features) if features is not None else random_features(config.seed, size=config.size)
    device = pick_device(config.device)
    features = features.to(device)
    net = StyleUNet(StyleNetConfig(width=config.width, depth=config.depth, size=config.size)).to(device)
    targets = to_tensor(panels)
    grams = [g.cpu() for g in gram_targets(features, targets.to(device))]
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=1e-5)
    per_epoch = -(-len(panels) // config.batch)
    total = per_epoch * config.epochs
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total)
    history = LossHistory()
    step = 0
    for _ in range(config.epochs):
        order = rng.permutation(len(panels))
        for start in range(0, len(order), config.batch):
            idx = order[start : start + config.batch]
            x, y = pair_batch([panels[i] for i in idx], rng, config.sketch)
            x, y = x.to(device), y.to(device)
            out = net.train()(x)
            per_panel = style_net_loss(out, y, features, style_weight=config.style_weight)
            loss = per_panel.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            l1 = (out.detach() - y).abs().mean().item()
            values = history.add(loss=loss.item(), l1=l1)
            if on_step:
                on_step(step, total, values)
    return StyleBundle(net.cpu().eval(), features.cpu(), grams, history.series)
