"""Bad input: each broken or hostile file gives a clear per-file error, the batch goes on, and nothing is
written outside NUVOLA_HOME."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tools.errors import InputFileError
from tools.ingest.catalogue import Catalogue
from tools.ingest.decode import decode_image
from tools.ingest.ingest_paths import ingest_paths


def _page_png(seed: int = 0) -> bytes:
    """A small framed page, different per seed."""
    image = Image.new("L", (300, 400), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, 280, 180], outline=0, width=3)
    draw.rectangle([20, 200, 280, 380], outline=0, width=3)
    draw.line([(40, 100), (40 + 20 * seed, 150)], fill=0, width=2)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 15000, height: int = 14000) -> bytes:
    """A valid 1-bit PNG of 210 megapixels that compresses to a few kilobytes."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def encrypted_pdf() -> bytes:
    """A one-page PDF under the standard security handler whose user password is not empty."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> /P -44 >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s><%s>] >>\n" % (
        len(objects) + 1,
        b"00" * 16,
        b"00" * 16,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@pytest.fixture
def shelf(tmp_path: Path) -> Path:
    """A folder of scans where most files are broken or hostile, and two pages are fine."""
    folder = tmp_path / "shelf"
    folder.mkdir()
    good = _page_png(1)
    (folder / "01-good.png").write_bytes(good)
    (folder / "02-truncated.png").write_bytes(_page_png(2)[:600])
    (folder / "03-empty.png").write_bytes(b"")
    (folder / "04-notes.png").write_text("not a picture, just notes\n")
    (folder / "05-bomb.png").write_bytes(png_bomb())
    (folder / "06-corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x13" * 500)
    (folder / "07-secret.pdf").write_bytes(encrypted_pdf())
    (folder / "08-broken.cbz").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with zipfile.ZipFile(folder / "09-slip.cbz", "w") as archive:
        archive.writestr("../evil.png", good)
        archive.writestr("/tmp/abs.png", good)
        archive.writestr("C:/win.png", good)
        archive.writestr("ok.png", _page_png(3))
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return folder


def test_bad_files_are_reported_one_by_one_and_the_batch_goes_on(shelf, tmp_path, isolated_home):
    before = {p for p in tmp_path.rglob("*")}
    with Catalogue(isolated_home / "catalogue.sqlite") as cat:
        summary = ingest_paths(cat, [shelf], volume="shelf")
        assert summary.added == 2
        assert [p.source_name for p in cat.pages("shelf")] == ["01-good.png", "09-slip.cbz/ok.png"]
    causes = {
        Path(path.split(":")[0]).name + (":" + path.split(":", 1)[1] if ":" in path else ""): " ".join(c)
        for path, c in summary.errors.items()
    }
    expected = {
        "02-truncated.png": "truncated",
        "03-empty.png": "0 bytes",
        "04-notes.png": "not an image",
        "05-bomb.png": "decompression bomb",
        "06-corrupt.jpg": "corrupt",
        "07-secret.pdf": "encrypted PDF",
        "08-broken.cbz": "cannot read zip",
        "09-slip.cbz:../evil.png": "leaves the archive",
        "09-slip.cbz:/tmp/abs.png": "absolute path",
        "09-slip.cbz:C:/win.png": "absolute path",
        "09-slip.cbz:link.png": "symbolic link",
    }
    for name, words in expected.items():
        assert name in causes, f"no error reported for {name}: {sorted(causes)}"
        assert words in causes[name], (name, causes[name])
    assert len(causes) == len(expected)
    after = {p for p in tmp_path.rglob("*")} - before
    assert all(isolated_home in p.parents for p in after), f"written outside the home: {after}"
    assert not Path("/tmp/abs.png").exists() or Path("/tmp/abs.png").read_bytes() != _page_png(1)


def test_decode_refuses_a_bomb_before_decoding_it():
    with pytest.raises(InputFileError, match="decompression bomb refused: more than 200 megapixels"):
        decode_image(png_bomb(), "bomb.png")


def test_missing_path_is_an_error_not_a_crash(tmp_path):
    with Catalogue(tmp_path / "catalogue.sqlite") as cat:
        summary = ingest_paths(cat, [tmp_path / "nope.cbz"])
    assert summary.added == 0
    assert "no such file" in " ".join(summary.errors[str(tmp_path / "nope.cbz")])
