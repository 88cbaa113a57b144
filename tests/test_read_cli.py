"""The reading commands, driven through the CLI: nuvola synth, nuvola ingest, nuvola eval panels."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import cli
from tools.ingest.catalogue import Catalogue
from tools.settings import load_settings


def test_synth_ingest_and_eval_panels(tmp_path):
    runner = CliRunner()
    out = tmp_path / "tex"
    result = runner.invoke(cli, ["synth", str(out), "--pages", "2", "--seed", "4", "--height", "700"])
    assert result.exit_code == 0, result.output
    assert (out / "truth.json").is_file() and (out / "page_002.png").is_file()

    (tmp_path / "junk.png").write_text("not an image")
    result = runner.invoke(cli, ["ingest", str(out), str(tmp_path / "junk.png"), "--volume", "tex-001"])
    assert result.exit_code == 0, result.output
    assert (
        "added 2 pages" in result.output and "junk.png" in result.output and "not an image" in result.output
    )
    with Catalogue.open(load_settings()) as cat:
        pages = cat.pages("tex-001")
        assert len(pages) == 2 and cat.panels(pages[0].id) and cat.balloons(pages[0].id)

    again = runner.invoke(cli, ["ingest", str(out), "--volume", "tex-001"])
    assert "added 0 pages" in again.output and "2 already there" in again.output

    result = runner.invoke(cli, ["eval", "panels", "--gt", str(out / "truth.json"), str(out), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert {"precision", "recall", "f1", "reading_order"} <= set(scores) and scores["f1"] >= 0.95


def test_ingest_debug_folder_and_a_bad_only_batch(tmp_path):
    runner = CliRunner()
    runner.invoke(cli, ["synth", str(tmp_path / "v"), "--pages", "1", "--height", "600"])
    result = runner.invoke(cli, ["ingest", str(tmp_path / "v"), "--debug", str(tmp_path / "trace")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "trace").rglob("*-gutters.png"))) == 1
    (tmp_path / "empty.cbz").write_bytes(b"")
    failed = runner.invoke(cli, ["ingest", str(tmp_path / "empty.cbz")])
    assert failed.exit_code == 1 and "0 bytes" in failed.output
