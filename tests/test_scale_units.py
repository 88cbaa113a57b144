"""The Ray reader's parts that need no Ray: page tasks run in-process, commits, options, CLI checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.ingest import scale_from
from cli.main import cli
from tools.ingest.catalogue import Catalogue
from tools.ingest.distributed import (
    OcrTask,
    OnePageCatalogue,
    ScaleError,
    ScaleOptions,
    ScaleSummary,
    commit_result,
    local_ray_args,
    plan_jobs,
    read_page,
)
from tools.ingest.ingest_paths import IngestOptions, ingest_paths
from tools.settings import load_settings


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tools.synth import generate_volume

    folder = tmp_path_factory.mktemp("units") / "albo"
    generate_volume(folder, pages=3, seed=7, height=600)
    return folder


def rows(catalogue: Catalogue, volume: str) -> list[tuple]:
    found = []
    for page in catalogue.pages(volume):
        found.append((page, catalogue.panels(page.id), catalogue.balloons(page.id)))
    return found


def test_tasks_run_in_process_give_the_pipelines_rows_and_files(pages, tmp_path):
    with Catalogue(tmp_path / "one" / "catalogue.sqlite") as one:
        ingest_paths(one, [pages])
        expected = rows(one, "albo")
    with Catalogue(tmp_path / "two" / "catalogue.sqlite") as two:
        summary = ScaleSummary()
        jobs = plan_jobs(two, [pages], None, summary)
        outcomes = [commit_result(two, job, read_page(job, IngestOptions()), summary) for job in jobs]
        assert [o.status for o in outcomes] == ["added"] * 3
        assert rows(two, "albo") == expected
        again = plan_jobs(two, [pages], None, ScaleSummary())
    assert again == [], "pages already catalogued are planned again"
    one_files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.png"))
    two_files = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*.png"))
    assert one_files == two_files and len(one_files) > 3


def test_a_page_seen_twice_is_committed_once(pages, tmp_path):
    with Catalogue(tmp_path / "catalogue.sqlite") as catalogue:
        summary = ScaleSummary()
        (job, *_) = plan_jobs(catalogue, [pages], None, summary)
        result = read_page(job, IngestOptions())
        first = commit_result(catalogue, job, result, summary)
        second = commit_result(catalogue, job, result, summary)
        assert (first.status, second.status) == ("added", "duplicate")
        assert summary.added == 1 and summary.duplicates == 1 and len(catalogue.pages("albo")) == 1


def test_a_failed_task_is_a_per_file_error_and_the_batch_goes_on(pages, tmp_path):
    with Catalogue(tmp_path / "catalogue.sqlite") as catalogue:
        summary = ScaleSummary()
        first, second, _ = plan_jobs(catalogue, [pages], None, summary)
        lost = commit_result(catalogue, first, RuntimeError("worker died\nOOM killed"), summary, retries=3)
        kept = commit_result(catalogue, second, read_page(second, IngestOptions()), summary)
    assert (lost.status, kept.status) == ("error", "added")
    ((path, causes),) = summary.errors.items()
    assert path.endswith("page_001.png") and "after 3 retries" in causes[0] and "OOM killed" in causes[0]


def test_an_ocr_failure_in_a_task_leaves_the_page_to_the_ocr_stage(pages, tmp_path):
    with Catalogue(tmp_path / "catalogue.sqlite") as catalogue:
        summary = ScaleSummary()
        job = plan_jobs(catalogue, [pages], None, summary)[0]
        ocr = OcrTask(load_settings(), engine="no-such-engine")
        result = read_page(job, IngestOptions(), ocr)
        assert result.ocr_error and result.balloons and all(b.text is None for b in result.balloons)
        commit_result(catalogue, job, result, summary)
    assert summary.added == 1 and list(summary.ocr_deferred) == ["page_001.png"]


@pytest.mark.real
def test_a_task_reads_the_balloons_as_the_ocr_stage_does(pages, tmp_path, monkeypatch):
    pytest.importorskip("tesserocr", reason="tesserocr is not installed")
    from tools.ocr.transcribe import transcribe_volume

    monkeypatch.setenv("NUVOLA_TEXT_DETECTOR", "none")
    settings = load_settings()
    with Catalogue(tmp_path / "one" / "catalogue.sqlite") as one:
        ingest_paths(one, [pages / "page_002.png"], volume="albo")
        transcribe_volume(one, "albo", settings, speakers=False)
        expected = one.balloons(one.pages("albo")[0].id)
    with Catalogue(tmp_path / "two" / "catalogue.sqlite") as two:
        job = plan_jobs(two, [pages / "page_002.png"], "albo", ScaleSummary())[0]
        result = read_page(job, IngestOptions(), OcrTask(settings))
    assert result.ocr_error is None and result.balloons == expected and any(b.text for b in expected)


def test_one_page_view_refuses_unknown_balloons(pages, tmp_path):
    with Catalogue(tmp_path / "catalogue.sqlite") as catalogue:
        job = plan_jobs(catalogue, [pages], None, ScaleSummary())[0]
    result = read_page(job, IngestOptions())
    assert result.page is not None
    view = OnePageCatalogue(result.page, result.panels, result.balloons, Path("page.png"))
    with pytest.raises(KeyError, match="no balloon"):
        view.set_transcript("nope:b0", "CIAO", ["CIAO"], 0.9, "tesseract")


def test_window_and_flags():
    assert ScaleOptions(workers=3).window(cpus=3, own_cluster=True) == 6
    assert ScaleOptions(workers=3).window(cpus=64, own_cluster=False) == 3
    assert ScaleOptions().window(cpus=8, own_cluster=False) == 16
    assert ScaleOptions(workers=2, in_flight=5).window(cpus=2, own_cluster=True) == 5
    assert scale_from(None, None) is None
    assert scale_from(2, None) == ScaleOptions(workers=2)
    assert scale_from(None, "auto") == ScaleOptions(address="auto")
    assert local_ray_args(ScaleOptions(workers=2))["num_cpus"] == 2
    with pytest.raises(ScaleError, match="at least 80 MB"):
        local_ray_args(ScaleOptions(object_store_mb=10))


def test_cli_refuses_debug_pictures_on_ray_and_zero_workers(pages, tmp_path):
    runner = CliRunner()
    debug = runner.invoke(cli, ["ingest", str(pages), "--workers", "2", "--debug", str(tmp_path / "d")])
    assert debug.exit_code != 0 and "--debug" in str(debug.exception or debug.output)
    zero = runner.invoke(cli, ["read", str(pages), "--workers", "0"])
    assert zero.exit_code == 2 and "--workers" in zero.output
