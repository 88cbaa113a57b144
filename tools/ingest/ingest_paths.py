"""The ingest pipeline: sources -> decoded pages -> panels and balloons -> files and catalogue rows.

Each page is committed in one transaction after its image and crops are written (atomically), so a
killed ingest leaves only whole pages behind and a re-run carries on: pages already catalogued under
the same source name are skipped without decoding, and a page whose pixels are already known (same
sha256) is not added twice. Originals are only read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image

from tools.atomic import atomic_path, write_bytes_atomic
from tools.errors import InputFileError
from tools.ingest.catalogue import (
    BalloonRecord,
    Catalogue,
    PageRecord,
    PanelRecord,
    VolumeRecord,
    crop_relpath,
    page_relpath,
)
from tools.ingest.decode import pixel_hash
from tools.ingest.formats import DecodedPage, PageSource, plan_sources, read_pages, volume_name
from tools.panels import PageAnalysis, analyse_page

Status = Literal["added", "present", "duplicate", "error"]


@dataclass(frozen=True)
class PageOutcome:
    """What happened to one page."""

    source: str
    status: Status
    page_id: str | None = None
    panels: int = 0
    balloons: int = 0
    error: str | None = None


@dataclass
class IngestSummary:
    """Counts for the end-of-run summary, errors grouped by file, and time spent per stage."""

    volumes: list[str] = field(default_factory=list)
    added: int = 0
    present: int = 0
    duplicates: int = 0
    panels: int = 0
    balloons: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds per stage
    cpu_stages: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage

    def record_error(self, error: InputFileError) -> None:
        self.errors.setdefault(error.path, []).append(error.cause)

    def time(self, stage: str, seconds: float, cpu: float = 0.0) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + seconds
        self.cpu_stages[stage] = self.cpu_stages.get(stage, 0.0) + cpu

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        """Add the wall and CPU time of the block to `stage`."""
        start, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.time(stage, time.perf_counter() - start, time.process_time() - cpu)

    @property
    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values())


@dataclass
class IngestOptions:
    """How to read: reading direction, where to save per-step debug pictures, whether to cut crops."""

    rtl: bool = False
    debug_dir: Path | None = None
    crops: bool = True
    text_detector: str = "none"  # page-level text detector for balloons without a closed outline


def volume_groups(paths: Sequence[Path], volume: str | None) -> list[tuple[str, list[Path]]]:
    """Everything into `volume` when given, else one volume per path named after it."""
    if volume:
        return [(volume, list(paths))]
    return [(volume_name(p), [p]) for p in paths]


def ingest_paths(
    catalogue: Catalogue,
    paths: Sequence[Path | str],
    volume: str | None = None,
    options: IngestOptions | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> IngestSummary:
    """Ingest files and folders into the catalogue; bad files are reported in the summary, never fatal."""
    options = options or IngestOptions()
    summary = IngestSummary()
    start = time.perf_counter()
    groups = volume_groups([Path(p) for p in paths], volume)
    plans = []
    for name, group_paths in groups:
        sources, errors = plan_sources(group_paths)
        for error in errors:
            summary.record_error(error)
        plans.append((name, group_paths, sources))
    if on_plan:
        on_plan(sum(len(s) for _, _, s in plans))
    for name, group_paths, sources in plans:
        if not sources:
            continue
        vol = catalogue.ensure_volume(name, "; ".join(str(p.resolve()) for p in group_paths))
        summary.volumes.append(name)
        _ingest_volume(catalogue, vol, sources, options, summary, on_page)
    summary.seconds = time.perf_counter() - start
    return summary


def _first_index(catalogue: Catalogue, vol: VolumeRecord, sources: Sequence[PageSource]) -> int:
    """Page index of this run's first page: after the pages that earlier runs added from other files."""
    names = {s.name for s in sources}
    others = [index for name, index in catalogue.source_names(vol.id).items() if name not in names]
    return max(others) + 1 if others else 0


def _ingest_volume(
    catalogue: Catalogue,
    vol: VolumeRecord,
    sources: Sequence[PageSource],
    options: IngestOptions,
    summary: IngestSummary,
    on_page: Callable[[PageOutcome], None] | None,
) -> None:
    todo, present = pages_to_read(catalogue, vol, sources)
    for source in present:
        summary.present += 1
        _notify(on_page, PageOutcome(source.name, "present"))
    index_of = {s: i for i, s in todo}
    pages = read_pages([s for _, s in todo])
    while True:
        with summary.timing("decode"):
            item = next(pages, None)
        if item is None:
            break
        source, decoded = item
        if isinstance(decoded, InputFileError):
            summary.record_error(decoded)
            _notify(on_page, PageOutcome(source.name, "error", error=decoded.cause))
        else:
            outcome = _ingest_page(catalogue, vol, index_of[source], source, decoded, options, summary)
            _notify(on_page, outcome)


