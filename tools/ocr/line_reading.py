"""Reading a balloon line by line, from the lines the page-level text detector found in it.

    read_detected_lines(page, detected, reader="lines") -> (lines, confidence, engine)

Readers (setting `balloon_reader`, env NUVOLA_BALLOON_READER):
- `lines` (default): each detected line read twice, by the detector's own PP-OCR recogniser (Italian
  accents in its alphabet; its unknown words corrected from its own frames against the lexicon:
  `lexicon_reading`) and by Tesseract (Italian) as a single line (PSM 7) on the line's tight crop;
  per line the reading with the larger share of Italian words wins, the recogniser's on a tie (it keeps
  `...` and accents; Tesseract restores spaces it drops between capitals); a line in capitals that
  opens with `E` gets its accent back where the ink shows one (tools/ocr/accent_marks.py);
- `detector`: the recogniser's readings only (with the same lexicon correction);
- `crop`: the `ocr` engine on the crop of all the balloon's lines, the detector's reading winning where
  it has more Italian words or the two differ in length (the route before line reading).
Measured on the dev pages and generated scan-like pages in docs/ocr.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from tools.errors import UnknownModelError
from tools.ocr.engine import OcrLine
from tools.ocr.text_regions import only_marks
from tools.ocr.word_share import known_share, word_score

__all__ = ["known_share", "word_score"]  # re-exported: the readers' word measures live in word_share

READERS = ("lines", "detector", "crop")
LINE_GLYPH = 48  # px: a line crop is scaled so its box stands this tall before Tesseract reads it


def check_reader(name: str) -> str:
    """The reader name, lower-cased; an unknown one is an UnknownModelError naming the choices."""
    key = (name or "lines").strip().lower()
    if key not in READERS:
        raise UnknownModelError(f"unknown balloon reader {name!r}; known: {', '.join(READERS)}")
    return key


def line_crop(page: Image.Image, box: Sequence[int]) -> np.ndarray:
    """The line's box with a little paper round it (a third of its height at the ends, an eighth above
    and below, so neighbouring lines stay out), gray, scaled to LINE_GLYPH px tall, Otsu-binarised and
    padded with white."""
    import cv2

    x, y, w, h = (int(v) for v in box)
    crop = page.crop((max(0, x - h // 3), max(0, y - h // 8), x + w + h // 3, y + h + h // 8))
    gray = np.asarray(crop.convert("L"))
    scale = LINE_GLYPH / max(1, h)
    gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return cv2.copyMakeBorder(binary, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)


def _tesseract(settings: Any) -> Any:
    from tools.ocr.registry import get_ocr_engine

    return get_ocr_engine("tesseract", settings)


def pick_line(recognised: OcrLine, tesseract: OcrLine) -> OcrLine:
    """The better of two readings of one line: Tesseract's when more of its letters stand in Italian
    words (`word_score`), or when it is the recogniser's reading with apostrophes that small lettering
    lost (`E' INUTILE` read `E INUTILE`: the lettered accent of È)."""
    if not tesseract.text:
        return recognised
    ours, theirs = word_score(recognised.text), word_score(tesseract.text)
    if theirs > ours:
        return tesseract
    unmarked = " ".join(tesseract.text.replace("'", "").replace("’", "").split())
    if theirs == ours and unmarked != tesseract.text and unmarked == " ".join(recognised.text.split()):
        return OcrLine(tesseract.text, recognised.confidence)
    return recognised


def _accented_opening(page: Image.Image, box: Sequence[int], line: OcrLine) -> OcrLine:
    """The line with the accent of its opening `E` put back when its crop shows one (È and E are both
    words: tools/ocr/accent_marks.py)."""
    from tools.ocr.accent_marks import opens_with_e, restore_initial_accent

    if not opens_with_e(line.text):
        return line
    return OcrLine(restore_initial_accent(line.text, line_crop(page, box)), line.confidence)


def lexicon_reading(line: Any) -> str:
    """The recogniser's reading of a detected line with the words no dictionary holds corrected from its
    own frames (`corrected_reading`). The line is read again alone from the crop the detector read (the
    detector reads it in a batch, padded to the widest line, which can change a letter or a space). Lines
    whose every word is known and lines without a crop are left as read."""
    from tools.ocr.ctc_words import corrected_reading
    from tools.ocr.text_regions import line_frames

    if known_share(line.text) == 1.0:
        return str(line.text)  # read right: no second reading to pay for
    frames = line_frames(line)
    return str(line.text) if frames is None else corrected_reading(line.text, *frames)


_LONE_E = re.compile(r"(?<=[\s,.;:!?])E(?=[\s,.;:!?]|$)")


def accented_lone_es(line: Any, text: str) -> str:
    """`MA E SORVEGLIATO` -> `MA È SORVEGLIATO` on a line in capitals when the ink over that E shows its
    accent (tools/ocr/accent_marks.py): E and È are both words, so only the ink can tell. The E is found on
    the crop the line was read from through the recogniser's frames (the column under the frames of each
    lone E it read); the line's opening E has its own step (`_accented_opening`). Left as read when the
    recogniser's reading has another count of lone Es than `text`."""
    from tools.ocr.accent_marks import accent_on_glyph
    from tools.ocr.normalise import is_capital_lettering

    spots = [m.start() for m in _LONE_E.finditer(text)]
    if not spots or not is_capital_lettering(text):
        return text
    found = _lone_e_columns(line)
    if found is None or len(found[1]) != len(spots):
        return text
    binary, columns = found
    chars = list(text)
    for spot, column in zip(spots, columns, strict=True):
        if accent_on_glyph(binary, column):
            chars[spot] = "È"
    return "".join(chars)


