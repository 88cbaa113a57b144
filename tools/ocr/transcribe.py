"""Transcribe pages: balloons found on the page (or taken from the catalogue), read, normalised, attributed.

    transcribe_page(image, settings, engine="tesseract") -> [BalloonTranscript, ...] in reading order
    transcribe_volume(catalogue, "tex-001", settings)   fills text, lines and speaker in the catalogue

A volume is resumable: balloons that already have a text are skipped unless `force=True`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from tools.errors import InputFileError
from tools.ocr.engine import OcrEngine
from tools.ocr.normalise import normalise_lettering
from tools.ocr.speakers import (
    BalloonContext,
    CastMember,
    assign_figures,
    attribute_speakers,
    cast_from_profile,
)
from tools.settings import Settings

Box = tuple[int, int, int, int]


@dataclass
class BalloonTranscript:
    """One balloon as read: normalised text, lettered lines, page box, speaker and confidences."""

    text: str
    lines: list[str]
    bbox: list[int]
    kind: str = "speech"
    confidence: float = 0.0
    speaker: str | None = None
    speaker_confidence: float | None = None
    engine: str = ""
    panel: int | None = None
    tail: list[int] | None = None
    source: str = (
        "outline"  # "outline": found by its shape; "text": grown from lettering the text detector found
    )

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "lines": self.lines,
            "bbox": self.bbox,
            "kind": self.kind,
            "speaker": self.speaker,
            "confidence": round(self.confidence, 4),
            "speaker_confidence": self.speaker_confidence,
        }


@dataclass
class VolumeProgress:
    """What a volume run did: balloons read, skipped (already transcribed), pages that failed and why."""

    read: int = 0
    skipped: int = 0
    pages: int = 0
    errors: list[str] = field(default_factory=list)


def crop_balloon(page: Image.Image, box: Sequence[int], margin: int = 3) -> Image.Image:
    """The balloon's box (and a small margin) cut from the page."""
    x, y, w, h = box
    return page.crop(
        (
            max(0, x - margin),
            max(0, y - margin),
            min(page.width, x + w + margin),
            min(page.height, y + h + margin),
        )
    )


def read_balloon(
    engine: OcrEngine, crop: Image.Image, kind: str, cleaner: Any = None
) -> tuple[str, list[str], float]:
    """(normalised text, lettered lines, confidence) of one crop; the cleaner, if any, may make small edits."""
    result = engine.read(crop, "caption" if kind == "caption" else "speech")
    text = normalise_lettering(result.texts)
    if cleaner is not None and text:
        text = cleaner.clean(text).text
    return text, result.texts, result.confidence


def open_page(image: Image.Image | Path | str) -> Image.Image:
    """A page as an RGB image; a missing or unreadable file is an InputFileError naming it."""
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    try:
        with Image.open(image) as opened:
            return opened.convert("RGB")
    except (OSError, ValueError) as exc:
        raise InputFileError(image, f"cannot read the page image ({exc})") from exc


def attribute(
    page: Image.Image,
    panels: Sequence[Box],
    items: list[BalloonTranscript],
    cast: Sequence[CastMember],
    llm: Any = None,
) -> None:
    """Fill speaker and speaker_confidence of the page's transcripts (captions get no speaker)."""
    import numpy as np

    contexts = [
        BalloonContext(tuple(t.bbox), t.panel, t.kind, t.text, tuple(t.tail) if t.tail else None)  # type: ignore[arg-type]
        for t in items
    ]
    assign_figures(np.asarray(page.convert("L")), panels, contexts)
    for item, guess in zip(items, attribute_speakers(contexts, cast, llm), strict=True):
        item.speaker = guess.speaker
        item.speaker_confidence = guess.confidence if item.kind == "speech" else None


def speaker_llm(settings: Settings) -> Any:
    """The optional `speakers` model role (a choose-from-list step); None when it is not configured."""
    if "speakers" not in settings.models.roles():
        return None
    from tools.models import get_llm

    return get_llm(settings.model_for("speakers"))


PAGE_HEIGHT = 1600  # the page finder's working scale; a lone panel is set on a page this tall


