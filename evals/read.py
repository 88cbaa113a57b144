"""One reading report on pages with ground truth: panels, balloons and text, as `nuvola transcribe` reads them.

    report = evaluate_read(load_gt_dir(folder, "dev"), settings)   -> ReadReport
    write_html(report, out_dir)                                     -> index.html, one picture per page

Per page the reading route runs as `transcribe_page` does (panels and balloons by OpenCV, the page-level
text detector when configured, OCR per balloon, no speakers) and is scored:

    panel F1          one-to-one IoU >= 0.5 matches against the panel GT (evals/panels.py), when annotated
    balloon recall    a GT balloon is found when a detection matches its body box or its box with the
                      tail at IoU >= 0.5 (one-to-one); precision = matched detections / detections
    CER / WER         end to end, per GT balloon: the normalised text of its matched detection (nothing
                      when missed) against the normalised GT lines; by page type and overall
    seconds per page  wall time of the whole reading of the page (detection + OCR)

Figures on generated pages (a `nuvola synth` folder) are smoke tests of the route, not accuracy.
"""

from __future__ import annotations

import html
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.panels import DetectionScore, PanelScore, match_alternatives
from evals.real_pages import PageSet, TruthPage
from tools.atomic import write_bytes_atomic, write_text_atomic
from tools.ocr.metrics import ErrorCounts
from tools.settings import Settings

Progress = Callable[[int, int], None]
PICTURE_WIDTH = 640  # px of the per-page picture in the HTML report


@dataclass
class FoundBalloon:
    """A detected balloon as read: page box, kind, text and whether it came from the text detector."""

    box: list[int]
    kind: str
    text: str
    source: str = "outline"
    lines: list[str] = field(default_factory=list)


@dataclass
class PageResult:
    """What was found on one page and how it scored."""

    name: str
    image: str
    page_type: str
    seconds: float
    panels: list[list[int]]
    balloons: list[FoundBalloon]
    truth_balloons: list[list[float]]
    truth_panels: list[list[float]] | None
    matches: list[tuple[int, int]]
    errors: ErrorCounts
    texts: list[tuple[str, str]] = field(default_factory=list)  # (GT text, read text) per GT balloon
    baseline_panels: list[list[int]] | None = None
    phantoms: int = 0  # detections on no lettering at all (neither a GT balloon nor other GT text)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "page_type": self.page_type,
            "seconds": round(self.seconds, 3),
            "balloons_gt": len(self.truth_balloons),
            "balloons_found": len(self.balloons),
            "balloons_matched": len(self.matches),
            "phantoms": self.phantoms,
            "cer": round(self.errors.cer, 5),
            "texts": [{"truth": t, "read": r} for t, r in self.texts],
            "error": self.error,
        }


@dataclass
class ReadReport:
    """The whole report: per-page results and their totals."""

    name: str
    split: str
    provenance: str
    text_detector: str
    pages: list[PageResult]
    reader: str = "lines"  # how balloons with detected lines were read (setting balloon_reader)

    def balloons(self, pages: Sequence[PageResult] | None = None) -> DetectionScore:
        score = DetectionScore()
        for page in self.pages if pages is None else pages:
            score.add(len(page.truth_balloons), len(page.balloons), len(page.matches))
        return score

    def panels(self, pages: Sequence[PageResult] | None = None, baseline: bool = False) -> PanelScore | None:
        """Panel scores over pages with panel GT (the contour baseline's with `baseline=True`); None without."""
        score, any_gt = PanelScore(), False
        for page in self.pages if pages is None else pages:
            found = page.baseline_panels if baseline else page.panels
            if page.truth_panels is None or found is None:
                continue
            any_gt = True
            score.add_page(page.name, page.truth_panels, found)
        return score if any_gt else None

    def text(self, pages: Sequence[PageResult] | None = None) -> ErrorCounts:
        total = ErrorCounts()
        for page in self.pages if pages is None else pages:
            for key in (
                "char_errors",
                "chars",
                "word_errors",
                "words",
                "lines_found",
                "lines",
                "balloons",
                "exact",
            ):
                setattr(total, key, getattr(total, key) + getattr(page.errors, key))
        return total

    def seconds_per_page(self) -> float:
        timed = [p.seconds for p in self.pages if p.error is None]
        return sum(timed) / len(timed) if timed else 0.0

    def by_type(self) -> dict[str, list[PageResult]]:
        groups: dict[str, list[PageResult]] = {}
        for page in self.pages:
            groups.setdefault(page.page_type, []).append(page)
        return groups

    def as_dict(self) -> dict[str, Any]:
        def summary(pages: Sequence[PageResult]) -> dict[str, Any]:
            panels, baseline = self.panels(pages), self.panels(pages, baseline=True)
            return {
                "pages": len(pages),
                "panels": panels.as_dict() if panels else None,
                "baseline_panels": baseline.as_dict() if baseline else None,
                "balloons": self.balloons(pages).as_dict(),
                "phantoms": sum(p.phantoms for p in pages),
                "text": self.text(pages).as_dict(),
            }

        return {
            "name": self.name,
            "split": self.split,
            "provenance": self.provenance,
            "text_detector": self.text_detector,
            "balloon_reader": self.reader,
            "seconds_per_page": round(self.seconds_per_page(), 3),
            "overall": summary(self.pages),
            "by_type": {kind: summary(pages) for kind, pages in sorted(self.by_type().items())},
            "pages": [p.as_dict() for p in self.pages],
        }


