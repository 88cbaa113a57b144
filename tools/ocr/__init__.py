"""Balloon OCR: engines behind one interface, a voting ensemble, lettering-aware normalisation, speakers.

get_ocr_engine("tesseract" | "rapidocr" | "vlm:hf:/dir" | "vlm:openai:http://h/v1#m" | "a,b,c", settings)
transcribe_page(image, settings, engine="ensemble") -> [BalloonTranscript, ...]
transcribe_volume(catalogue, "tex-001", settings)   fills text, lines and speaker in the catalogue
normalise_lettering(["E' PIU'", "TARDI"]) -> "È PIÙ TARDI"
"""

from tools.ocr.engine import OcrEngine, OcrLine, OcrResult
from tools.ocr.normalise import normalise_lettering
from tools.ocr.registry import clear_engines, get_ocr_engine
from tools.ocr.transcribe import BalloonTranscript, transcribe_page, transcribe_volume

__all__ = [
    "BalloonTranscript",
    "OcrEngine",
    "OcrLine",
    "OcrResult",
    "clear_engines",
    "get_ocr_engine",
    "normalise_lettering",
    "transcribe_page",
    "transcribe_volume",
]