def find_balloons(page: Image.Image) -> tuple[list[Box], list[Any]]:
    """Panels and balloons of a page image via `tools.panels`; a lone panel image is set on a blank page first.

    The finder judges lettering against the page size, so a small panel image alone shows no balloons.
    """
    from dataclasses import replace

    from tools.panels import analyse_page

    analysis = analyse_page(page)
    if analysis.balloons or page.height >= PAGE_HEIGHT:
        return [p.box for p in analysis.panels], list(analysis.balloons)
    margin = 40
    canvas = Image.new(
        "RGB", (max(page.width + 2 * margin, round(PAGE_HEIGHT * 16 / 21)), PAGE_HEIGHT), "white"
    )
    canvas.paste(page, (margin, margin))
    analysis = analyse_page(canvas)

    def back(box: Sequence[int]) -> Box:
        x, y = max(0, box[0] - margin), max(0, box[1] - margin)
        return (x, y, min(page.width - x, box[2]), min(page.height - y, box[3]))

    balloons = [
        replace(b, box=back(b.box), tail=(b.tail[0] - margin, b.tail[1] - margin) if b.tail else None)
        for b in analysis.balloons
    ]
    return [back(p.box) for p in analysis.panels], balloons


@dataclass
class PageBalloons:
    """The panels of a page and its balloons in reading order, each with where it came from."""

    panels: list[Box]
    balloons: list[Any]  # tools.panels.BalloonBox
    sources: list[str]  # "outline" | "text", one per balloon
    readings: list[list[Any]] = field(default_factory=list)  # the text detector's lines in each balloon


FALLBACK_LENGTH = 0.3  # the detector's reading wins when the two readings' lengths differ by more than this