def read_page_image(
    image: Any, settings: Settings, engine: Any, text_detector: str
) -> tuple[list[list[int]], list[FoundBalloon]]:
    """Panels and read balloons of one page, by the same route as `nuvola transcribe` (without speakers)."""
    from tools.ocr.transcribe import configured_reader, locate_balloons, read_located

    located = locate_balloons(image, text_detector)
    reader = configured_reader(settings)
    found = []
    for balloon, source, detected in zip(located.balloons, located.sources, located.readings, strict=True):
        text, lines, _, _ = read_located(
            engine, image, balloon.box, balloon.kind, detected, reader=reader, settings=settings
        )
        found.append(FoundBalloon(list(balloon.box), balloon.kind, text, source, lines))
    return [list(p) for p in located.panels], found


def score_page(
    truth: TruthPage, panels: list[list[int]], found: list[FoundBalloon], seconds: float
) -> PageResult:
    """Match detections to GT balloons and count the text errors of every GT balloon."""
    pairs = match_alternatives([b.boxes for b in truth.balloons], [f.box for f in found])
    read = {g: found[p] for g, p in pairs}
    errors = ErrorCounts()
    texts = []
    for index, balloon in enumerate(truth.balloons):
        match = read.get(index)
        hypothesis = match.text if match else ""
        errors.add(hypothesis, balloon.text, match.lines if match else [], balloon.lines)
        texts.append((balloon.text, hypothesis))
    result = PageResult(
        truth.name,
        str(truth.image),
        truth.page_type,
        seconds,
        panels,
        found,
        [b.bbox for b in truth.balloons],
        truth.panels,
        pairs,
        errors,
        texts,
    )
    matched = {p for _, p in pairs}
    lettering = [b.bbox for b in truth.balloons] + truth.text_blocks
    result.phantoms = sum(
        1 for i, f in enumerate(found) if i not in matched and not any(_holds(f.box, t) for t in lettering)
    )
    return result


def _holds(box: Sequence[float], text: Sequence[float]) -> bool:
    """True when `box` covers at least a third of the text box `text` (it found that lettering)."""
    ix = max(0.0, min(box[0] + box[2], text[0] + text[2]) - max(box[0], text[0]))
    iy = max(0.0, min(box[1] + box[3], text[1] + text[3]) - max(box[1], text[1]))
    return ix * iy >= max(1.0, text[2] * text[3]) / 3


def evaluate_read(
    page_set: PageSet,
    settings: Settings,
    *,
    engine: Any = None,
    text_detector: str | None = None,
    baseline: bool = True,
    limit: int | None = None,
    progress: Progress | None = None,
) -> ReadReport:
    """Read every page of the set and score it; a page that cannot be read is recorded and the run goes on."""
    from tools.ocr.registry import get_ocr_engine
    from tools.ocr.text_regions import configured_text_detector
    from tools.panels.baseline import baseline_panels

    detector = text_detector if text_detector is not None else configured_text_detector(settings)
    ocr = engine if engine is not None and not isinstance(engine, str) else get_ocr_engine(engine, settings)
    pages = page_set.pages[:limit] if limit else page_set.pages
    results = []
    for number, truth in enumerate(pages, start=1):
        results.append(_evaluate_page(truth, settings, ocr, detector, baseline, baseline_panels))
        if progress:
            progress(number, len(pages))
    from tools.ocr.transcribe import configured_reader

    reader = configured_reader(settings)
    return ReadReport(page_set.name, page_set.split, page_set.provenance, detector, results, reader)


