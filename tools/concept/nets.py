"""The two networks: an element classifier (small CNN, one multi-label head) and the style U-Net.

Both work on grey images as float tensors (B, 1, H, W) in 0..1 (1 = paper). GroupNorm keeps them
independent of batch composition, which matters when a handful of concept panels are fine-tuned.
Checkpoints are plain dicts of tensors and primitives, loaded with `weights_only=True`.
"""

from __future__ import annotations

import copy
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from tools.atomic import atomic_path
from tools.errors import InputFileError

ELEMENTS_KIND = "nuvola-concept-elements"
STYLE_KIND = "nuvola-concept-style"


def limit_threads(threads: int | None = None) -> int:
    """Keep torch to few CPU threads (default 1, env NUVOLA_TORCH_THREADS); returns the count.

    One thread is the default: on a shared, oversubscribed CPU, two OpenMP threads spin-wait on each
    other and run many times slower than one.
    """
    n = threads or int(os.environ.get("NUVOLA_TORCH_THREADS", "1"))
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def conv_block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.GroupNorm(min(8, cout // 2), cout), nn.SiLU())


# ---------------------------------------------------------------------------------------------- classifier


@dataclass
class ElementNetConfig:
    """Shape of the element classifier; `size` is the square input side it was trained at."""

    elements: list[str]
    width: int = 16
    size: int = 128


class ElementNet(nn.Module):
    """Four stride-2 stages -> global average pool -> one logit per element.

    `features(x)` returns every stage's map (for Gram style terms); `embed(x, i)` pools the last map
    weighted by element i's class activation map, a descriptor of *that element* in the panel.
    """

    def __init__(self, config: ElementNetConfig):
        super().__init__()
        self.config = config
        w = config.width
        chans = [1, w, 2 * w, 4 * w, 4 * w]
        self.stages = nn.ModuleList(
            nn.Sequential(conv_block(chans[k], chans[k + 1], 2), conv_block(chans[k + 1], chans[k + 1]))
            for k in range(4)
        )
        self.head = nn.Linear(chans[-1], len(config.elements))

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        out, h = [], 1.0 - x  # ink as signal: blank paper is zero
        for stage in self.stages:
            h = stage(h)
            out.append(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)[-1].mean(dim=(2, 3)))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, elements, C) descriptors: the last feature map pooled by each element's activation map."""
        fmap = self.features(x)[-1]  # B, C, H, W
        cam = torch.einsum("bchw,ec->behw", fmap, self.head.weight)
        weights = torch.softmax(cam.flatten(2), dim=-1)  # B, E, HW
        return torch.einsum("bes,bcs->bec", weights, fmap.flatten(2))


# ---------------------------------------------------------------------------------------------- style net


@dataclass
class StyleNetConfig:
    """Shape of the style U-Net; `size` is the square side it was trained at."""

    width: int = 16
    depth: int = 3
    size: int = 128


class StyleUNet(nn.Module):
    """A small U-Net: sketch (B,1,H,W) -> panel in the series' look (B,1,H,W), H and W multiples of 2^depth.

    The last convolution also sees the sketch itself, so copying its lines is easy and training goes
    to what the series adds (solid blacks, hatching, heavier contours).
    """

    def __init__(self, config: StyleNetConfig):
        super().__init__()
        self.config = config
        w = config.width
        chans = [w * 2**k for k in range(config.depth + 1)]
        self.stem = conv_block(1, chans[0])
        self.downs = nn.ModuleList(
            nn.Sequential(conv_block(chans[k], chans[k + 1], 2), conv_block(chans[k + 1], chans[k + 1]))
            for k in range(config.depth)
        )
        self.ups = nn.ModuleList(
            nn.Sequential(conv_block(chans[k + 1] + chans[k], chans[k]), conv_block(chans[k], chans[k]))
            for k in reversed(range(config.depth))
        )
        self.out = nn.Conv2d(chans[0] + 1, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips, h = [], self.stem(x)
        for down in self.downs:
            skips.append(h)
            h = down(h)
        for up in self.ups:
            skip = skips.pop()
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = up(torch.cat([h, skip], dim=1))
        return torch.sigmoid(self.out(torch.cat([h, x], dim=1)))

    @property
    def multiple(self) -> int:
        return 2**self.config.depth


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrices (B, C, C) of (B, C, H, W) features, normalised by C*H*W."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


# ---------------------------------------------------------------------------------------------- checkpoints


@dataclass
class StyleBundle:
    """A trained style net with what its S_j needs: the frozen feature net and the corpus Gram targets."""

    net: StyleUNet
    features: ElementNet
    style_grams: list[torch.Tensor]
    history: dict[str, list[float]] = field(default_factory=dict)

    def clone(self) -> StyleBundle:
        return StyleBundle(
            copy.deepcopy(self.net), copy.deepcopy(self.features), list(self.style_grams), dict(self.history)
        )


def save_elements(net: ElementNet, path: Path, report: dict[str, Any] | None = None) -> Path:
    return save_checkpoint(
        path,
        {
            "kind": ELEMENTS_KIND,
            "config": asdict(net.config),
            "state": net.state_dict(),
            "report": report or {},
        },
    )


def load_elements(path: Path, device: str | torch.device = "cpu") -> ElementNet:
    data = load_checkpoint(path, ELEMENTS_KIND)
    net = ElementNet(ElementNetConfig(**data["config"]))
    return restore(net, data["state"], path).to(device).eval()


def save_style(bundle: StyleBundle, path: Path) -> Path:
    return save_checkpoint(
        path,
        {
            "kind": STYLE_KIND,
            "config": asdict(bundle.net.config),
            "state": bundle.net.state_dict(),
            "features_config": asdict(bundle.features.config),
            "features_state": bundle.features.state_dict(),
            "style_grams": [g.detach().cpu() for g in bundle.style_grams],
            "history": bundle.history,
        },
    )


def load_style(path: Path, device: str | torch.device = "cpu") -> StyleBundle:
    data = load_checkpoint(path, STYLE_KIND)
    net = restore(StyleUNet(StyleNetConfig(**data["config"])), data["state"], path).to(device).eval()
    features = restore(ElementNet(ElementNetConfig(**data["features_config"])), data["features_state"], path)
    return StyleBundle(
        net,
        features.to(device).eval(),
        [g.to(device) for g in data["style_grams"]],
        {k: list(v) for k, v in data.get("history", {}).items()},
    )


def save_checkpoint(path: Path, payload: dict[str, Any]) -> Path:
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load_checkpoint(path: Path, kind: str) -> dict[str, Any]:
    """A checkpoint dict of the expected kind, else an InputFileError naming the file."""
    if not Path(path).is_file():
        raise InputFileError(
            path,
            f"checkpoint not found (train it first: `nuvola concept "
            f"{'train-elements' if kind == ELEMENTS_KIND else 'train-style'}`)",
        )
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError, ...
        raise InputFileError(path, f"not a readable torch checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise InputFileError(path, f"not a {kind} checkpoint")
    return data


def restore(net: nn.Module, state: dict[str, torch.Tensor], path: Path) -> Any:
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise InputFileError(
            path, f"checkpoint does not match the network ({str(exc).splitlines()[0]})"
        ) from exc
    return net
