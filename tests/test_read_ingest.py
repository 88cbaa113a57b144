"""Ingest: every container format gives the same catalogue; re-runs are no-ops; kill -9 resumes cleanly."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tools.ingest.catalogue import Catalogue
from tools.ingest.formats import natural_key, plan_sources
from tools.ingest.ingest_paths import ingest_paths
from tools.synth import generate_volume

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def volume(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three generated pages (skewed and noisy) in a folder, with truth.json."""
    folder = tmp_path_factory.mktemp("volume")
    generate_volume(folder, pages=3, seed=3, height=800, degrade=["skew", "noise"])
    return folder


def _pages(folder: Path) -> list[Path]:
    return sorted(folder.glob("page_*.png"))


def write_rar4_stored(path: Path, files: list[tuple[str, bytes, int]]) -> Path:
    """A RAR 4 archive of stored (uncompressed) entries: (name, data, unix mode). `rar` itself is not free."""
    out = bytearray(b"Rar!\x1a\x07\x00")
    body = struct.pack("<BHHHI", 0x73, 0, 13, 0, 0)
    out += struct.pack("<H", zlib.crc32(body) & 0xFFFF) + body
    for name, data, mode in files:
        raw = name.encode()
        fields = struct.pack(
            "<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), 20513 << 16, 20, 0x30, len(raw), mode
        )
        body = struct.pack("<BHH", 0x74, 0x8000, 7 + len(fields) + len(raw)) + fields + raw
        out += struct.pack("<H", zlib.crc32(body) & 0xFFFF) + body + data
    body = struct.pack("<BHH", 0x7B, 0x4000, 7)
    out += struct.pack("<H", zlib.crc32(body) & 0xFFFF) + body
    path.write_bytes(bytes(out))
    return path


def write_pdf(path: Path, pages: list[Path]) -> Path:
    """A PDF with one losslessly (Flate) embedded image per page, as scanning software makes."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for png in pages:
        image = Image.open(png)
        width, height = image.width * 72 / 150, image.height * 72 / 150
        page = pdf.new_page(width, height)
        obj = pdfium.PdfImage.new(pdf)
        obj.set_bitmap(pdfium.PdfBitmap.from_pil(image))
        obj.set_matrix(pdfium.PdfMatrix().scale(width, height))
        page.insert_obj(obj)
        page.gen_content()
    pdf.save(path)
    return path


def containers(volume: Path, out: Path) -> dict[str, Path]:
    """The same pages as a folder, CBZ, CBR, CB7, PDF, an Internet Archive _jp2.zip, TIFF and WebP files."""
    import py7zr

    pages = _pages(volume)
    made = {"folder": volume}
    with zipfile.ZipFile(out / "vol.cbz", "w") as archive:
        for page in reversed(pages):  # archive order must not matter: pages are sorted by name
            archive.write(page, f"scans/{page.name}")
    made["cbz"] = out / "vol.cbz"
    made["cbr"] = write_rar4_stored(out / "vol.cbr", [(p.name, p.read_bytes(), 0o100644) for p in pages])
    with py7zr.SevenZipFile(out / "vol.cb7", "w") as archive:
        for page in pages:
            archive.write(page, page.name)
    made["cb7"] = out / "vol.cb7"
    made["pdf"] = write_pdf(out / "vol.pdf", pages)
    with zipfile.ZipFile(out / "vol_jp2.zip", "w") as archive:
        for i, page in enumerate(pages):
            jp2 = out / f"vol_{i:04d}.jp2"
            Image.open(page).save(jp2, "JPEG2000", irreversible=False)
            archive.write(jp2, f"vol_jp2/vol_{i:04d}.jp2")
    made["jp2.zip"] = out / "vol_jp2.zip"
    for fmt, suffix, opts in (
        ("tiff", ".tif", {"compression": "tiff_lzw"}),
        ("webp", ".webp", {"lossless": True}),
    ):
        folder = out / fmt
        folder.mkdir()
        for page in pages:
            Image.open(page).save(folder / page.with_suffix(suffix).name, **opts)
        made[fmt] = folder
    return made


def dump(home: Path) -> dict[str, list[tuple]]:
    """The catalogue's content without the columns that name the source (they differ by format)."""
    db = sqlite3.connect(home / "catalogue.sqlite")
    return {
        "pages": db.execute("SELECT id, page_index, width, height FROM pages ORDER BY page_index").fetchall(),
        "panels": db.execute("SELECT * FROM panels ORDER BY id").fetchall(),
        "balloons": db.execute("SELECT * FROM balloons ORDER BY id").fetchall(),
    }


