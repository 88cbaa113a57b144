"""Reading on Ray (issue 22): the same catalogue and memory as one process, worker and driver kills, bad pages.

One local Ray (2 CPUs) serves the whole module; `nuvola read --workers 2` finds it running and uses it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tools.ingest.catalogue import Catalogue
from tools.ingest.distributed import ScaleOptions, ingest_on_ray, local_ray_args
from tools.ingest.ingest_paths import PageOutcome, ingest_paths
from tools.settings import load_settings

PAGES = 30
RESUME_PAGES = 12
TABLES = ("volumes", "pages", "panels", "balloons")


@pytest.fixture(scope="module")
def ray_local():
    """A local Ray of 2 CPUs for the module (started once: it costs ~10 s on 2 shared cores)."""
    ray = pytest.importorskip("ray", reason="ray is not installed")
    ray.init(**local_ray_args(ScaleOptions(workers=2, object_store_mb=150)))
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def albo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 30-page generated volume every test reads (small pages, to keep it quick)."""
    from tools.synth import generate_volume

    folder = tmp_path_factory.mktemp("scale") / "albo"
    generate_volume(folder, pages=PAGES, seed=22, height=640)
    return folder


@pytest.fixture
def quick_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake embedder, and balloons read from their crops (no page-level text detector: ~2 s a page)."""
    monkeypatch.setenv("NUVOLA_MODELS__EMBEDDER", "fake")
    monkeypatch.setenv("NUVOLA_TEXT_DETECTOR", "none")


def catalogue_rows(home: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(home / "catalogue.sqlite")
    try:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}
    finally:
        db.close()


def stored_files(home: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(home)): p.read_bytes()
        for folder in ("pages", "crops")
        for p in sorted((home / folder).rglob("*"))
        if p.is_file()
    }


def memory_ids() -> dict[str, list[str]]:
    from memory.records import KINDS
    from memory.store import MemoryStore

    store = MemoryStore.open(load_settings())
    return {kind: sorted(store.ids(kind)) for kind in KINDS}


def read_done(home: Path) -> dict:
    """The `done` figures of the one reading run under `home` (from its checkpoint)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    from agent.read.graph import build_reader_graph

    (run,) = (home / "runs").iterdir()
    with SqliteSaver.from_conn_string(str(run / "checkpoints.sqlite")) as saver:
        state = build_reader_graph(saver).get_state({"configurable": {"thread_id": run.name}})
    return state.values["done"]


class Recorder:
    """A PageProgress that keeps what it is told (and can act on a page)."""

    def __init__(self, on_added=None):
        self.totals: dict[str, int] = {}
        self.outcomes: list[PageOutcome] = []
        self.on_added = on_added

    def volume(self, name: str, total: int) -> None:
        self.totals[name] = total

    def page(self, volume: str, outcome: PageOutcome) -> None:
        self.outcomes.append(outcome)
        if self.on_added and outcome.status == "added":
            self.on_added(len(self.outcomes))


def test_read_on_two_workers_gives_the_same_catalogue_and_memory(
    ray_local, albo, isolated_home, quick_reading, monkeypatch, tmp_path
):
    runner = CliRunner()
    one = runner.invoke(cli, ["read", str(albo), "--volume", "albo", "--no-llm"], catch_exceptions=False)
    assert one.exit_code == 0, one.output
    one_rows, one_files, one_memory = catalogue_rows(isolated_home), stored_files(isolated_home), memory_ids()

    ray_home = tmp_path / "ray-home"
    monkeypatch.setenv("NUVOLA_HOME", str(ray_home))
    two = runner.invoke(
        cli, ["read", str(albo), "--volume", "albo", "--no-llm", "--workers", "2"], catch_exceptions=False
    )
    assert two.exit_code == 0, two.output

    assert len(one_rows["pages"]) == PAGES
    assert sum(row[11] is not None for row in one_rows["balloons"]) > 2 * PAGES, "too few balloons read"
    for table in TABLES:
        assert catalogue_rows(ray_home)[table] == one_rows[table], table
    assert stored_files(ray_home) == one_files
    assert memory_ids() == one_memory and one_memory["line"], "memory ids differ (or nothing remembered)"
    # the Ray run's tasks read every balloon, so its OCR stage found nothing left to read
    assert read_done(isolated_home)["ocr:albo"]["read"] > 0
    assert read_done(ray_home)["ocr:albo"]["read"] == 0


