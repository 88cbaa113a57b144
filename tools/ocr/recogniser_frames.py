"""The packaged PP-OCR recogniser's frames: its per-frame class probabilities for a line, and the column of
the line under each frame. Used by the lexicon correction (`tools/ocr/ctc_words.py`) and the accent check
of a lone E (`tools/ocr/line_reading.py`), for the text detector's lines and the `rapidocr` engine's alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def recogniser_frames(rapid: Any, bgr: np.ndarray) -> tuple[np.ndarray, Sequence[str]]:
    """The packaged recogniser's log-probabilities per frame and class for one line image (BGR), read
    alone as rapidocr reads a single line, and its alphabet (class 0 is the CTC blank)."""
    recogniser = rapid._load_rec_model()
    _, height, width = recogniser.rec_image_shape
    ratio = max(width / height, bgr.shape[1] / max(1, bgr.shape[0]))
    batch = recogniser.resize_norm_img(bgr, ratio)[np.newaxis].astype(np.float32)
    probs = np.asarray(recogniser.session(batch))[0]
    return np.log(np.clip(probs, 1e-12, 1.0)), recogniser.postprocess_op.character


def frame_columns(frames: int, width: int, height: int, shape: Sequence[int] = (3, 48, 320)) -> np.ndarray:
    """The column of a `width` x `height` line image under each of the recogniser's `frames` (their
    centres): the line is scaled to the recogniser's height (`shape`, rapidocr's rec_img_shape) and
    padded to at least its width, and the frames divide the padded width evenly."""
    _, rec_height, rec_width = shape
    ratio = width / max(1, height)
    padded = int(rec_height * max(rec_width / rec_height, ratio))
    scaled = min(math.ceil(rec_height * ratio), padded)
    return (np.arange(frames) + 0.5) * padded / frames * width / max(1, scaled)
