"""The catalogue contract: tables, records, ordering, transcript/speaker updates, removal."""

from __future__ import annotations

import sqlite3

import pytest

from tools.errors import UnknownVolumeError
from tools.ingest.catalogue import BalloonRecord, Catalogue, PageRecord, PanelRecord
from tools.settings import load_settings


def _page(cat: Catalogue, volume_id: int, pid: str, index: int) -> bool:
    page = PageRecord(pid, volume_id, index, f"src/{index}.png", f"pages/{pid[:2]}/{pid}.png", 100, 130)
    panels = [
        PanelRecord(f"{pid}:{n}", pid, n, 10 * n, 0, 10, 10, [[0, 0], [10, 0], [10, 10]]) for n in (1, 0)
    ]
    balloons = [
        BalloonRecord(f"{pid}:b1", pid, f"{pid}:1", 1, "speech", 5, 5, 8, 4, tail_x=7, tail_y=12),
        BalloonRecord(f"{pid}:b0", pid, f"{pid}:0", 0, "caption", 1, 1, 8, 3),
    ]
    return cat.add_page(page, panels, balloons)


def test_open_uses_home_and_schema_matches_contract(isolated_home):
    cat = Catalogue.open(load_settings())
    assert cat.path == isolated_home / "catalogue.sqlite"
    db = sqlite3.connect(cat.path)
    columns = {
        t: [r[1] for r in db.execute(f"PRAGMA table_info({t})")]
        for t in ("volumes", "pages", "panels", "balloons")
    }
    assert columns["volumes"] == ["id", "name", "source"]
    assert columns["pages"] == [
        "id",
        "volume_id",
        "page_index",
        "source_name",
        "image_path",
        "width",
        "height",
    ]
    assert columns["panels"] == ["id", "page_id", "reading_order", "x", "y", "w", "h", "polygon"]
    assert columns["balloons"] == [
        "id",
        "page_id",
        "panel_id",
        "reading_order",
        "kind",
        "x",
        "y",
        "w",
        "h",
        "tail_x",
        "tail_y",
        "text",
        "lines",
        "ocr_confidence",
        "engine",
        "speaker",
        "speaker_confidence",
    ]


def test_pages_panels_balloons_come_back_in_order(tmp_path):
    cat = Catalogue(tmp_path / "catalogue.sqlite")
    vol = cat.ensure_volume("tex-001", "/scans/tex-001.cbz")
    assert _page(cat, vol.id, "bb" * 32, 1) and _page(cat, vol.id, "aa" * 32, 0)
    assert not _page(cat, vol.id, "aa" * 32, 0), "a page already there is a no-op"
    assert [p.page_index for p in cat.pages("tex-001")] == [0, 1]
    pid = "aa" * 32
    assert [p.id for p in cat.panels(pid)] == [f"{pid}:0", f"{pid}:1"]
    assert cat.panels(pid)[0].polygon == [[0, 0], [10, 0], [10, 10]]
    balloons = cat.balloons(pid)
    assert [b.kind for b in balloons] == ["caption", "speech"]
    assert (balloons[1].tail_x, balloons[1].tail_y) == (7, 12)
    assert cat.stats("tex-001").pages == 2 and cat.stats("tex-001").balloons == 4


def test_transcript_and_speaker_round_trip(tmp_path):
    cat = Catalogue(tmp_path / "catalogue.sqlite")
    vol = cat.ensure_volume("v")
    _page(cat, vol.id, "cc" * 32, 0)
    bid = "cc" * 32 + ":b1"
    cat.set_transcript(bid, "PERCHÉ NO?", ["PERCHE'", "NO?"], 0.87, "tesseract")
    cat.set_speaker(bid, "Tex", 0.6)
    again = Catalogue(tmp_path / "catalogue.sqlite").balloon(bid)
    assert again is not None
    assert (again.text, again.lines, again.engine, again.speaker) == (
        "PERCHÉ NO?",
        ["PERCHE'", "NO?"],
        "tesseract",
        "Tex",
    )
    assert cat.stats("v").transcribed == 1
    with pytest.raises(KeyError):
        cat.set_speaker("nope:b0", "Tex", 1.0)


def test_unknown_volume_names_the_known_ones(tmp_path):
    cat = Catalogue(tmp_path / "catalogue.sqlite")
    cat.ensure_volume("tex-001")
    with pytest.raises(UnknownVolumeError, match="tex-001"):
        cat.pages("tex-002")


def test_remove_volume_deletes_rows_and_files(tmp_path):
    cat = Catalogue(tmp_path / "catalogue.sqlite")
    vol = cat.ensure_volume("v")
    pid = "dd" * 32
    _page(cat, vol.id, pid, 0)
    image = cat.image_file(cat.pages("v")[0])
    image.parent.mkdir(parents=True)
    image.write_bytes(b"x")
    crop = cat.crop_file(f"{pid}:b0")
    crop.parent.mkdir(parents=True)
    crop.write_bytes(b"x")
    assert cat.remove_volume("v") == 1
    assert not image.exists() and not crop.parent.exists()
    assert cat.volumes() == [] and cat.balloons(pid) == []
