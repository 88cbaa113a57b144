"""Scan-like variants of real dev pages, with their ground truth carried over exactly.

    write_variants(load_real_pages(folder, "dev"), out_dir) -> {"small": PageSet, "grayscan": PageSet}

The real dev set is small and was tuned on; these variants ask whether what works on it still works when
the same pages come as a low-resolution scan (`small`: 60 % of the size, as a 150-200 dpi scan of a
page lettered for 300 dpi) or as a black-and-white photocopy scan (`grayscan`: grey, yellowed paper,
noise, JPEG quality 35). Boxes are scaled with the page. Only dev pages may be given: variants of frozen
pages would show them. Figures on variants are robustness checks on tuned pages, not accuracy.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from evals.real_pages import PageSet, TruthPage
from tools.atomic import write_bytes_atomic, write_text_atomic

VARIANTS = ("small", "grayscan")
SMALL = 0.6  # the `small` variant's scale


def _small(image: Image.Image) -> Image.Image:
    return image.resize((round(image.width * SMALL), round(image.height * SMALL)), Image.Resampling.LANCZOS)


def _grayscan(image: Image.Image) -> Image.Image:
    """Grey, on yellowed paper, with sensor noise, saved as a JPEG of quality 35."""
    rng = np.random.default_rng(5)
    gray = np.asarray(image.convert("L")).astype(float)
    rgb = np.stack([gray, gray * 0.95, gray * 0.82], axis=2) + rng.normal(0, 6, (*gray.shape, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=35)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


TRANSFORMS: dict[str, tuple[Callable[[Image.Image], Image.Image], float]] = {
    "small": (_small, SMALL),
    "grayscan": (_grayscan, 1.0),
}


def _scaled(box: list[float], factor: float) -> list[float]:
    return [round(v * factor) for v in box]


def _variant_page(page: TruthPage, out: Path, name: str) -> TruthPage:
    transform, factor = TRANSFORMS[name]
    with Image.open(page.image) as source:
        image = transform(source.convert("RGB"))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path = out / f"{page.image.stem}.png"
    write_bytes_atomic(path, buffer.getvalue())
    balloons = [
        replace(b, bbox=_scaled(b.bbox, factor), body_bbox=_scaled(b.body_bbox, factor))
        for b in page.balloons
    ]
    return replace(
        page,
        image=path,
        page_type=f"{page.page_type}-{name}",
        balloons=balloons,
        text_blocks=[_scaled(b, factor) for b in page.text_blocks],
        panels=None,
    )


def write_variants(
    dev: PageSet, out_dir: Path | str, names: tuple[str, ...] = VARIANTS
) -> dict[str, PageSet]:
    """Each variant of the dev pages written under `out_dir/<variant>/`, as page sets with carried-over GT."""
    if dev.split != "dev":
        raise ValueError(f"variants are made of dev pages only, not {dev.split!r}")
    sets = {}
    for name in names:
        out = Path(out_dir) / name
        out.mkdir(parents=True, exist_ok=True)
        pages = [_variant_page(page, out, name) for page in dev.pages]
        write_text_atomic(out / "about.json", json.dumps({"variant": name, "of": dev.provenance}) + "\n")
        sets[name] = PageSet(
            f"{dev.name}-{name}", out, f"dev-{name}", pages, f"{name} variant of {dev.provenance}"
        )
    return sets