def _evaluate_page(
    truth: TruthPage, settings: Settings, ocr: Any, detector: str, baseline: bool, baseline_fn: Callable
) -> PageResult:
    from tools.errors import InputFileError
    from tools.ocr.transcribe import open_page

    try:
        image = open_page(truth.image)
    except InputFileError as exc:
        result = score_page(truth, [], [], 0.0)
        result.error = str(exc)
        return result
    start = time.perf_counter()
    panels, found = read_page_image(image, settings, ocr, detector)
    result = score_page(truth, panels, found, time.perf_counter() - start)
    if baseline and truth.panels is not None:
        result.baseline_panels = [list(b) for b in baseline_fn(image)]
    return result


def bootstrap(
    pages: Sequence[PageResult],
    statistic: Callable[[Sequence[PageResult]], float],
    rounds: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """A 95 % percentile interval of `statistic` over pages resampled with replacement."""
    if not pages:
        return (0.0, 0.0)
    rng = random.Random(seed)
    values = sorted(statistic([rng.choice(pages) for _ in pages]) for _ in range(rounds))
    return values[int(0.025 * (rounds - 1))], values[int(0.975 * (rounds - 1))]


# ---- the HTML report -------------------------------------------------------------------------------


def _picture(page: PageResult) -> bytes:
    """The page with truth boxes (green), detected balloons (red; dashed-looking orange from the text
    detector) and detected panels (blue), scaled to PICTURE_WIDTH, as JPEG bytes."""
    import io

    from PIL import Image, ImageDraw

    with Image.open(page.image) as opened:
        image = opened.convert("RGB")
    draw = ImageDraw.Draw(image)
    line = max(2, image.width // 300)

    def box(b: Sequence[float], colour: tuple[int, int, int], width: int = line) -> None:
        x, y, w, h = (float(v) for v in b)
        draw.rectangle([x, y, x + w, y + h], outline=colour, width=width)

    for panel in page.panels:
        box(panel, (40, 90, 255))
    for truth in page.truth_balloons:
        box(truth, (0, 170, 0), line + 2)
    for found in page.balloons:
        box(found.box, (255, 140, 0) if found.source == "text" else (220, 0, 0))
    scale = PICTURE_WIDTH / image.width
    image = image.resize((PICTURE_WIDTH, max(1, round(image.height * scale))))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def write_html(report: ReadReport, out_dir: Path | str) -> Path:
    """index.html plus one JPEG per page (truth vs detected boxes), written atomically into `out_dir`."""
    out = Path(out_dir)
    rows = []
    for page in report.pages:
        picture = f"{page.name}.jpg"
        if page.error is None:
            write_bytes_atomic(out / picture, _picture(page))
        texts = "".join(
            f"<tr><td>{html.escape(t)}</td><td>{html.escape(r) or '<i>missed</i>'}</td></tr>"
            for t, r in page.texts
        )
        rows.append(
            f"<section><h2>{html.escape(page.name)} <small>({html.escape(page.page_type)})</small></h2>"
            f"<p>balloons {len(page.matches)}/{len(page.truth_balloons)} found, {len(page.balloons)} detected; "
            f"CER {_fmt(page.errors.cer if page.errors.chars else None)}; {page.seconds:.2f} s"
            f"{' ; error: ' + html.escape(page.error) if page.error else ''}</p>"
            + ("" if page.error else f'<img src="{picture}" width="{PICTURE_WIDTH}">')
            + (f"<table><tr><th>truth</th><th>read</th></tr>{texts}</table>" if texts else "")
            + "</section>"
        )
    summary = json.dumps(report.as_dict()["overall"], indent=1, ensure_ascii=False)
    document = (
        "<!doctype html><meta charset='utf-8'><title>nuvola eval read</title>"
        "<style>body{font-family:sans-serif;max-width:1100px}section{margin:2em 0}"
        "td{border-bottom:1px solid #ddd;padding:2px 8px;vertical-align:top}</style>"
        f"<h1>Reading report: {html.escape(report.name)} ({html.escape(report.split)})</h1>"
        f"<p>{html.escape(report.provenance)}</p><p>text detector: {html.escape(report.text_detector)}, "
        f"balloon reader: {html.escape(report.reader)}; "
        f"{report.seconds_per_page():.2f} s/page. Boxes: <b style='color:#0a0'>truth</b>, "
        "<b style='color:#d00'>balloon found by outline</b>, <b style='color:#f80'>found from text</b>, "
        f"<b style='color:#25f'>panel found</b>.</p><pre>{html.escape(summary)}</pre>" + "".join(rows)
    )
    return write_text_atomic(out / "index.html", document)