def test_every_container_format_gives_the_same_catalogue(volume, tmp_path):
    made = containers(volume, tmp_path)
    dumps = {}
    for fmt, path in made.items():
        home = tmp_path / f"home-{fmt}"
        with Catalogue(home / "catalogue.sqlite") as cat:
            summary = ingest_paths(cat, [path], volume="tex")
        assert summary.errors == {}, (fmt, summary.errors)
        assert summary.added == 3, fmt
        dumps[fmt] = dump(home)
    reference = dumps.pop("folder")
    assert len(reference["panels"]) >= 9 and len(reference["balloons"]) >= 4
    for fmt, got in dumps.items():
        assert got == reference, f"{fmt} catalogue differs from the folder's"


def test_reingest_is_a_no_op_and_pages_are_stored_once(volume, tmp_path):
    home = tmp_path / "home"
    with Catalogue(home / "catalogue.sqlite") as cat:
        first = ingest_paths(cat, [volume], volume="v")
        again = ingest_paths(cat, [volume], volume="v")
        pages = cat.pages("v")
        assert (first.added, again.added, again.present) == (3, 0, 3)
        assert [p.page_index for p in pages] == [0, 1, 2]
        for page in pages:
            assert cat.image_file(page).is_file()
            assert cat.crop_file(f"{page.id}:0").is_file()
            assert not Path(page.image_path).is_absolute()
    stored = sorted((home / "pages").rglob("*.png"))
    assert len(stored) == 3
    assert {p.read_bytes() for p in stored} == {p.read_bytes() for p in _pages(volume)}, (
        "originals kept byte for byte"
    )


def test_more_files_into_a_volume_continue_its_page_numbers(volume, tmp_path):
    pages = _pages(volume)
    with Catalogue(tmp_path / "catalogue.sqlite") as cat:
        ingest_paths(cat, pages[:2], volume="v")
        ingest_paths(cat, pages[2:], volume="v")
        assert [(p.page_index, p.source_name) for p in cat.pages("v")] == [
            (i, p.name) for i, p in enumerate(pages)
        ]


def test_natural_sort_and_container_sniffing(tmp_path):
    assert sorted(["p10.png", "p2.png", "P1.png"], key=natural_key) == ["P1.png", "p2.png", "p10.png"]
    page = Image.new("L", (60, 80), 255)
    fake = tmp_path / "book.cbr"  # a CBR that is really a ZIP, as many are
    with zipfile.ZipFile(fake, "w") as archive:
        for name in ("10.png", "9.png", "ComicInfo.xml"):
            buffer = io.BytesIO()
            page.save(buffer, "PNG")
            archive.writestr(name, buffer.getvalue() if name.endswith(".png") else b"<x/>")
    sources, errors = plan_sources([fake])
    assert [s.member for s in sources] == ["9.png", "10.png"] and errors == []
    assert sources[0].kind == "zip"


def _page_count(home: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{home / 'catalogue.sqlite'}?mode=ro", uri=True, timeout=1)
        return db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_mid_ingest_then_rerun_has_no_duplicate_and_no_missing_page(tmp_path):
    pages = 10
    folder = tmp_path / "scans"
    generate_volume(folder, pages=pages, seed=8, height=1400)
    home = tmp_path / "home"
    env = {**os.environ, "NUVOLA_HOME": str(home)}
    command = [sys.executable, "-m", "cli.main", "ingest", str(folder), "--volume", "v"]
    proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while _page_count(home) < 2 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _page_count(home)
    assert 2 <= done < pages, f"the kill should land mid-ingest ({done} of {pages} pages were in)"
    rerun = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    db = sqlite3.connect(home / "catalogue.sqlite")
    rows = db.execute("SELECT id, page_index, source_name FROM pages").fetchall()
    assert sorted(r[1] for r in rows) == list(range(pages))
    assert len({r[0] for r in rows}) == pages and len({r[2] for r in rows}) == pages
    orphans = db.execute(
        "SELECT COUNT(*) FROM panels WHERE page_id NOT IN (SELECT id FROM pages)"
    ).fetchone()[0]
    assert orphans == 0
    assert not list(home.rglob(".*.png")), "no temporary files left behind"