def _lettering_box(detected: Sequence[Any]) -> Box:
    """The box of a balloon's detected lines with a quarter line height around them: the crop to read, so
    art inside the balloon's box (or a neighbour's lettering) stays out."""
    x0 = min(line.box[0] for line in detected)
    y0 = min(line.box[1] for line in detected)
    x1 = max(line.box[0] + line.box[2] for line in detected)
    y1 = max(line.box[1] + line.box[3] for line in detected)
    pad = round(0.25 * sorted(line.box[3] for line in detected)[len(detected) // 2])
    return (max(0, x0 - pad), max(0, y0 - pad), x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)


def _known_share(text: str) -> float:
    """Share of a reading's words that are Italian words (see tools.ocr.line_reading.known_share)."""
    from tools.ocr.line_reading import known_share

    return known_share(text)


def read_located(
    ocr: OcrEngine,
    page: Image.Image,
    box: Sequence[int],
    kind: str,
    detected: Sequence[Any],
    cleaner: Any = None,
    reader: str = "crop",
    settings: Settings | None = None,
) -> tuple[str, list[str], float, str]:
    """(text, lines, confidence, engine) of one balloon. Without detected lines: its whole box read by
    `ocr`. With them, by `reader` (tools/ocr/line_reading.py): `lines` or `detector` read line by line;
    `crop` reads the crop of its detected lines with `ocr`, and when the text detector read those lines
    differently, its reading wins if more of its words are Italian words, or if the two differ in length by
    more than FALLBACK_LENGTH (and 3 characters; the crop caught art or a neighbour, or lost lines on
    tinted paper)."""
    from tools.ocr.line_reading import check_reader, read_detected_lines

    if not detected:
        text, lines, confidence = read_balloon(ocr, crop_balloon(page, box), kind, cleaner)
        return text, lines, confidence, ocr.name
    if check_reader(reader) != "crop":
        lines, confidence, engine = read_detected_lines(page, detected, reader, settings)
        text = normalise_lettering(lines)
        if cleaner is not None and text:
            text = cleaner.clean(text).text
        return text, lines, confidence, engine
    text, lines, confidence = read_balloon(ocr, crop_balloon(page, _lettering_box(detected)), kind, cleaner)
    det_lines = [line.text for line in detected]
    det_text = normalise_lettering(det_lines)
    det_confidence = sum(line.score for line in detected) / len(detected)
    disagree = abs(len(text) - len(det_text)) > max(3, FALLBACK_LENGTH * len(det_text))
    words, det_words = _known_share(text), _known_share(det_text)
    if det_text != text and (det_words > words or disagree):
        if cleaner is not None and det_text:
            det_text = cleaner.clean(det_text).text
        return det_text, det_lines, det_confidence, "text-detector"
    return text, lines, confidence, ocr.name


def configured_reader(settings: Settings) -> str:
    """The balloon reader the settings ask for (`balloon_reader`, env NUVOLA_BALLOON_READER)."""
    from tools.ocr.line_reading import check_reader

    return check_reader(str(getattr(settings, "balloon_reader", "lines") or "lines"))


def lines_in(box: Sequence[int], detected: Sequence[Any]) -> list[Any]:
    """The detected lines whose centre lies in a balloon's box, top to bottom."""
    x, y, w, h = box
    inside = [
        line
        for line in detected
        if x <= line.box[0] + line.box[2] / 2 <= x + w and y <= line.box[1] + line.box[3] / 2 <= y + h
    ]
    return sorted(inside, key=lambda line: (line.box[1], line.box[0]))


def locate_balloons(page: Image.Image, text_detector: str | None = None) -> PageBalloons:
    """Balloons found by their outline, plus (with a text detector, see tools/ocr/text_regions.py) balloons
    grown from lettering that no found balloon holds, so text whose outline is open or missing is kept."""
    from tools.ocr.text_regions import get_text_detector, page_lines, text_balloons
    from tools.panels.balloons import merge_text_balloons

    panels, balloons = find_balloons(page)
    detector = get_text_detector(text_detector)
    if detector is None:
        return PageBalloons(panels, balloons, ["outline"] * len(balloons), [[] for _ in balloons])
    detected, marks = page_lines(page, detector)
    lines = [line.box for line in detected]
    grown = text_balloons(page, detected, marks)
    merged = merge_text_balloons(balloons, grown, lines, panels)
    readings = [
        with_missed_lines(page, box.box, [detected[i] for i in held], lines, detector)
        for box, _, held in merged
    ]
    return PageBalloons(panels, [b for b, *_ in merged], [source for _, source, _ in merged], readings)


def transcribe_page(
    image: Image.Image | Path | str,
    settings: Settings,
    engine: str | OcrEngine | None = None,
    *,
    speakers: bool = True,
    cleaner: Any = None,
    cast: Sequence[CastMember] | None = None,
    text_detector: str | None = None,
    speaker_model: Any = None,
) -> list[BalloonTranscript]:
    """Find the balloons of a page image, read them in reading order and attribute their speakers.

    `text_detector` ("rapidocr" | "none") defaults to the `text_detector` setting; `engine` and
    `speaker_model` may be ready models (else the `ocr` and `speakers` roles of `settings`)."""
    from tools.ocr.registry import get_ocr_engine
    from tools.ocr.text_regions import configured_text_detector

    page = open_page(image)
    ocr = engine if isinstance(engine, OcrEngine) else get_ocr_engine(engine, settings)
    located = locate_balloons(page, text_detector or configured_text_detector(settings))
    panels = located.panels
    reader = configured_reader(settings)
    items = []
    for found, source, detected in zip(located.balloons, located.sources, located.readings, strict=True):
        text, lines, confidence, read_by = read_located(
            ocr, page, found.box, found.kind, detected, cleaner, reader, settings
        )
        tail = list(found.tail) if found.tail else None
        items.append(
            BalloonTranscript(
                text,
                lines,
                list(found.box),
                found.kind,
                confidence,
                engine=read_by,
                panel=found.panel,
                tail=tail,
                source=source,
            )
        )
    if speakers and items:
        attribute(
            page,
            panels,
            items,
            cast if cast is not None else cast_from_profile(settings.series),
            speaker_model if speaker_model is not None else speaker_llm(settings),
        )
    return items


def transcribe_volume(
    catalogue: Any,
    volume: str,
    settings: Settings,
    engine: str | OcrEngine | None = None,
    *,
    force: bool = False,
    speakers: bool = True,
    cleaner: Any = None,
    progress: Callable[[int, int], None] | None = None,
    speaker_model: Any = None,
) -> VolumeProgress:
    """Read every catalogued balloon of `volume` and store text, lines and speaker; resumable, page by page.

    `engine` and `speaker_model` are ready models (the reading graph injects them); a name or None builds
    the configured ones from `settings` (the `ocr` and `speakers` roles)."""
    from tools.ocr.registry import get_ocr_engine

    ocr = engine if isinstance(engine, OcrEngine) else get_ocr_engine(engine, settings)
    cast = cast_from_profile(settings.series)
    llm = (speaker_model if speaker_model is not None else speaker_llm(settings)) if speakers else None
    pages = catalogue.pages(volume)
    done = VolumeProgress()
    for number, page in enumerate(pages, start=1):
        try:
            _transcribe_catalogued_page(
                catalogue,
                page,
                ocr,
                done,
                settings=settings,
                force=force,
                speakers=speakers,
                cleaner=cleaner,
                cast=cast,
                llm=llm,
            )
            done.pages += 1
        except InputFileError as exc:
            done.errors.append(str(exc))
        if progress:
            progress(number, len(pages))
    return done


def with_missed_lines(
    page: Image.Image, box: Sequence[int], held: Sequence[Any], lines: Sequence[Any], detector: Any
) -> list[Any]:
    """A balloon's detected lines, top to bottom, plus the rows of its lettering the detector did not
    propose, read by the detector's recogniser (tools/ocr/missed_lines.py; not looked for in a balloon
    with no detected line, or with a detector that reads no crops)."""
    from tools.ocr.missed_lines import missed_lines

    held = sorted(held, key=lambda line: (line.box[1], line.box[0]))
    if not held or detector is None or not detector.reads_crops:
        return held
    return missed_lines(page, box, held, [tuple(int(v) for v in line) for line in lines], detector.recognise)


def _transcribe_catalogued_page(
    catalogue: Any,
    page: Any,
    ocr: OcrEngine,
    done: VolumeProgress,
    *,
    settings: Settings,
    force: bool,
    speakers: bool,
    cleaner: Any,
    cast: Sequence[CastMember],
    llm: Any,
) -> None:
    balloons = catalogue.balloons(page.id)
    todo = [b for b in balloons if force or b.text is None]
    done.skipped += len(balloons) - len(todo)
    if not todo and not (speakers and any(b.speaker is None and b.kind == "speech" for b in balloons)):
        return
    from tools.ocr.text_regions import configured_text_detector, get_text_detector, page_lines

    image = open_page(catalogue.image_file(page))
    handle = get_text_detector(configured_text_detector(settings))
    detected = page_lines(image, handle)[0] if todo and handle is not None else []  # with lone `...` rows
    boxes = [line.box for line in detected]
    reader = configured_reader(settings)
    for balloon in todo:
        held = with_missed_lines(image, balloon.box, lines_in(balloon.box, detected), boxes, handle)
        text, lines, confidence, engine = read_located(
            ocr, image, balloon.box, balloon.kind, held, cleaner, reader, settings
        )
        catalogue.set_transcript(balloon.id, text, lines, confidence, engine)
        done.read += 1
    if speakers and balloons:
        _store_speakers(catalogue, page, image, cast, llm)


def _store_speakers(
    catalogue: Any, page: Any, image: Image.Image, cast: Sequence[CastMember], llm: Any
) -> None:
    panels = catalogue.panels(page.id)
    index = {p.id: i for i, p in enumerate(panels)}
    balloons = catalogue.balloons(page.id)
    items = [
        BalloonTranscript(
            b.text or "",
            b.lines or [],
            list(b.box),
            b.kind,
            panel=index.get(b.panel_id),
            tail=[b.tail_x, b.tail_y] if b.tail_x is not None and b.tail_y is not None else None,
        )
        for b in balloons
    ]
    attribute(image, [p.box for p in panels], items, cast, llm)
    for balloon, item in zip(balloons, items, strict=True):
        catalogue.set_speaker(balloon.id, item.speaker, item.speaker_confidence)
