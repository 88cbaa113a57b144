"""Scanner and paper effects for scan-like pages: show-through of the back page, a gentle warp (page curl),
and a chain with the generator's own degradations (halftone screens, skew, blur, yellowing, noise, JPEG).

Each step that moves pixels returns how clean points move, so the ground truth follows the pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from tools.synth.degrade import Degradation, PointMap, _blur, _halftone, _jpeg, _noise, _skew, _yellowing

SCAN_STEPS = ("halftone", "show_through", "yellowing", "skew", "warp", "blur", "noise", "jpeg")
_CHANCE = {"halftone": 0.4, "show_through": 0.4, "yellowing": 0.5, "skew": 0.6, "warp": 0.3, "blur": 0.4}
_RANGES = {
    "halftone": (4.0, 7.0),
    "show_through": (0.04, 0.1),
    "yellowing": (0.3, 1.0),
    "skew": (-2.0, 2.0),
    "warp": (0.001, 0.004),
    "blur": (0.4, 1.1),
    "noise": (2.0, 8.0),
    "jpeg": (30, 80),
}


def choose_scan_degradations(rng: np.random.Generator) -> list[Degradation]:
    """A seeded chain: noise always, JPEG on most pages, the others on some, in a fixed order."""
    chosen = []
    for name in SCAN_STEPS:
        chance = {"noise": 1.0, "jpeg": 0.7}.get(name, _CHANCE.get(name, 0.5))
        if rng.random() < chance:
            chosen.append(Degradation(name, float(rng.uniform(*_RANGES[name]))))
    return chosen


def scan_degrade(
    image: Image.Image, steps: list[Degradation], rng: np.random.Generator, back: Image.Image | None = None
) -> tuple[Image.Image, PointMap]:
    """Apply `steps` in order to a gray page; `back` is the page printed on the other side (show-through)."""
    mapping: PointMap = lambda x, y: (x, y)  # noqa: E731
    for item in steps:
        if item.name == "skew":
            image, moved = _skew(image, item.amount)
            mapping = _then(mapping, moved)
        elif item.name == "warp":
            image, moved = _warp(image, item.amount, rng)
            mapping = _then(mapping, moved)
        elif item.name == "show_through":
            image = _show_through(image, back if back is not None else image, item.amount)
        else:
            image = _PLAIN[item.name](image, item.amount, rng)
    return image, mapping


def _then(first: PointMap, second: PointMap) -> PointMap:
    return lambda x, y: second(*first(x, y))


def _show_through(image: Image.Image, back: Image.Image, amount: float) -> Image.Image:
    """The back page's ink, mirrored and blurred, darkens the paper a little (thin paper on a scanner)."""
    ghost = ImageOps.mirror(back.convert("L").resize(image.size)).filter(ImageFilter.GaussianBlur(2))
    shade = 1.0 - amount * (1.0 - np.asarray(ghost, np.float32) / 255.0)
    arr = np.asarray(image.convert("L"), np.float32) * shade
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")


def _warp(image: Image.Image, amount: float, rng: np.random.Generator) -> tuple[Image.Image, PointMap]:
    """A smooth wave (page curl, a bent sheet on the glass): points move by at most `amount` of the page."""
    import cv2

    w, h = image.size
    ax, ay = amount * w, amount * h
    lx, ly = rng.uniform(0.6, 1.5) * h, rng.uniform(0.6, 1.5) * w
    px, py = rng.uniform(0, 2 * math.pi, size=2)

    def forward(x: float, y: float) -> tuple[float, float]:
        return x + ax * math.sin(2 * math.pi * y / lx + px), y + ay * math.sin(2 * math.pi * x / ly + py)

    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    src_x = (xs - ax * np.sin(2 * np.pi * ys / lx + px)).astype(np.float32)  # first-order inverse
    src_y = (ys - ay * np.sin(2 * np.pi * xs / ly + py)).astype(np.float32)
    arr = np.asarray(image)
    fill = 255 if arr.ndim == 2 else (255,) * arr.shape[2]
    out = cv2.remap(arr, src_x, src_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return Image.fromarray(out, image.mode), forward


_PLAIN: dict[str, Callable[[Image.Image, float, np.random.Generator], Image.Image]] = {
    "halftone": _halftone,
    "yellowing": _yellowing,
    "blur": _blur,
    "noise": _noise,
    "jpeg": _jpeg,
}
