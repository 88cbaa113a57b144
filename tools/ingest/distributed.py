"""Read pages on Ray: each page's decode, panels, balloons and OCR run as a Ray task; one writer commits.

    with Catalogue.open(settings) as catalogue:
        ingest_on_ray(catalogue, paths, scale=ScaleOptions(workers=2), ocr=OcrTask(settings))

The driver (this process) stays the only writer of the catalogue and of the data home's files: a task
returns the page's rows (balloon texts already read) and the bytes of its image and crops, and the driver
commits the pages in page order, one SQLite transaction each, as `tools.ingest.ingest_paths` does. So a
catalogue read on Ray is the catalogue read in one process, and a run killed at any moment (`kill -9` of
the driver or of a worker) carries on when run again: committed pages are skipped, a task whose worker
died is retried by Ray (`max_retries`), and a page is only ever added once (its id is its pixels' hash).

Back-pressure: at most `in_flight` pages are submitted and not yet committed (default twice the workers),
so the object store holds at most that many results; a local Ray gets an object store of
`object_store_mb`. Inputs are read by the workers from their paths (a cluster needs them on a shared
filesystem, and nuvola installed on every node); outputs travel back through the object store.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PIL import Image

from tools.atomic import write_bytes_atomic
from tools.errors import InputFileError, NuvolaError
from tools.ingest.catalogue import (
    BalloonRecord,
    Catalogue,
    PageRecord,
    PanelRecord,
    crop_relpath,
    page_relpath,
)
from tools.ingest.decode import pixel_hash
from tools.ingest.formats import DecodedPage, PageSource, plan_sources, read_pages
from tools.ingest.ingest_paths import (
    IngestOptions,
    IngestSummary,
    PageOutcome,
    analyse_decoded,
    page_records,
    pages_to_read,
    volume_groups,
)

if TYPE_CHECKING:
    from tools.panels import PageAnalysis
    from tools.settings import Settings

DEFAULT_OBJECT_STORE_MB = 512
MIN_OBJECT_STORE_MB = 80  # Ray refuses an object store under 75 MiB


class ScaleError(NuvolaError):
    """Ray is missing, could not be started or reached, or was asked for something it cannot do."""


@dataclass(frozen=True)
class ScaleOptions:
    """Where and how wide to read.

    workers: a local Ray's CPUs (default: this machine's cores); on an existing cluster (`address`), the
    most pages in flight. address: an existing Ray cluster (`auto`, `HOST:6379`, `ray://HOST:10001`).
    in_flight: pages submitted and not yet committed (default: twice the workers or the cluster's CPUs).
    """

    workers: int | None = None
    address: str | None = None
    in_flight: int | None = None
    object_store_mb: int = DEFAULT_OBJECT_STORE_MB
    max_retries: int = 3

    def window(self, cpus: int, own_cluster: bool) -> int:
        """How many pages may be in flight at once."""
        if self.in_flight:
            return self.in_flight
        if self.workers and not own_cluster:
            return self.workers
        return 2 * (self.workers or cpus)


@dataclass(frozen=True)
class OcrTask:
    """Read every balloon inside the task with this OCR engine (None: the settings' `ocr` role)."""

    settings: Settings
    engine: str | None = None


@dataclass(frozen=True)
class PageJob:
    """One page to read: its volume, its index in the volume and where it comes from."""

    volume: str
    volume_id: int
    index: int
    source: PageSource


@dataclass
class PageResult:
    """What a task sends back: the page's rows and files, or why it could not be read."""

    source: str
    page: PageRecord | None = None
    panels: list[PanelRecord] = field(default_factory=list)
    balloons: list[BalloonRecord] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (home-relative path, bytes)
    error: tuple[str, str] | None = None  # (file, cause) of an InputFileError
    ocr_error: str | None = None  # OCR failed in the task: the balloons are left for the OCR stage
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage in the worker
    worker: int = 0  # the process that read it


@dataclass
class ScaleSummary(IngestSummary):
    """The ingest summary plus what the cluster did."""

    cpus: int = 0
    window: int = 0
    transcribed: int = 0  # balloons read by the tasks
    ocr_deferred: dict[str, str] = field(default_factory=dict)  # source -> why its OCR was left to later
    workers_seen: set[int] = field(default_factory=set)


class PageProgress(Protocol):
    """Where the driver reports progress: one bar per volume."""

    def volume(self, name: str, total: int) -> None: ...

    def page(self, volume: str, outcome: PageOutcome) -> None: ...


# ---- the task (runs in a Ray worker; plain Python, callable without Ray) ------------------------


def read_page(job: PageJob, options: IngestOptions, ocr: OcrTask | None = None) -> PageResult:
    """Decode one page, find its panels and balloons, encode its image and crops, read its balloons."""
    cpu: dict[str, float] = {}
    with _cpu(cpu, "decode"):
        _, decoded = next(read_pages([job.source]))
    if isinstance(decoded, InputFileError):
        return PageResult(job.source.name, error=(decoded.path, decoded.cause), cpu=cpu, worker=os.getpid())
    with _cpu(cpu, "hash"):
        page_id = pixel_hash(decoded.image)
    analysis = analyse_decoded(decoded, options)
    for stage, seconds in analysis.cpu_timings.items():
        cpu[stage] = cpu.get(stage, 0.0) + seconds
    with _cpu(cpu, "encode"):
        files = page_files(page_id, decoded, analysis, options.crops)
    width, height = decoded.image.size
    page = PageRecord(page_id, job.volume_id, job.index, job.source.name, files[0][0], width, height)
    panels, balloons = page_records(page_id, analysis)
    result = PageResult(job.source.name, page, panels, balloons, files, cpu=cpu, worker=os.getpid())
    if ocr is not None and balloons:
        with _cpu(cpu, "ocr"):
            _transcribe(result, ocr)
    return result


def read_page_task(job: PageJob, options: IngestOptions, ocr: OcrTask | None = None) -> PageResult:
    """The Ray task: `read_page` with OpenCV on one thread (Ray gives each task one CPU)."""
    import cv2

    cv2.setNumThreads(1)
    return read_page(job, options, ocr)


@contextmanager
def _cpu(cpu: dict[str, float], stage: str) -> Iterator[None]:
    start = time.process_time()
    try:
        yield
    finally:
        cpu[stage] = cpu.get(stage, 0.0) + time.process_time() - start


def page_files(
    page_id: str, decoded: DecodedPage, analysis: PageAnalysis, crops: bool = True
) -> list[tuple[str, bytes]]:
    """The page image (original bytes, else lossless PNG) and its crops, as the pipeline stores them."""
    suffix = decoded.suffix if decoded.encoded else ".png"
    files = [(page_relpath(page_id, suffix), decoded.encoded or _png_bytes(decoded.image))]
    if not crops:
        return files
    items = [(str(n), p.box) for n, p in enumerate(analysis.panels)]
    items += [(f"b{n}", b.box) for n, b in enumerate(analysis.balloons)]
    for name, (x, y, w, h) in items:
        if w > 0 and h > 0:
            files.append((crop_relpath(page_id, name), _png_bytes(decoded.image.crop((x, y, x + w, y + h)))))
    return files


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _transcribe(result: PageResult, ocr: OcrTask) -> None:
    """Run the OCR stage itself (`transcribe_volume`, no speakers) on this one page, held in memory."""
    from tools.ocr.transcribe import transcribe_volume

    assert result.page is not None
    with tempfile.TemporaryDirectory(prefix="nuvola-page-") as folder:
        image_file = Path(folder) / Path(result.page.image_path).name
        image_file.write_bytes(result.files[0][1])
        view = OnePageCatalogue(result.page, result.panels, result.balloons, image_file)
        try:
            progress = transcribe_volume(
                view, OnePageCatalogue.VOLUME, ocr.settings, ocr.engine, speakers=False
            )
        except Exception as exc:  # noqa: BLE001 - any engine failure: the OCR stage reads this page later
            result.ocr_error = f"{type(exc).__name__}: {exc}"
            return
    if progress.errors:
        result.ocr_error = "; ".join(progress.errors)
        return
    result.balloons = view.balloon_records()


class OnePageCatalogue:
    """The part of `Catalogue` that `transcribe_volume` uses, over one page in memory, so a task reads
    its page's balloons with exactly the OCR stage's code (and the driver commits what it read)."""

    VOLUME = "(page)"

    def __init__(
        self,
        page: PageRecord,
        panels: Sequence[PanelRecord],
        balloons: Sequence[BalloonRecord],
        image_file: Path,
    ) -> None:
        self._page, self._panels, self._image_file = page, list(panels), image_file
        self._balloons = {b.id: b for b in balloons}

    def pages(self, volume_name: str) -> list[PageRecord]:
        return [self._page]

    def panels(self, page_id: str) -> list[PanelRecord]:
        return list(self._panels)

    def balloons(self, page_id: str) -> list[BalloonRecord]:
        return self.balloon_records()

    def balloon_records(self) -> list[BalloonRecord]:
        return sorted(self._balloons.values(), key=lambda b: b.reading_order)

    def image_file(self, page: PageRecord) -> Path:
        return self._image_file

    def set_transcript(
        self,
        balloon_id: str,
        text: str | None,
        lines: Sequence[str] | None,
        confidence: float | None,
        engine: str | None,
    ) -> None:
        lines_ = list(lines) if lines is not None else None
        self._update(balloon_id, text=text, lines=lines_, ocr_confidence=confidence, engine=engine)

    def set_speaker(self, balloon_id: str, speaker: str | None, confidence: float | None) -> None:
        self._update(balloon_id, speaker=speaker, speaker_confidence=confidence)

    def _update(self, balloon_id: str, **values: Any) -> None:
        if balloon_id not in self._balloons:
            raise KeyError(f"no balloon {balloon_id!r} on page {self._page.id}")
        self._balloons[balloon_id] = replace(self._balloons[balloon_id], **values)


# ---- the driver --------------------------------------------------------------------------------


def ingest_on_ray(
    catalogue: Catalogue,
    paths: Sequence[Path | str],
    volume: str | None = None,
    options: IngestOptions | None = None,
    scale: ScaleOptions | None = None,
    ocr: OcrTask | None = None,
    progress: PageProgress | None = None,
) -> ScaleSummary:
    """Ingest (and with `ocr`, transcribe) files and folders on Ray; bad files are reported, never fatal."""
    options = options or IngestOptions()
    if options.debug_dir is not None:
        raise ScaleError("debug pictures (--debug) are drawn in one process: leave out --workers/--ray")
    scale = scale or ScaleOptions()
    summary = ScaleSummary()
    start = time.perf_counter()
    jobs = plan_jobs(catalogue, paths, volume, summary, progress)
    if jobs:
        with ray_session(scale) as (cpus, own):
            summary.cpus, summary.window = cpus, scale.window(cpus, own)
            _run(catalogue, jobs, options, ocr, scale, summary, progress)
    summary.seconds = time.perf_counter() - start
    return summary


def plan_jobs(
    catalogue: Catalogue,
    paths: Sequence[Path | str],
    volume: str | None,
    summary: IngestSummary,
    progress: PageProgress | None = None,
) -> list[PageJob]:
    """The pages still to read, volume by volume in page order (pages already there counted as present)."""
    jobs: list[PageJob] = []
    for name, group_paths in volume_groups([Path(p) for p in paths], volume):
        sources, errors = plan_sources(group_paths)
        for error in errors:
            summary.record_error(error)
        if not sources:
            continue
        vol = catalogue.ensure_volume(name, "; ".join(str(p.resolve()) for p in group_paths))
        summary.volumes.append(name)
        todo, present = pages_to_read(catalogue, vol, sources)
        if progress:
            progress.volume(name, len(sources))
        for source in present:
            summary.present += 1
            if progress:
                progress.page(name, PageOutcome(source.name, "present"))
        jobs += [PageJob(name, vol.id, index, source) for index, source in todo]
    return jobs


@contextmanager
def ray_session(scale: ScaleOptions) -> Iterator[tuple[int, bool]]:
    """(CPUs of the cluster, whether we started it): Ray as it is when already initialised, else a
    local Ray of `workers` CPUs started here, or a connection to `address`; shut down when we started it."""
    ray = import_ray()
    if ray.is_initialized():
        yield int(ray.cluster_resources().get("CPU", 1)), False
        return
    try:
        if scale.address:
            ray.init(address=scale.address, logging_level="WARNING", log_to_driver=False)
        else:
            ray.init(**local_ray_args(scale))
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = scale.address or "a local Ray"
        raise ScaleError(f"cannot start or reach {where}: {type(exc).__name__}: {exc}") from exc
    try:
        yield int(ray.cluster_resources().get("CPU", 1)), not scale.address
    finally:
        ray.shutdown()


def local_ray_args(scale: ScaleOptions) -> dict[str, Any]:
    """`ray.init` arguments for a local Ray: `workers` CPUs, no dashboard, a bounded object store."""
    if scale.object_store_mb < MIN_OBJECT_STORE_MB:
        raise ScaleError(
            f"the object store needs at least {MIN_OBJECT_STORE_MB} MB (got {scale.object_store_mb})"
        )
    return {
        "num_cpus": scale.workers or os.cpu_count() or 1,
        "include_dashboard": False,
        "object_store_memory": scale.object_store_mb * 1024 * 1024,
        "logging_level": "WARNING",
        "log_to_driver": False,
    }


def import_ray() -> Any:
    """The `ray` module, or a ScaleError saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ScaleError("reading on Ray needs the `ray` package: pip install ray==2.60.0") from exc
    return ray


def _run(
    catalogue: Catalogue,
    jobs: list[PageJob],
    options: IngestOptions,
    ocr: OcrTask | None,
    scale: ScaleOptions,
    summary: ScaleSummary,
    progress: PageProgress | None,
) -> None:
    """Submit pages while fewer than the window are in flight; commit results in page order as they come."""
    ray = import_ray()
    task = ray.remote(read_page_task).options(num_cpus=1, max_retries=scale.max_retries)
    options_ref, ocr_ref = ray.put(options), ray.put(ocr)
    pending: dict[Any, int] = {}
    results: dict[int, PageResult | Exception] = {}
    submitted = written = 0
    while written < len(jobs):
        while submitted < len(jobs) and submitted - written < summary.window:
            pending[task.remote(jobs[submitted], options_ref, ocr_ref)] = submitted
            submitted += 1
        if written not in results:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                results[pending.pop(ref)] = _fetch(ray, ref)
        while written in results:
            outcome = commit_result(
                catalogue, jobs[written], results.pop(written), summary, scale.max_retries
            )
            if progress:
                progress.page(jobs[written].volume, outcome)
            written += 1


def _fetch(ray: Any, ref: Any) -> PageResult | Exception:
    """A task's result, or the error Ray gave once its retries were spent (the batch goes on)."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:
        return exc


def commit_result(
    catalogue: Catalogue,
    job: PageJob,
    result: PageResult | Exception,
    summary: ScaleSummary,
    retries: int = 0,
) -> PageOutcome:
    """Write one page's files and rows (one transaction), or record why it failed; returns its outcome."""
    name = job.source.name
    if isinstance(result, Exception):
        cause = f"task failed after {retries} retries ({type(result).__name__}: {_first_line(result)})"
        return _error(summary, InputFileError(_where(job.source), cause), name)
    if result.error is not None:
        return _error(summary, InputFileError(*result.error), name)
    assert result.page is not None
    summary.workers_seen.add(result.worker)
    for stage, seconds in result.cpu.items():
        summary.time(stage, 0.0, seconds)
    if result.ocr_error:
        summary.ocr_deferred[name] = result.ocr_error
    page_id = result.page.id
    with summary.timing("commit"):
        added = catalogue.page(page_id) is None and _store(catalogue, result)
    if not added:
        summary.duplicates += 1
        return PageOutcome(name, "duplicate", page_id)
    summary.added += 1
    summary.panels += len(result.panels)
    summary.balloons += len(result.balloons)
    summary.transcribed += sum(b.text is not None for b in result.balloons)
    return PageOutcome(name, "added", page_id, len(result.panels), len(result.balloons))


def _store(catalogue: Catalogue, result: PageResult) -> bool:
    """Files first (atomically, skipping those already there), then the rows in one transaction."""
    for rel, data in result.files:
        target = catalogue.home / rel
        if not target.exists():
            write_bytes_atomic(target, data)
    assert result.page is not None
    return catalogue.add_page(result.page, result.panels, result.balloons)


def _error(summary: IngestSummary, error: InputFileError, name: str) -> PageOutcome:
    summary.record_error(error)
    return PageOutcome(name, "error", error=error.cause)


def _where(source: PageSource) -> str:
    return f"{source.path}:{source.member}" if source.member else str(source.path)


def _first_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:200] if lines else type(exc).__name__
