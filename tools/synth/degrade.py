"""Scanner degradations for generated pages: halftone, skew (<= 2 degrees), blur, yellowing, noise, JPEG.

`degrade_page` applies a seeded selection and returns the page with a function that maps clean page
coordinates to degraded ones (only skew moves pixels), so the ground truth follows the pixels.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

DEGRADATIONS = ("halftone", "skew", "blur", "yellowing", "noise", "jpeg")
PointMap = Callable[[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Degradation:
    """One step and its strength."""

    name: str
    amount: float

    def as_json(self) -> dict[str, float | str]:
        return {"name": self.name, "amount": round(self.amount, 3)}


def choose_degradations(rng: np.random.Generator, names: Sequence[str] = DEGRADATIONS) -> list[Degradation]:
    """A seeded mix: noise always, the others each on about half the pages, in a fixed order."""
    ranges = {
        "halftone": (5, 8),
        "skew": (-2.0, 2.0),
        "blur": (0.5, 1.2),
        "yellowing": (0.4, 1.0),
        "noise": (3.0, 9.0),
        "jpeg": (35, 75),
    }
    chosen = []
    for name in DEGRADATIONS:
        if name in names and (name == "noise" or rng.random() < 0.5):
            chosen.append(Degradation(name, float(rng.uniform(*ranges[name]))))
    return chosen


def degrade_page(
    image: Image.Image, steps: Sequence[Degradation], rng: np.random.Generator
) -> tuple[Image.Image, PointMap]:
    """Apply `steps` in order; returns the degraded page and the clean->degraded point map."""
    mapping: PointMap = lambda x, y: (x, y)  # noqa: E731
    for step in steps:
        if step.name == "skew":
            image, mapping = _skew(image, step.amount)
        else:
            image = _STEPS[step.name](image, step.amount, rng)
    return image, mapping


def _halftone(image: Image.Image, period: float, rng: np.random.Generator) -> Image.Image:
    """Grey tones become a 45-degree dot screen (black and white stay as they are)."""
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    yy, xx = np.mgrid[0 : gray.shape[0], 0 : gray.shape[1]].astype(np.float32)
    u, v = (xx + yy) / math.sqrt(2), (xx - yy) / math.sqrt(2)
    screen = 127.5 + 63.75 * (np.cos(2 * math.pi * u / period) + np.cos(2 * math.pi * v / period))
    out = np.where(gray >= screen, 255, 0).astype(np.uint8)
    flat = (gray < 20) | (gray > 245)
    out[flat] = gray[flat].astype(np.uint8)
    return Image.fromarray(out, "L")


def _skew(image: Image.Image, degrees: float) -> tuple[Image.Image, PointMap]:
    """Rotate about the centre (counter-clockwise for positive degrees), paper-white corners."""
    fill = 255 if image.mode == "L" else (255,) * len(image.getbands())
    rotated = image.rotate(degrees, resample=Image.Resampling.BILINEAR, fillcolor=fill)
    cx, cy = image.width / 2, image.height / 2
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))

    def mapping(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - cx, y - cy
        return cx + dx * c + dy * s, cy - dx * s + dy * c

    return rotated, mapping


def _blur(image: Image.Image, radius: float, rng: np.random.Generator) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def _yellowing(image: Image.Image, amount: float, rng: np.random.Generator) -> Image.Image:
    """Old newsprint: yellow-brown paper, brown-black ink, a soft light falloff across the page."""
    gray = np.asarray(image.convert("L"), dtype=np.float32)[..., None] / 255.0
    paper = np.array([246, 236, 204], np.float32) - amount * np.array([16, 28, 60], np.float32)
    ink = np.array([38, 30, 26], np.float32)
    h, w = gray.shape[:2]
    falloff = 1.0 - 0.08 * amount * np.linspace(0, 1, w, dtype=np.float32)[None, :, None] * rng.uniform(
        0.5, 1
    )
    rgb = (ink + (paper - ink) * gray) * falloff
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def _noise(image: Image.Image, sigma: float, rng: np.random.Generator) -> Image.Image:
    """Gaussian sensor noise plus a sprinkle of dust specks."""
    arr = np.asarray(image, dtype=np.float32)
    noise = rng.normal(0, sigma, size=arr.shape[:2]).astype(np.float32)
    arr = arr + (noise if arr.ndim == 2 else noise[..., None])
    specks = rng.random(arr.shape[:2]) < 4e-5
    arr[specks] = 30
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), image.mode)


def _jpeg(image: Image.Image, quality: float, rng: np.random.Generator) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=int(quality))
    buf.seek(0)
    return Image.open(buf).convert(image.mode)


_STEPS: dict[str, Callable[[Image.Image, float, np.random.Generator], Image.Image]] = {
    "halftone": _halftone,
    "blur": _blur,
    "yellowing": _yellowing,
    "noise": _noise,
    "jpeg": _jpeg,
}
