"""Scan-like variants of real dev pages, with their ground truth carried over.

    write_variants(load_real_pages(folder, "dev"), out_dir) -> {"small": PageSet, "grayscan": PageSet, ...}

The real dev set is small, in colour, and was tuned on; these variants ask whether what works on it still
works when the same pages come the way the product's real material comes, as scans:

- `small`: 60 % of the size, as a 150-200 dpi scan of a page lettered for 300 dpi;
- `grayscan`: a grey photocopy scan (grey, yellowed paper, noise, JPEG quality 35);
- `inked`: a black-and-white scan of lettered art: the grey page binarised by a local (adaptive)
  threshold, so flat colour becomes paper and edges become ink lines, scanned at twice the size and
  brought back with area averaging (a 300-dpi-like scan), turned by 0.5-1.5 degrees, JPEG quality 60;
- `halftone`: a printed black-and-white page: the darks inked solid, the mid greys a 45-degree dot
  screen, the lights paper, at twice the size and brought back with area averaging, turned by
  0.5-1.5 degrees the other way, JPEG quality 50.

Boxes follow the page, balloons and panels alike: scaled, and turned with it (the turned corners' bounding
box, a few pixels larger than the turned panel, far inside the IoU >= 0.5 that a match needs). Only dev
pages may be given: variants of frozen pages would show them. Figures on variants are robustness checks on
tuned pages, not accuracy.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from evals.real_pages import PageSet, TruthPage
from tools.atomic import write_bytes_atomic, write_text_atomic

VARIANTS = ("small", "grayscan", "inked", "halftone")
SMALL = 0.6  # the `small` variant's scale
WORK_SCALE = 2  # B/W variants are made at twice the size, then averaged back down as a scanner does
SCREEN_PERIOD = 6  # px at the working size: the halftone screen's pitch (about 85 lpi at 300 dpi)
INK_BELOW, PAPER_ABOVE = 70, 225  # grey levels: solid ink below, paper above, screen between


@dataclass(frozen=True)
class Scan:
    """A variant page and the 2 x 3 affine map from original page pixels to its pixels."""

    image: Image.Image
    matrix: np.ndarray


def _identity(scale: float = 1.0) -> np.ndarray:
    return np.array([[scale, 0.0, 0.0], [0.0, scale, 0.0]])


def _small(image: Image.Image, index: int) -> Scan:
    size = (round(image.width * SMALL), round(image.height * SMALL))
    return Scan(image.resize(size, Image.Resampling.LANCZOS), _identity(SMALL))


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _grayscan(image: Image.Image, index: int) -> Scan:
    """Grey, on yellowed paper, with sensor noise, saved as a JPEG of quality 35."""
    rng = np.random.default_rng(5)
    gray = np.asarray(image.convert("L")).astype(float)
    rgb = np.stack([gray, gray * 0.95, gray * 0.82], axis=2) + rng.normal(0, 6, (*gray.shape, 3))
    return Scan(_jpeg(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), 35), _identity())


def _angle(index: int, sign: float) -> float:
    """A slight turn of 0.5-1.5 degrees, different from page to page (seeded by the page's place)."""
    return sign * float(np.random.default_rng(100 + index).uniform(0.5, 1.5))


def _big_gray(image: Image.Image) -> np.ndarray:
    gray = np.asarray(image.convert("L"))
    return cv2.resize(gray, None, fx=WORK_SCALE, fy=WORK_SCALE, interpolation=cv2.INTER_CUBIC)


def _adaptive_ink(gray: np.ndarray) -> np.ndarray:
    """Binary ink (0) and paper (255) by a local threshold: a pixel is ink when clearly darker than the
    mean of its neighbourhood (a fortieth of the page), or dark in itself."""
    block = max(3, (gray.shape[0] // 40) | 1)
    local = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 12)
    local[gray < INK_BELOW] = 0
    return local


def _screen(gray: np.ndarray) -> np.ndarray:
    """Ink-like tone mapping: solid ink below INK_BELOW, paper above PAPER_ABOVE, and a 45-degree round
    dot screen for the greys between (the dot grows with the darkness)."""
    ys, xs = np.mgrid[0 : gray.shape[0], 0 : gray.shape[1]].astype(np.float32)
    u = (xs + ys) * (math.pi / (SCREEN_PERIOD * math.sqrt(2)))
    v = (xs - ys) * (math.pi / (SCREEN_PERIOD * math.sqrt(2)))
    spot = (np.cos(u) * np.cos(v) + 1) / 2  # 1 at the dot centres, 0 between them
    darkness = (PAPER_ABOVE - gray.astype(np.float32)) / (PAPER_ABOVE - INK_BELOW)
    out = np.where(spot > 1 - np.clip(darkness, 0, 1), 0, 255).astype(np.uint8)
    out[gray < INK_BELOW] = 0
    out[gray >= PAPER_ABOVE] = 255
    return out


def _scanned(big: np.ndarray, size: tuple[int, int], angle: float, quality: int) -> Scan:
    """A working-size binary page turned by `angle` degrees about its centre (white outside), brought
    back to `size` with area averaging, slightly soft, as a JPEG of `quality`."""
    h, w = big.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    big = cv2.warpAffine(big, turn, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    small = cv2.resize(big, size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), 0.6)
    scale = np.diag([size[0] / w, size[1] / h])
    matrix = scale @ turn @ np.vstack([_identity(WORK_SCALE), [0, 0, 1]])
    return Scan(_jpeg(Image.fromarray(small).convert("RGB"), quality), matrix)


def _inked(image: Image.Image, index: int) -> Scan:
    return _scanned(_adaptive_ink(_big_gray(image)), image.size, _angle(index, 1.0), 60)


def _halftone(image: Image.Image, index: int) -> Scan:
    return _scanned(_screen(_big_gray(image)), image.size, _angle(index, -1.0), 50)


TRANSFORMS: dict[str, Callable[[Image.Image, int], Scan]] = {
    "small": _small,
    "grayscan": _grayscan,
    "inked": _inked,
    "halftone": _halftone,
}


def map_box(box: list[float], matrix: np.ndarray) -> list[float]:
    """A box [x, y, w, h] carried through an affine map: the bounding box of its mapped corners."""
    x, y, w, h = box
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], dtype=float)
    mapped = corners @ np.asarray(matrix, dtype=float).T
    x0, y0 = mapped.min(axis=0)
    x1, y1 = mapped.max(axis=0)
    return [round(x0), round(y0), round(x1 - x0), round(y1 - y0)]


