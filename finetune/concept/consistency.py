"""Consistency fine-tuning: the style network on the user's concept sketches, with the Comic Book Loss.

    Comic Book Loss = Σ_j S_j + λ Σ_ij BCE(p̂_ij, p_ij)

S_j is the style network's own loss with the un-fine-tuned network's output for the same sketch as the
target: L1 plus the Gram distance, so panel j stays the user's drawing in the look the network learnt
from the corpus. p_ij comes from the frozen element classifiers on the network's (randomly warped)
output; p̂ from the script. The report compares the un-fine-tuned network
("before") and the fine-tuned one ("after") on the same sketches.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from finetune.concept.augment import augment
from finetune.concept.progress import LossHistory, StepCallback
from finetune.concept.style import frozen
from tools.concept.loss import comic_book_loss, style_net_loss
from tools.concept.metrics import ConsistencyReport, consistency, fit_to
from tools.concept.nets import ElementNet, StyleBundle, pick_device
from tools.concept.stylize import run_style_net


@dataclass
class ConsistencyConfig:
    """λ weighs the BCE term; `batch` panels per step (all of them when fewer).

    `augment` is the strength of the random warps/blur applied to the outputs before the classifiers
    (0 turns it off): the BCE term then rewards elements recognisable under small changes, not
    pixel-level tricks that only fool this one classifier. `style_target` is what S_j's Gram term
    compares with: each panel's un-fine-tuned output ("anchor", the default), or the corpus' mean Grams
    ("corpus"), which pulls every panel towards an average texture and, in benchmarks/concept.py,
    makes elements *less* recognisable.
    """

    steps: int = 150
    lam: float = 1.0
    lr: float = 5e-4
    batch: int = 8
    style_weight: float = 0.5
    augment: float = 1.0
    style_target: Literal["anchor", "corpus"] = "anchor"
    seed: int = 0
    device: str = "auto"


@dataclass
class ConsistencyResult:
    """The fine-tuned bundle, the outputs and reports before and after, and the loss history."""

    bundle: StyleBundle
    before: torch.Tensor
    after: torch.Tensor
    before_report: ConsistencyReport
    after_report: ConsistencyReport
    history: LossHistory


def finetune_consistency(
    bundle: StyleBundle,
    classifier: ElementNet,
    sketches: torch.Tensor,
    prior: np.ndarray,
    config: ConsistencyConfig | None = None,
    on_step: StepCallback | None = None,
) -> ConsistencyResult:
    """Fine-tune a copy of `bundle.net` on normalised sketches (J, 1, S, S) against p̂ (J, I)."""
    config = config or ConsistencyConfig()
    if sketches.shape[0] != prior.shape[0]:
        raise ValueError(f"{sketches.shape[0]} sketches but {prior.shape[0]} prior rows")
    torch.manual_seed(config.seed)
    device = pick_device(config.device)
    classifier = frozen(copy.deepcopy(classifier)).to(device)
    tuned = bundle.clone()
    net, features = tuned.net.to(device), tuned.features.to(device)
    grams = [g.to(device) for g in tuned.style_grams]
    before = run_style_net(net, sketches)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    target = torch.from_numpy(np.asarray(prior, np.float32))
    history = LossHistory()
    generator = torch.Generator().manual_seed(config.seed)
    for step in range(1, config.steps + 1):
        idx = torch.randperm(len(sketches), generator=generator)[: config.batch]
        out = net.train()(sketches[idx].to(device))
        s_j = style_net_loss(
            out,
            before[idx].to(device),
            features,
            grams if config.style_target == "corpus" else None,
            config.style_weight,
        )
        seen = augment(out, generator, config.augment) if config.augment > 0 else out
        logits = classifier(fit_to(seen, classifier.config.size))
        loss = comic_book_loss(s_j, logits, target[idx].to(device), config.lam)
        optimizer.zero_grad()
        loss.total.backward()
        optimizer.step()
        values = history.add(total=loss.total.item(), style=loss.style.item(), bce=loss.bce.item())
        if on_step:
            on_step(step, config.steps, values)
    after = run_style_net(net, sketches)
    tuned.net, tuned.features = net.cpu().eval(), features.cpu()
    classifier = classifier.cpu()
    tuned.history = {**bundle.history, **{f"consistency_{k}": v for k, v in history.series.items()}}
    return ConsistencyResult(
        tuned,
        before,
        after,
        consistency(classifier, before, prior),
        consistency(classifier, after, prior),
        history,
    )