def _task_processes(name: str = "ray::read_page_task") -> list[int]:
    """Ray worker processes under this process that are running a page task now."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            if title.strip() == name and _descends_from(int(entry.name), os.getpid()):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    return False


def test_killing_a_worker_mid_run_still_gives_every_page_once(ray_local, albo, isolated_home):
    killed: list[int] = []

    def kill_a_worker(done: int) -> None:
        if killed or done < 3:
            return
        deadline = time.monotonic() + 5
        while not (busy := _task_processes()) and time.monotonic() < deadline:
            time.sleep(0.005)
        if busy:
            os.kill(busy[0], signal.SIGKILL)
            killed.append(busy[0])

    recorder = Recorder(on_added=kill_a_worker)
    settings = load_settings()
    with Catalogue.open(settings) as catalogue:
        summary = ingest_on_ray(
            catalogue,
            [albo],
            "albo",
            scale=ScaleOptions(workers=2, in_flight=4),
            progress=recorder,
        )
        pages = catalogue.pages("albo")
    assert killed, "no page task was running to kill"
    assert not summary.errors
    assert summary.added == PAGES and summary.balloons > PAGES
    assert sorted(p.source_name for p in pages) == sorted(f"page_{i:03d}.png" for i in range(1, PAGES + 1))
    assert [p.page_index for p in pages] == list(range(PAGES))
    assert len({p.id for p in pages}) == PAGES
    assert [o.source for o in recorder.outcomes] == [p.source_name for p in pages], (
        "not committed in page order"
    )


def test_bad_pages_in_a_batch_give_the_same_per_file_errors(ray_local, albo, isolated_home, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("page_001.png", "page_002.png"):
        (batch / name).write_bytes((albo / name).read_bytes())
    (batch / "page_003.png").write_bytes(b"")
    (batch / "page_004.png").write_bytes((albo / "page_004.png").read_bytes()[:3000])
    (batch / "page_005.jpg").write_bytes(b"not an image at all")

    with Catalogue(tmp_path / "one" / "catalogue.sqlite") as catalogue:
        single = ingest_paths(catalogue, [batch])
    with Catalogue.open(load_settings()) as catalogue:
        summary = ingest_on_ray(catalogue, [batch], scale=ScaleOptions(workers=2))
        assert [p.source_name for p in catalogue.pages("batch")] == ["page_001.png", "page_002.png"]
    assert summary.added == 2 and summary.error_count == 3
    assert summary.errors == single.errors
    causes = {Path(path).name: " ".join(c) for path, c in summary.errors.items()}
    assert "empty" in causes["page_003.png"] and "truncated" in causes["page_004.png"]
    assert "not an image" in causes["page_005.jpg"]


def test_ingest_resumes_after_kill_9_of_the_driver(ray_local, albo, isolated_home, quick_reading):
    address = ray_local.get_runtime_context().gcs_address
    driver = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", str(albo), "--ray", address, "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    try:
        _wait_for_pages(isolated_home / "catalogue.sqlite", at_least=3, timeout=60)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    committed = _wait_for_pages(isolated_home / "catalogue.sqlite", at_least=PAGES, timeout=0)
    assert 3 <= committed < PAGES, f"the driver was not killed mid-run ({committed} pages)"

    result = CliRunner().invoke(cli, ["ingest", str(albo), "--workers", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = " ".join(result.output.split())
    assert f"added {PAGES - committed} pages" in summary and f"{committed} already there" in summary
    assert "0 errors" in summary
    with Catalogue.open(load_settings()) as catalogue:
        pages = catalogue.pages("albo")
    assert [p.source_name for p in pages] == [f"page_{i:03d}.png" for i in range(1, PAGES + 1)]
    assert [p.page_index for p in pages] == list(range(PAGES)) and len({p.id for p in pages}) == PAGES


def _wait_for_pages(path: Path, at_least: int, timeout: float) -> int:
    """Poll the catalogue (read-only) until it holds `at_least` pages; returns the count seen."""
    deadline, count = time.monotonic() + timeout, 0
    while True:
        if path.exists():
            try:
                db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
                count = db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
                db.close()
            except sqlite3.OperationalError:  # the writer is creating it
                pass
        if count >= at_least or time.monotonic() >= deadline:
            return count
        time.sleep(0.02)
