"""Page-level text detection: lines of lettering found anywhere on a page, outline or not.

    detector = get_text_detector("rapidocr")          # or "none"; settings.text_detector picks the default
    lines = detector.detect(page_image)               # [TextLine(box=(x, y, w, h), score, text), ...]

`rapidocr` runs the PP-OCR detection model that ships inside the `rapidocr` wheel (ONNX, CPU, offline:
nothing is downloaded), then reads each proposed line with the packaged recogniser and keeps only lines
that read as words with enough confidence, so hatching, texture and art edges do not become text.
The balloon finder (`tools.panels.balloons.balloons_from_text`) turns the lines into balloons, and
`text_balloons` keeps the lettering that grew none as captions when it reads as confident Italian.
"""

from __future__ import annotations

import hashlib
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from tools.errors import MissingDependencyError, UnknownModelError
from tools.settings import Settings

DETECTORS = ("rapidocr", "none")
MIN_SCORE = 0.6  # recogniser confidence below which a proposed line is not lettering
MIN_HEIGHT_SHARE = 0.005  # of the page height: smaller proposals are specks
CAPTION_SCORE = 0.85  # mean recogniser confidence of lettering kept as a caption without a balloon
CAPTION_KNOWN = 0.75  # share of its words that must be Italian words
CAPTION_PAD = 0.6  # line heights of margin, at most, round a caption's lettering
DETECT_SIDE = 1240  # px: a page whose short side is smaller is enlarged to it before detection
MAX_DETECT_SIDE = 2000  # px: but never past this long side (rapidocr's own bound)
FRAMES_KEPT = 64  # line crops whose recogniser frames are kept (a page's lines and then some)
MIN_ENLARGEMENT = 1.15  # a second pass enlarging less than this finds nothing new and doubles the cost
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class TextLine:
    """One line of lettering on the page: axis-aligned box (page pixels), confidence, what it read."""

    box: Box
    score: float
    text: str = ""
    crop: np.ndarray | None = field(default=None, repr=False, compare=False)  # what the recogniser read (RGB)


class TextDetector(ABC):
    """Finds lines of lettering on a whole page image."""

    name = "text"
    seconds = 0.0  # wall time spent detecting, over the detector's life

    @abstractmethod
    def detect(self, image: Image.Image) -> list[TextLine]:
        """The lettered lines of `image`, top to bottom."""

    reads_crops = False  # whether `recognise` reads a line crop (else missed lines are not looked for)

    def recognise(self, rgb: np.ndarray) -> tuple[str, float]:
        """The reading of one line crop (RGB) and its confidence (tools/ocr/missed_lines.py)."""
        raise NotImplementedError(f"the {self.name} text detector reads no line crops")


def _looks_like_words(text: str) -> bool:
    """At least two letters or digits, and mostly letters, digits and punctuation (no box-drawing junk), and
    not a run of one digit (`888888888`: a screen tone or hatching read as a row of marks)."""
    alnum = sum(ch.isalnum() for ch in text)
    usual = sum(ch.isalnum() or ch in " .,;:!?'’\"-…*()" for ch in text)
    return alnum >= 2 and usual >= 0.8 * max(1, len(text)) and not _one_digit_run(text)


def _one_digit_run(text: str) -> bool:
    """True when at least 80 % of a reading of four or more marks is one digit repeated: lettering never
    is (`1000` is 75 % zeros; Italian figures group thousands with a dot or a space)."""
    marks = text.replace(" ", "")
    if len(marks) < 4:
        return False
    top = max(set(marks), key=marks.count)
    return top.isdigit() and marks.count(top) >= 0.8 * len(marks)


def detection_scale(width: int, height: int) -> float:
    """How much to enlarge a page for a second detection pass: low-resolution scans (a 100-150 dpi page, a web
    scan) letter small balloons a few pixels tall, which the detector misses at their own size (a tiny
    `Grrr...` on the dev pages scanned in black and white); pages of 300 dpi scans, and pages that would
    grow by less than MIN_ENLARGEMENT (a 1600 px generated page), get no second pass."""
    scale = min(DETECT_SIDE / max(1, min(width, height)), MAX_DETECT_SIDE / max(1, width, height))
    return scale if scale >= MIN_ENLARGEMENT else 1.0


