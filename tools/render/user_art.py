"""Art the user supplies for a panel (`PanelSpec.art_path`: a sketch, a concept, a scan), fitted to its box."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tools.comic_script import PanelSpec
from tools.errors import InputFileError
from tools.render.art import ArtContext, PanelArt


def fit_cover(gray: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Scale an image to cover `size` and crop the middle; returns the image, the scale and the crop offset."""
    scale = max(size[0] / gray.shape[1], size[1] / gray.shape[0])
    resized = cv2.resize(
        gray,
        (math.ceil(gray.shape[1] * scale), math.ceil(gray.shape[0] * scale)),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
    )
    ox, oy = (resized.shape[1] - size[0]) // 2, (resized.shape[0] - size[1]) // 2
    return np.ascontiguousarray(resized[oy : oy + size[1], ox : ox + size[0]]), scale, (ox, oy)


def load_user_art(path: Path | str, size: tuple[int, int]) -> Image.Image:
    """The image at `path` in grey-scale, covering `size`; an unreadable file is an InputFileError naming it."""
    try:
        with Image.open(Path(path).expanduser()) as image:
            gray = np.asarray(image.convert("L"))
    except OSError as exc:
        raise InputFileError(path, f"cannot read the panel's art ({exc})") from exc
    return Image.fromarray(fit_cover(gray, size)[0], "L")


def user_panel_art(panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> PanelArt:
    """The panel drawn from its user-supplied art; figure boxes are estimated from the plan."""
    from tools.render.storyboard import estimate_figures

    assert panel.art_path is not None
    return PanelArt(
        image=load_user_art(panel.art_path, size),
        figures=estimate_figures(panel, size, context.profile),
        source=f"user:{panel.art_path}",
    )
