"""Train the element classifiers: one multi-label head (a binary logit per element) on panel crops.

Panels come from an element-labels file (see tools/concept/labels.py): catalogue crops labelled by
speaker attribution, a file the user edited, or a handful of reference drawings. A held-out split
(`val_fraction`) gives accuracy and ROC AUC per element.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from finetune.concept.augment import augment
from finetune.concept.progress import LossHistory, StepCallback
from tools.concept.images import letterbox, load_gray, to_tensor
from tools.concept.labels import ElementLabels
from tools.concept.nets import ElementNet, ElementNetConfig, pick_device

MIN_FOR_VALIDATION = 8


@dataclass
class ElementTrainConfig:
    """Training knobs; `repeats` re-draws augmentations of a small set several times per epoch."""

    size: int = 128
    width: int = 16
    epochs: int = 30
    batch: int = 16
    lr: float = 3e-3
    val_fraction: float = 0.2
    repeats: int = 1
    augment: bool = True
    seed: int = 0
    device: str = "auto"


@dataclass
class ElementScore:
    """Held-out figures of one element (None where undefined: no validation set, or one class only)."""

    element: str
    accuracy: float | None
    auc: float | None
    positives: int
    negatives: int


@dataclass
class ElementTrainResult:
    net: ElementNet
    history: LossHistory
    scores: list[ElementScore]
    train_panels: int
    val_panels: int
    skipped: list[str] = field(default_factory=list)

    def report(self) -> dict:
        return {
            "elements": self.net.config.elements,
            "train_panels": self.train_panels,
            "val_panels": self.val_panels,
            "scores": [asdict(s) for s in self.scores],
            "skipped": self.skipped,
        }


def load_labelled(labels: ElementLabels, base: Path, size: int) -> tuple[torch.Tensor, np.ndarray, list[str]]:
    """Letterboxed panels (J, 1, size, size), p̂ (J, I), and the images skipped as unreadable."""
    from tools.errors import InputFileError

    images, rows, skipped = [], [], []
    matrix = labels.matrix()
    for j, path in enumerate(labels.resolve(base)):
        try:
            images.append(letterbox(load_gray(path), size)[0])
        except InputFileError as exc:
            skipped.append(str(exc))
            continue
        rows.append(matrix[j])
    if not images:
        raise InputFileError(base, "no readable panel image in the labels file")
    return to_tensor(images), np.stack(rows), skipped


def split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices; no validation set below MIN_FOR_VALIDATION panels."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = round(n * fraction) if n >= MIN_FOR_VALIDATION else 0
    return order[n_val:], order[:n_val]


def train_elements(
    images: torch.Tensor,
    targets: np.ndarray,
    elements: Sequence[str],
    config: ElementTrainConfig | None = None,
    on_step: StepCallback | None = None,
) -> ElementTrainResult:
    """Train an ElementNet on (J, 1, S, S) panels with multi-hot targets (J, I); score the held-out part."""
    config = config or ElementTrainConfig()
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    device = pick_device(config.device)
    net = ElementNet(ElementNetConfig(elements=list(elements), width=config.width, size=config.size)).to(
        device
    )
    y = torch.from_numpy(np.asarray(targets, np.float32))
    train_idx, val_idx = split(len(images), config.val_fraction, config.seed)
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=1e-4)
    per_epoch = max(1, -(-len(train_idx) * config.repeats // config.batch))
    total = per_epoch * config.epochs
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total)
    history = LossHistory()
    step = 0
    for _ in range(config.epochs):
        order = np.concatenate(
            [
                np.random.default_rng(config.seed + step + r).permutation(train_idx)
                for r in range(config.repeats)
            ]
        )
        for start in range(0, len(order), config.batch):
            idx = torch.from_numpy(order[start : start + config.batch])
            x = augment(images[idx], generator) if config.augment else images[idx]
            loss = F.binary_cross_entropy_with_logits(net.train()(x.to(device)), y[idx].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            values = history.add(loss=loss.item())
            if on_step:
                on_step(step, total, values)
        if len(val_idx):
            history.add(val_loss=validation_loss(net, images[val_idx], y[val_idx]))
    net = net.cpu()
    scores = (
        score(net, images[val_idx], y[val_idx])
        if len(val_idx)
        else [ElementScore(e, None, None, 0, 0) for e in elements]
    )
    return ElementTrainResult(net.eval(), history, scores, len(train_idx), len(val_idx))


@torch.no_grad()
def validation_loss(net: ElementNet, x: torch.Tensor, y: torch.Tensor) -> float:
    device = next(net.parameters()).device
    return float(F.binary_cross_entropy_with_logits(net.eval()(x.to(device)), y.to(device)))


@torch.no_grad()
def score(net: ElementNet, x: torch.Tensor, y: torch.Tensor) -> list[ElementScore]:
    """Accuracy at p = 0.5 and ROC AUC per element on held-out panels."""
    from sklearn.metrics import roc_auc_score

    p = torch.sigmoid(net.eval()(x)).numpy()
    truth = y.numpy() > 0.5
    out = []
    for i, name in enumerate(net.config.elements):
        both = truth[:, i].any() and (~truth[:, i]).any()
        out.append(
            ElementScore(
                element=name,
                accuracy=float(((p[:, i] > 0.5) == truth[:, i]).mean()),
                auc=float(roc_auc_score(truth[:, i], p[:, i])) if both else None,
                positives=int(truth[:, i].sum()),
                negatives=int((~truth[:, i]).sum()),
            )
        )
    return out
