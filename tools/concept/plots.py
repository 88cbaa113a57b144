"""Pictures of a run: loss curves (PNG, matplotlib) and a before/after image strip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from tools.atomic import atomic_path
from tools.concept.images import save_gray


def plot_losses(series: Mapping[str, Sequence[float]], path: Path, title: str) -> Path:
    """One panel per loss name (raw and smoothed), written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, v in series.items() if len(v)]
    fig, axes = plt.subplots(1, max(1, len(names)), figsize=(3.2 * max(1, len(names)), 2.6), squeeze=False)
    for ax, name in zip(axes[0], names, strict=False):
        values = np.asarray(series[name], dtype=float)
        ax.plot(values, color="0.75", linewidth=0.8)
        k = max(1, len(values) // 20)
        if k > 1:
            ax.plot(np.arange(k - 1, len(values)), np.convolve(values, np.ones(k) / k, "valid"), color="k")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step" if "val" not in name else "epoch", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return Path(path)


def image_strip(
    rows: Sequence[Sequence[np.ndarray]],
    headers: Sequence[str],
    path: Path,
    cell: int = 128,
    captions: Sequence[str] | None = None,
) -> Path:
    """A grid: one row per panel, one column per stage (e.g. sketch | before | after), with headers."""
    pad, head = 4, 18
    cols = len(headers)
    width = cols * cell + (cols + 1) * pad
    height = head + len(rows) * (cell + pad) + pad + (14 * bool(captions))
    canvas = np.full((height, width), 235, np.uint8)
    for c, text in enumerate(headers):
        put_text(canvas, text, (pad + c * (cell + pad) + 2, 13))
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            fitted = fit_cell(image, cell)
            y, x = head + r * (cell + pad), pad + c * (cell + pad)
            canvas[y : y + cell, x : x + cell] = fitted
    if captions:
        put_text(canvas, "   ".join(captions), (pad, height - 4), scale=0.33)
    return save_gray(path, canvas)


def fit_cell(image: np.ndarray, cell: int) -> np.ndarray:
    """Scale to fit a cell (keeping aspect) on a white square."""
    h, w = image.shape[:2]
    s = cell / max(h, w)
    resized = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    out = np.full((cell, cell), 255, np.uint8)
    y, x = (cell - resized.shape[0]) // 2, (cell - resized.shape[1]) // 2
    out[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return out


def put_text(canvas: np.ndarray, text: str, origin: tuple[int, int], scale: float = 0.4) -> None:
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 1, cv2.LINE_AA)