def _lone_e_columns(line: Any) -> tuple[np.ndarray, list[float]] | None:
    """The line's crop binarised (Otsu) and the column of each lone E the recogniser reads in it, left to
    right; None for a line without a crop."""
    import cv2

    from tools.ocr.ctc_words import greedy_path
    from tools.ocr.recogniser_frames import frame_columns
    from tools.ocr.text_regions import line_frames

    frames = line_frames(line)
    if frames is None:
        return None
    emitted = greedy_path(*frames)
    read = "".join(e.char for e in emitted)
    gray = cv2.cvtColor(line.crop, cv2.COLOR_RGB2GRAY)
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    under = frame_columns(len(frames[0]), gray.shape[1], gray.shape[0])
    lone = [emitted[m.start()] for m in _LONE_E.finditer(read)]
    return binary, [float(under[e.first : e.last + 1].mean()) for e in lone]


def read_detected_lines(
    page: Image.Image, detected: Sequence[Any], reader: str, settings: Any = None
) -> tuple[list[str], float, str]:
    """(lettered lines, mean confidence, engine name) of a balloon from its detected lines (TextLine:
    box, score, text) with the `lines` or `detector` reader."""
    recognised = [OcrLine(lexicon_reading(line), float(line.score)) for line in detected]
    if check_reader(reader) == "detector":
        chosen, engine = recognised, "text-detector"
    else:
        tess = _tesseract(settings)
        chosen = []
        for line, own in zip(detected, recognised, strict=True):
            if only_marks(own.text):  # `...`, `?!`: nothing for Tesseract to add
                chosen.append(own)
                continue
            chosen.append(pick_line(own, tess.read_line(Image.fromarray(line_crop(page, line.box)))))
        engine = "text-detector+tesseract-lines"
    chosen = [_accented_opening(page, line.box, own) for line, own in zip(detected, chosen, strict=True)]
    chosen = [
        OcrLine(accented_lone_es(line, own.text), own.confidence)
        for line, own in zip(detected, chosen, strict=True)
    ]
    texts = [line.text for line in chosen if line.text.strip()]
    confidence = sum(line.confidence for line in chosen) / len(chosen) if chosen else 0.0
    return texts, confidence, engine