def looks_like_lettering(text: str) -> bool:
    """A reading the detector keeps: words (`_looks_like_words`) or a balloon's marks alone (`only_marks`)."""
    return _looks_like_words(text) or only_marks(text)


def only_marks(text: str) -> bool:
    """A short reading made only of `?`, `!` and dots: the whole lettering of a balloon of surprise or
    silence (kept, but its balloon must be closed on every side: see `page_lines`)."""
    stripped = text.replace(" ", "")
    return 0 < len(stripped) <= 6 and all(ch in "?!.…" for ch in stripped)


class RapidTextDetector(TextDetector):
    """PP-OCR detection (DBNet, packaged with rapidocr) plus a recogniser check of every proposed line."""

    name = "rapidocr"
    reads_crops = True

    def __init__(self, min_score: float = MIN_SCORE, threads: int = 1):
        self.min_score = min_score
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()
        self._frames: OrderedDict[tuple, tuple[np.ndarray, Sequence[str]]] = OrderedDict()

    def _load(self) -> Any:
        if self._engine is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:
                raise MissingDependencyError(
                    "the rapidocr text detector needs `pip install rapidocr onnxruntime`"
                ) from exc
            self._engine = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "Global.use_cls": False,
                    "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                }
            )
        return self._engine

    def detect(self, image: Image.Image) -> list[TextLine]:
        """The lines found at the page's own size; on a low-resolution page (`detection_scale` > 1) also
        those found on the page enlarged that overlap none of them (small lettering the detector misses
        at its own size; big lettering is found best unenlarged, so the first pass is kept whole)."""
        import cv2

        start = time.perf_counter()
        bgr = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
        lines = self._detect_at(bgr, 1.0, image.height)
        scale = detection_scale(image.width, image.height)
        if scale > 1.0:
            bigger = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            lines += [
                extra
                for extra in self._detect_at(bigger, scale, image.height)
                if not any(_overlap(extra.box, line.box) for line in lines)
            ]
        self.seconds += time.perf_counter() - start
        return sorted(lines, key=lambda line: (line.box[1], line.box[0]))

    def recognise(self, rgb: np.ndarray) -> tuple[str, float]:
        """The recogniser's reading of one line crop (RGB) and its confidence, without detection (its time
        counts in `seconds`, with the detector's)."""
        import cv2

        start = time.perf_counter()
        with self._lock:
            output = self._load()(
                cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), use_det=False, use_cls=False, use_rec=True
            )
        self.seconds += time.perf_counter() - start
        if not output.txts:
            return "", 0.0
        return str(output.txts[0]), float(output.scores[0])

    def frame_log_probs(self, rgb: np.ndarray) -> tuple[np.ndarray, Sequence[str]]:
        """The recogniser's log-probabilities per frame and class for one line crop (RGB), and its alphabet
        (class 0 is the CTC blank): what `tools.ocr.ctc_words` decodes against the lexicon. The last
        FRAMES_KEPT crops' frames are kept, so the steps that ask about one line (its lexicon correction,
        its lone Es) run the recogniser once."""
        import cv2

        from tools.ocr.recogniser_frames import recogniser_frames

        key = (rgb.shape, hashlib.blake2b(np.ascontiguousarray(rgb).tobytes(), digest_size=16).digest())
        start = time.perf_counter()
        with self._lock:
            if key not in self._frames:
                self._frames[key] = recogniser_frames(self._load(), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
                if len(self._frames) > FRAMES_KEPT:
                    self._frames.popitem(last=False)
            frames = self._frames[key]
        self.seconds += time.perf_counter() - start
        return frames

    def _detect_at(self, bgr: np.ndarray, scale: float, page_height: int) -> list[TextLine]:
        """The worded lines the detector and recogniser find on `bgr` (the page enlarged by `scale`), in
        page pixels."""
        with self._lock:
            output = self._load()(bgr, use_det=True, use_cls=False, use_rec=True)
        if output.boxes is None or output.txts is None:
            return []
        lines = []
        for quad, text, score in zip(output.boxes, output.txts, output.scores, strict=True):
            xs, ys = np.asarray(quad)[:, 0] / scale, np.asarray(quad)[:, 1] / scale
            box = (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
            text = str(text).strip()
            if score < self.min_score or not looks_like_lettering(text):
                continue
            if box[3] < MIN_HEIGHT_SHARE * page_height or box[2] < box[3] * 0.5:
                continue  # specks, and tall narrow marks (vertical art strokes)
            lines.append(TextLine(box, float(score), text, crop=_line_crop(bgr, quad)))
        return lines


def line_frames(line: TextLine) -> tuple[np.ndarray, Sequence[str]] | None:
    """The recogniser's log-probabilities per frame for the crop a line was read from, and its alphabet;
    None for a line without a crop (only the rapidocr detector keeps them)."""
    if line.crop is None:
        return None
    handle = get_text_detector("rapidocr")
    return handle.frame_log_probs(line.crop) if isinstance(handle, RapidTextDetector) else None


def _line_crop(bgr: np.ndarray, quad: Any) -> np.ndarray:
    """The line as the recogniser saw it (the detector's quadrangle straightened, as rapidocr crops it), RGB."""
    import cv2
    from rapidocr.utils.process_img import get_rotate_crop_image

    crop = get_rotate_crop_image(bgr, np.array(quad, dtype=np.float32))
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


_CACHE: dict[str, TextDetector] = {}
_LOCK = threading.Lock()


def get_text_detector(name: str | None) -> TextDetector | None:
    """The named detector, created once per process; None for "none" (or an empty name)."""
    key = (name or "none").strip().lower()
    if key == "none":
        return None
    if key not in DETECTORS:
        raise UnknownModelError(f"unknown text detector {name!r}; known: {', '.join(DETECTORS)}")
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = RapidTextDetector()
        return _CACHE[key]


def configured_text_detector(settings: Settings) -> str:
    """The text detector the settings ask for (`text_detector`, env NUVOLA_TEXT_DETECTOR)."""
    return str(getattr(settings, "text_detector", "rapidocr") or "none")


ELLIPSIS = "..."


def page_lines(image: Image.Image, handle: TextDetector) -> tuple[list[TextLine], list[int]]:
    """The detector's lines plus pseudo-lines round lone rows of dots (balloons holding only `...`, which
    the detector does not propose), and the indexes of the lines made only of marks (those pseudo-lines,
    and lines such as `?!`): a balloon of marks alone must be closed on every side."""
    from tools.panels.ellipsis import ellipsis_lines

    detected = handle.detect(image)
    worded = [line.box for line in detected if not only_marks(line.text)]
    lines = detected + [TextLine(box, 1.0, ELLIPSIS) for box in ellipsis_lines(image, worded)]
    return lines, [i for i, line in enumerate(lines) if only_marks(line.text)]


INFLECTED_MIN = 4
"""Letters a word needs before hunspell's affix rules are asked about it (short junk stays unknown)."""


def italian_words(text: str) -> tuple[int, int]:
    """(known, all) words of a reading, counting only words of two letters or more (elisions split at the
    apostrophe): how much of it is Italian. Hatching and texture read as junk that no lexicon holds. A word
    the flat lexicon lacks counts when hunspell derives it (`pozioni` from `pozione`; tools.word_forms)."""
    import re

    from tools.ocr.lexicon import italian_lexicon

    lexicon = italian_lexicon()
    parts = [p for token in text.lower().split() for p in re.split(r"['’]", token.strip('.,;:!?"()*…-«»'))]
    words = [p for p in parts if len(p) >= 2 and p.isalpha()]
    return sum(w in lexicon or lexicon.is_elision_prefix(w) or _inflected(w) for w in words), len(words)


def _inflected(word: str) -> bool:
    """True when hunspell-it's affix rules make `word` (only words of INFLECTED_MIN letters or more)."""
    from tools.word_forms import inflected_form

    return len(word) >= INFLECTED_MIN and inflected_form(word)


def reads_as_italian(lines: Sequence[TextLine]) -> bool:
    """True when lettering found outside any balloon is sure enough to keep as a caption: the detector's
    recogniser is confident (mean score >= CAPTION_SCORE) and agrees with the language (at least
    CAPTION_KNOWN of its words are Italian, and two of them, or one of five letters or more)."""
    if not lines or sum(line.score for line in lines) / len(lines) < CAPTION_SCORE:
        return False
    text = " ".join(line.text for line in lines)
    known, total = italian_words(text)
    if not total or known < CAPTION_KNOWN * total:
        return False
    return known >= 2 or max(len(w) for w in text.split()) >= 5


INTERJECTIONS = frozenset(
    "ah eh oh uh ih ahi ehi ohi ahia bah beh boh mah puah uff uffa gr mh hm hmf ehm uhm m ps wow ops".split()
)


def interjection(lines: Sequence[TextLine]) -> bool:
    """True when a confident reading is only interjections (`Oh!`, `Grrr...`, `Mmm`, `Ehi!`; runs of one
    letter count once): a balloon of its own in comics, kept as a caption only on light paper."""
    if not lines or sum(line.score for line in lines) / len(lines) < CAPTION_SCORE:
        return False
    import re

    words = re.findall(r"[^\W\d_]+", " ".join(line.text for line in lines).lower())
    return bool(words) and all(re.sub(r"(.)\1+", r"\1", w) in INTERJECTIONS for w in words)


X_HEIGHT_LETTERS = frozenset("acemnorsuvwxz")


def x_height_only(text: str) -> bool:
    """True when a reading is lower-case letters without ascenders or descenders (`...mmm`, `ora`, `uno`),
    with dots, commas or spaces at most: its line box stands shorter than the lettering's size."""
    letters = [ch for ch in text if ch.isalpha()]
    rest = set(text) - set(letters) - set(" .,…")
    return bool(letters) and not rest and all(ch in X_HEIGHT_LETTERS for ch in letters)


def text_balloons(image: Image.Image, detected: Sequence[TextLine], marks: Sequence[int] = ()) -> list[Any]:
    """Balloons grown from the lettering (tools.panels.balloons.balloons_from_text), plus **captions**: the
    worded lines that grew no balloon (no paper round them, paper open on three sides, tinted or dark
    paper, a balloon too tight for its lettering) grouped by layout, and kept when their reading is
    confident Italian (`reads_as_italian`), or only interjections on light paper (`interjection`), boxed
    with the paper round the lettering, at most CAPTION_PAD line heights. Phantom text on art is rejected by language
    rather than by outline. Returns tools.panels.balloons.TextBalloon items."""
    from tools.panels.balloons import TextBalloon, balloons_from_text, layout_groups, lettering_box

    boxes = [line.box for line in detected]
    short = [i for i, line in enumerate(detected) if x_height_only(line.text)]
    grown = balloons_from_text(image, boxes, marks, short)
    held = {i for balloon in grown for i in balloon.lines} | set(marks)
    rest = [i for i in range(len(detected)) if i not in held]
    captions = []
    for group in layout_groups([boxes[i] for i in rest]):
        members = tuple(rest[k] for k in group)
        block = [detected[i] for i in members]
        if not (reads_as_italian(block) or interjection(block)):
            continue
        box, on_paper = lettering_box(image, [boxes[i] for i in members], CAPTION_PAD)
        if on_paper or reads_as_italian(block):
            captions.append(TextBalloon(box, "caption", members, by_layout=True))
    return grown + captions


def add_text_balloons(image: Image.Image, analysis: Any, detector: str | None, rtl: bool = False) -> Any:
    """A page analysis (tools.panels.PageAnalysis) whose balloons are checked against, and completed by,
    the lettering the named detector finds (see tools.panels.balloons.merge_text_balloons); unchanged
    when the detector is "none"."""
    from dataclasses import replace

    from tools.panels.balloons import merge_text_balloons

    handle = get_text_detector(detector)
    if handle is None:
        return analysis
    start, cpu = time.perf_counter(), time.process_time()
    detected, marks = page_lines(image, handle)
    lines = [line.box for line in detected]
    grown = text_balloons(image, detected, marks)
    merged = merge_text_balloons(analysis.balloons, grown, lines, [p.box for p in analysis.panels], rtl)
    timings = {**analysis.timings, "text_balloons": time.perf_counter() - start}
    cpu_timings = {**analysis.cpu_timings, "text_balloons": time.process_time() - cpu}
    return replace(analysis, balloons=[b for b, *_ in merged], timings=timings, cpu_timings=cpu_timings)
