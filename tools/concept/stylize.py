"""Apply a style network to concept sketches: load and normalise them, run the net, crop results back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tools.concept.images import Letterbox, letterbox, load_gray, to_tensor, to_uint8, unbox
from tools.concept.nets import StyleUNet
from tools.concept.sketchify import normalize_sketch


@dataclass
class SketchBatch:
    """Normalised, letterboxed sketches (J, 1, S, S) and where each original sits in its square."""

    tensor: torch.Tensor
    boxes: list[Letterbox]
    paths: list[Path]


def prepare_sketches(paths: Sequence[Path], size: int) -> SketchBatch:
    """Load sketches (any grey/colour image), contrast-normalise them and letterbox to `size`."""
    squares, boxes = [], []
    for path in paths:
        square, box = letterbox(normalize_sketch(load_gray(path)), size)
        squares.append(square)
        boxes.append(box)
    return SketchBatch(to_tensor(squares), boxes, list(paths))


@torch.no_grad()
def run_style_net(net: StyleUNet, sketches: torch.Tensor, batch: int = 8) -> torch.Tensor:
    """The net's outputs for (J, 1, S, S) sketches, in eval mode, on the net's device."""
    net.eval()
    device = next(net.parameters()).device
    outs = [net(sketches[k : k + batch].to(device)).cpu() for k in range(0, sketches.shape[0], batch)]
    return torch.cat(outs) if outs else sketches.clone()


def panel_images(outputs: torch.Tensor, boxes: Sequence[Letterbox]) -> list[np.ndarray]:
    """uint8 panels cropped back to each sketch's aspect ratio."""
    return [unbox(to_uint8(outputs[j]), box) for j, box in enumerate(boxes)]
