"""Balloon OCR: engines behind one interface, a voting ensemble, lettering-aware normalisation, speakers.

get_ocr_engine("tesseract" | "rapidocr" | "vlm:hf:/dir" | "vlm:openai:http://h/v1#m" | "a,b,c")
normalise_lettering(["E' PIU'", "TARDI"]) -> "È PIÙ TARDI"
"""

from tools.ocr.engine import OcrEngine, OcrLine, OcrResult
from tools.ocr.normalise import normalise_lettering
from tools.ocr.registry import clear_engines, get_ocr_engine

__all__ = ["OcrEngine", "OcrLine", "OcrResult", "clear_engines", "get_ocr_engine", "normalise_lettering"]