def pages_to_read(
    catalogue: Catalogue, vol: VolumeRecord, sources: Sequence[PageSource]
) -> tuple[list[tuple[int, PageSource]], list[PageSource]]:
    """(page index, source) of the pages not yet in the volume, and the sources already there (resume)."""
    base = _first_index(catalogue, vol, sources)
    known = catalogue.source_names(vol.id)
    todo = [(base + i, s) for i, s in enumerate(sources) if s.name not in known]
    return todo, [s for s in sources if s.name in known]


def _notify(on_page: Callable[[PageOutcome], None] | None, outcome: PageOutcome) -> None:
    if on_page:
        on_page(outcome)


def _ingest_page(
    catalogue: Catalogue,
    vol: VolumeRecord,
    index: int,
    source: PageSource,
    decoded: DecodedPage,
    options: IngestOptions,
    summary: IngestSummary,
) -> PageOutcome:
    with summary.timing("hash"):
        page_id = pixel_hash(decoded.image)
    if catalogue.page(page_id) is not None:
        summary.duplicates += 1
        return PageOutcome(source.name, "duplicate", page_id)
    debug = options.debug_dir / f"{index:04d}-{page_id[:12]}" if options.debug_dir else None
    analysis = analyse_decoded(decoded, options, debug)
    for stage, seconds in analysis.timings.items():
        summary.time(stage, seconds, analysis.cpu_timings.get(stage, 0.0))
    with summary.timing("store"):
        image_path = _store_image(catalogue.home, page_id, decoded)
        if options.crops:
            _store_crops(catalogue.home, page_id, decoded.image, analysis)
    with summary.timing("catalogue"):
        width, height = decoded.image.size
        page = PageRecord(page_id, vol.id, index, source.name, image_path, width, height)
        panels, balloons = page_records(page_id, analysis)
        added = catalogue.add_page(page, panels, balloons)
    if not added:
        summary.duplicates += 1
        return PageOutcome(source.name, "duplicate", page_id)
    summary.added += 1
    summary.panels += len(panels)
    summary.balloons += len(balloons)
    return PageOutcome(source.name, "added", page_id, len(panels), len(balloons))


def analyse_decoded(decoded: DecodedPage, options: IngestOptions, debug: Path | None = None) -> PageAnalysis:
    """Panels and balloons of a decoded page (plus balloons grown from text lines with a text detector)."""
    analysis = analyse_page(decoded.image, rtl=options.rtl, debug_dir=debug)
    if options.text_detector != "none":
        from tools.ocr.text_regions import add_text_balloons

        analysis = add_text_balloons(decoded.image, analysis, options.text_detector, options.rtl)
    return analysis


def page_records(page_id: str, analysis: PageAnalysis) -> tuple[list[PanelRecord], list[BalloonRecord]]:
    """Catalogue rows for the panels and balloons found on a page (ids from reading order)."""
    panels = [
        PanelRecord(f"{page_id}:{n}", page_id, n, *p.box, [list(pt) for pt in p.polygon])
        for n, p in enumerate(analysis.panels)
    ]
    balloons = [
        BalloonRecord(
            f"{page_id}:b{n}",
            page_id,
            f"{page_id}:{b.panel}" if b.panel is not None else None,
            n,
            b.kind,  # type: ignore[arg-type]
            *b.box,
            tail_x=b.tail[0] if b.tail else None,
            tail_y=b.tail[1] if b.tail else None,
        )
        for n, b in enumerate(analysis.balloons)
    ]
    return panels, balloons


def _store_image(home: Path, page_id: str, decoded: DecodedPage) -> str:
    """Write the page image once (original PNG/JPEG/JPEG 2000 bytes, else lossless PNG); home-relative path."""
    rel = page_relpath(page_id, decoded.suffix if decoded.encoded else ".png")
    target = home / rel
    if not target.exists():
        if decoded.encoded:
            write_bytes_atomic(target, decoded.encoded)
        else:
            _save_png(decoded.image, target)
    return rel


def _store_crops(home: Path, page_id: str, image: Image.Image, analysis: PageAnalysis) -> None:
    items = [(str(n), p.box) for n, p in enumerate(analysis.panels)]
    items += [(f"b{n}", b.box) for n, b in enumerate(analysis.balloons)]
    for name, (x, y, w, h) in items:
        target = home / crop_relpath(page_id, name)
        if not target.exists() and w > 0 and h > 0:
            _save_png(image.crop((x, y, x + w, y + h)), target)


def _save_png(image: Image.Image, target: Path) -> None:
    with atomic_path(target, suffix=".png") as tmp:
        image.save(tmp, "PNG", compress_level=1)
