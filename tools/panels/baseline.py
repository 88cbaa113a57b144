"""A simple contour baseline for panel detection, to measure the step pipeline against.

The classic recipe, written here from its description (no code taken from any extractor): threshold
everything clearly darker than the paper, close small gaps, take the external contours, keep the
bounding boxes big enough to be panels and not inside a bigger one, and read them in XY-cut order
(tools/panels/order.py). No deskew, no gutter analysis, no frame fitting, no insets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tools.panels.order import reading_order
from tools.panels.page import Box, within

MIN_AREA = 0.01  # of the page area: smaller contours are specks, lettering or page numbers
PAPER_MARGIN = 0.1  # pixels darker than the paper by this share of its level are content


def baseline_panels(image: Any, *, rtl: bool = False) -> list[Box]:
    """Panel boxes [x, y, w, h] in page pixels and reading order, by external contours of content."""
    import cv2

    gray = _gray(image)
    paper = float(np.percentile(gray, 99))
    dark = (gray < (1 - PAPER_MARGIN) * paper).astype(np.uint8)
    k = max(3, round(min(gray.shape) * 0.004)) | 1
    closed = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area = gray.shape[0] * gray.shape[1]
    boxes: list[Box] = []
    for contour in contours:
        x, y, w, h = (int(v) for v in cv2.boundingRect(contour))
        if w * h >= MIN_AREA * area:
            boxes.append((x, y, w, h))
    boxes = [b for b in boxes if not any(o != b and within(b, o) for o in boxes)]
    return [boxes[i] for i in reading_order(boxes, rtl=rtl)]


def _gray(image: Any) -> np.ndarray:
    """A uint8 gray array from a PIL image or a numpy array (gray, RGB or RGBA)."""
    import cv2

    array = np.asarray(
        image.convert("RGB") if hasattr(image, "convert") and image.mode not in ("L", "RGB") else image
    )
    if array.ndim == 3:
        array = cv2.cvtColor(np.ascontiguousarray(array[..., :3]), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(array, dtype=np.uint8)
