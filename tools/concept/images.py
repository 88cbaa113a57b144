"""Grey images on disk and in arrays: load, save atomically, crop, letterbox to a square."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from tools.atomic import atomic_path
from tools.errors import InputFileError

if TYPE_CHECKING:
    import torch


def load_gray(path: Path | str) -> np.ndarray:
    """A uint8 greyscale image; a missing or undecodable file is an InputFileError."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "image not found")
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if image is None:
        raise InputFileError(path, "not a readable image (PNG, JPEG, WebP, BMP or TIFF)")
    return image


def save_gray(path: Path | str, image: np.ndarray) -> Path:
    """Write a uint8 (or 0..1 float) grey or RGB image as PNG, atomically."""
    if image.dtype != np.uint8:
        image = np.clip(np.asarray(image, np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"could not encode an image of shape {image.shape}")
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.tobytes())
    return Path(path)


def as_gray(image: np.ndarray) -> np.ndarray:
    """uint8 HxW from HxW, HxWx3 (RGB) or HxWx4 input; anything else is a ValueError."""
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2GRAY)
    if image.ndim != 2:
        raise ValueError(f"expected a grey or RGB image, got shape {image.shape}")
    if image.dtype != np.uint8:
        image = np.clip(np.asarray(image, np.float32) * (255 if image.max() <= 1.0 else 1), 0, 255).astype(
            np.uint8
        )
    return image


def crop_box(image: np.ndarray, box: Sequence[int]) -> np.ndarray:
    """Crop (x, y, w, h), clamped to the image; an empty crop is a ValueError."""
    x, y, w, h = (int(v) for v in box)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(image.shape[1], x + w), min(image.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box {tuple(box)} is outside the image {image.shape[1]}x{image.shape[0]}")
    return image[y0:y1, x0:x1]


@dataclass(frozen=True)
class Letterbox:
    """Where the original image sits inside the square canvas (to crop results back)."""

    x: int
    y: int
    w: int
    h: int
    size: int


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """Scale the long side to `size` and pad with paper white (255, or 1.0 for floats) to a square."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.full((size, size), 255 if image.dtype == np.uint8 else 1.0, image.dtype)
    x, y = (size - nw) // 2, (size - nh) // 2
    canvas[y : y + nh, x : x + nw] = resized
    return canvas, Letterbox(x, y, nw, nh, size)


def unbox(image: np.ndarray, box: Letterbox) -> np.ndarray:
    """The part of a square result that corresponds to the original image."""
    return image[box.y : box.y + box.h, box.x : box.x + box.w]


def to_tensor(images: Sequence[np.ndarray]) -> torch.Tensor:
    """Square grey images (uint8 or 0..1 floats) -> float tensor (B, 1, H, W) in 0..1."""
    import torch

    arrays = [a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32) for a in images]
    return torch.from_numpy(np.stack(arrays)[:, None])


def to_uint8(tensor: torch.Tensor) -> np.ndarray:
    """One (1, H, W) or (H, W) tensor in 0..1 -> uint8 HxW."""
    array = tensor.detach().float().cpu().numpy().reshape(tensor.shape[-2:])
    return np.clip(array * 255 + 0.5, 0, 255).astype(np.uint8)
