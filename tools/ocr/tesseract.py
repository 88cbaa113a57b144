"""`tesseract`: tesserocr with the Italian LSTM model, run per balloon on a prepared crop.

Options in the name: `tesseract?mode=lines|block|auto&glyph=40&binarise=otsu|adaptive&charset=upper`.
`auto` reads each found line as a single line (PSM 7) and falls back to a block (PSM 6) when line finding
fails, so a line is not dropped by Tesseract's own layout analysis.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PIL import Image

from tools.errors import MissingDependencyError, ModelLoadError
from tools.ocr.engine import BalloonKind, OcrEngine, OcrLine, OcrResult
from tools.ocr.preprocess import PreparedCrop, PrepareOptions, prepare_crop

TESSDATA_DIRS = (
    Path("/usr/share/tesseract-ocr/5/tessdata"),
    Path("/usr/share/tesseract-ocr/4.00/tessdata"),
    Path("/usr/share/tessdata"),
    Path("/usr/local/share/tessdata"),
)
UPPER_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÈÉÌÒÙ0123456789.,;:!?'-\"()…"


def find_tessdata(configured: Path | None, lang: str) -> Path:
    """The tessdata folder holding `<lang>.traineddata`: the configured one, else a system folder."""
    candidates = (configured,) if configured else TESSDATA_DIRS
    for folder in candidates:
        if folder and (Path(folder) / f"{lang}.traineddata").is_file():
            return Path(folder)
    where = configured or ", ".join(str(p) for p in TESSDATA_DIRS)
    raise ModelLoadError(f"no {lang}.traineddata in {where}; install tesseract-ocr-ita or set `tessdata`")


class TesseractEngine(OcrEngine):
    """Balloon OCR with Tesseract; one native handle per engine, guarded by a lock."""

    def __init__(
        self,
        tessdata: Path | None = None,
        lang: str = "ita",
        mode: str = "auto",
        options: PrepareOptions | None = None,
        charset: str | None = None,
    ):
        if mode not in {"auto", "lines", "block"}:
            raise ModelLoadError(f"tesseract mode must be auto, lines or block, not {mode!r}")
        self.tessdata = find_tessdata(tessdata, lang)
        self.lang, self.mode, self.charset = lang, mode, charset
        self.options = options or PrepareOptions()
        self.name = (
            "tesseract"
            if mode == "auto" and charset is None
            else f"tesseract:{mode}{'+upper' if charset else ''}"
        )
        self._api = None
        self._lock = threading.Lock()

    def _ensure_api(self):  # noqa: ANN202 - tesserocr types are native
        if self._api is None:
            try:
                import tesserocr
            except ImportError as exc:
                raise MissingDependencyError("the tesseract engine needs `pip install tesserocr`") from exc
            self._api = tesserocr.PyTessBaseAPI(
                path=str(self.tessdata), lang=self.lang, oem=tesserocr.OEM.LSTM_ONLY
            )
            if self.charset:
                self._api.SetVariable("tessedit_char_whitelist", self.charset)
        return self._api

    def read(self, crop: Image.Image, kind: BalloonKind = "speech") -> OcrResult:
        start = time.perf_counter()
        prepared = prepare_crop(crop, self.options)
        with self._lock:
            lines = self._recognise(prepared)
        return OcrResult(lines=lines, engine=self.name, seconds=time.perf_counter() - start)

    def _recognise(self, prepared: PreparedCrop) -> list[OcrLine]:
        import tesserocr

        api = self._ensure_api()
        spans = prepared.line_spans
        if self.mode == "block" or (self.mode == "auto" and not spans):
            api.SetPageSegMode(tesserocr.PSM.SINGLE_BLOCK)
            api.SetImage(prepared.to_pil())
            return read_symbols(api)
        # One image per line: SetRectangle on a shared image proved unreliable in tesserocr.
        api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE)
        lines: list[OcrLine] = []
        for index in range(len(spans)):
            api.SetImage(Image.fromarray(prepared.line_image(index)))
            lines.extend(line for line in read_symbols(api) if line.text.strip())
        return lines

    def read_line(self, image: Image.Image) -> OcrLine:
        """One line of lettering, already cropped and binarised, read as a single line (PSM 7)."""
        import tesserocr

        with self._lock:
            api = self._ensure_api()
            api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE)
            api.SetImage(image)
            lines = [line for line in read_symbols(api) if line.text.strip()]
        if not lines:
            return OcrLine("", 0.0)
        return OcrLine(" ".join(line.text.strip() for line in lines), min(line.confidence for line in lines))

    def close(self) -> None:
        with self._lock:
            if self._api is not None:
                self._api.End()
                self._api = None


def read_symbols(api) -> list[OcrLine]:  # noqa: ANN001 - a tesserocr.PyTessBaseAPI
    """Recognise and walk the result symbol by symbol: lines with per-character confidences."""
    import tesserocr

    api.Recognize()
    iterator = api.GetIterator()
    lines: list[OcrLine] = []
    text: list[str] = []
    confs: list[float] = []
    level = tesserocr.RIL.SYMBOL
    if iterator is None:
        return lines
    for symbol in tesserocr.iterate_level(iterator, level):
        try:
            char = symbol.GetUTF8Text(level)
        except RuntimeError:  # an empty result ("No text returned")
            continue
        if not char:
            continue
        conf = max(0.0, min(1.0, symbol.Confidence(level) / 100.0))
        if symbol.IsAtBeginningOf(tesserocr.RIL.TEXTLINE) and text:
            lines.append(_line(text, confs))
            text, confs = [], []
        elif symbol.IsAtBeginningOf(tesserocr.RIL.WORD) and text:
            text.append(" ")
            confs.append(min(conf, confs[-1]))
        text.append(char)
        confs.extend([conf] * len(char))
    if text:
        lines.append(_line(text, confs))
    return lines


def _line(chars: list[str], confs: list[float]) -> OcrLine:
    text = "".join(chars)
    return OcrLine(text=text, confidence=sum(confs) / len(confs), char_confidences=list(confs))