def _variant_page(page: TruthPage, index: int, out: Path, name: str) -> TruthPage:
    with Image.open(page.image) as source:
        scan = TRANSFORMS[name](source.convert("RGB"), index)
    buffer = io.BytesIO()
    scan.image.save(buffer, "PNG")
    path = out / f"{page.image.stem}.png"
    write_bytes_atomic(path, buffer.getvalue())
    balloons = [
        replace(b, bbox=map_box(b.bbox, scan.matrix), body_bbox=map_box(b.body_bbox, scan.matrix))
        for b in page.balloons
    ]
    return replace(
        page,
        image=path,
        page_type=f"{page.page_type}-{name}",
        balloons=balloons,
        text_blocks=[map_box(b, scan.matrix) for b in page.text_blocks],
        panels=[map_box(b, scan.matrix) for b in page.panels] if page.panels is not None else None,
    )


def write_variants(
    dev: PageSet, out_dir: Path | str, names: tuple[str, ...] = VARIANTS
) -> dict[str, PageSet]:
    """Each variant of the dev pages written under `out_dir/<variant>/`, as page sets with carried-over GT."""
    if dev.split != "dev":
        raise ValueError(f"variants are made of dev pages only, not {dev.split!r}")
    unknown = [name for name in names if name not in TRANSFORMS]
    if unknown:
        raise ValueError(f"unknown page variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    sets = {}
    for name in names:
        out = Path(out_dir) / name
        out.mkdir(parents=True, exist_ok=True)
        pages = [_variant_page(page, index, out, name) for index, page in enumerate(dev.pages)]
        write_text_atomic(out / "about.json", json.dumps({"variant": name, "of": dev.provenance}) + "\n")
        sets[name] = PageSet(
            f"{dev.name}-{name}", out, f"dev-{name}", pages, f"{name} variant of {dev.provenance}"
        )
    return sets
