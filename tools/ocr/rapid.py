"""`rapidocr`: the PP-OCR recogniser shipped inside the `rapidocr` wheel (ONNX, CPU), run per prepared line.

The balloon is prepared as for Tesseract and each found line goes to the recogniser alone (~50 ms a line);
when no line is found the packaged detector looks at the whole crop (~1-2 s).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import cv2
import numpy as np
from PIL import Image

from tools.errors import MissingDependencyError
from tools.ocr.ctc_words import corrected_reading
from tools.ocr.engine import BalloonKind, OcrEngine, OcrLine, OcrResult
from tools.ocr.preprocess import PrepareOptions, prepare_crop
from tools.ocr.recogniser_frames import recogniser_frames
from tools.ocr.word_share import known_share


def _load(use_det: bool) -> Any:
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise MissingDependencyError("the rapidocr engine needs `pip install rapidocr onnxruntime`") from exc
    params = {
        "Global.log_level": "error",
        "Global.use_cls": False,
        "Global.use_det": use_det,
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    }
    return RapidOCR(params=params)


class RapidOcrEngine(OcrEngine):
    """PP-OCR line recognition on the balloon's prepared lines; loaded on first use."""

    name = "rapidocr"

    def __init__(self, options: PrepareOptions | None = None):
        self.options = options or PrepareOptions(glyph_height=36)
        self._recogniser: Any = None
        self._detector: Any = None
        self._lock = threading.Lock()

    def read(self, crop: Image.Image, kind: BalloonKind = "speech") -> OcrResult:
        start = time.perf_counter()
        prepared = prepare_crop(crop, self.options)
        with self._lock:
            if prepared.line_spans:
                lines = [self._read_line(prepared.line_image(i)) for i in range(len(prepared.line_spans))]
                lines = [line for line in lines if line.text]
            else:
                lines = self._detect_and_read(np.asarray(crop.convert("RGB")))
        return OcrResult(lines=lines, engine=self.name, seconds=time.perf_counter() - start)

    def _read_line(self, line: np.ndarray) -> OcrLine:
        if self._recogniser is None:
            self._recogniser = _load(use_det=False)
        bgr = cv2.cvtColor(line, cv2.COLOR_GRAY2BGR)
        output = self._recogniser(bgr)
        texts, scores = tuple(output.txts or ()), tuple(output.scores or ())
        text = " ".join(t.strip() for t in texts if t.strip())
        if text and known_share(text) < 1.0:  # words no dictionary holds: ask the frames (ctc_words.py)
            text = corrected_reading(text, *recogniser_frames(self._recogniser, bgr))
        return OcrLine(text, float(np.mean(scores)) if scores else 0.0)

    def _detect_and_read(self, rgb: np.ndarray) -> list[OcrLine]:
        if self._detector is None:
            self._detector = _load(use_det=True)
        output = self._detector(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if output.txts is None:
            return []
        found = sorted(
            zip(output.boxes, output.txts, output.scores, strict=True), key=lambda t: float(t[0][:, 1].min())
        )
        return [OcrLine(text.strip(), float(score)) for _, text, score in found if text.strip()]
