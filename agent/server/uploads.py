"""Uploaded scans: kept under NUVOLA_HOME/uploads/<id>/ with a safe name, accepted only when their first
bytes say image, PDF or comic archive, and when ingest's own checks (tools.ingest.formats.plan_sources:
unsafe or encrypted members, oversized entries, decompression bombs, unreadable files) find a page in
them. A refused upload leaves nothing behind."""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import BinaryIO

from agent.server.errors import ApiError

UPLOADS = "uploads"
CHUNK = 1024 * 1024
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image", ".png"),
    (b"\xff\xd8\xff", "image", ".jpg"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image", ".jp2"),
    (b"\xff\x4f\xff\x51", "image", ".j2k"),
    (b"II*\x00", "image", ".tif"),
    (b"MM\x00*", "image", ".tif"),
    (b"GIF87a", "image", ".gif"),
    (b"GIF89a", "image", ".gif"),
    (b"BM", "image", ".bmp"),
    (b"PK\x03\x04", "zip", ".cbz"),
    (b"PK\x05\x06", "zip", ".cbz"),
    (b"Rar!\x1a\x07", "rar", ".cbr"),
    (b"7z\xbc\xaf\x27\x1c", "7z", ".cb7"),
    (b"%PDF-", "pdf", ".pdf"),
)
KNOWN_SUFFIXES = {s for _, _, s in SIGNATURES} | {
    ".jpeg",
    ".tiff",
    ".webp",
    ".zip",
    ".rar",
    ".7z",
    ".jpx",
    ".jpf",
}


@dataclass
class AcceptedUpload:
    """Files kept for a reading job: paths relative to the data home, pages found, members refused."""

    upload_id: str
    files: list[str]
    pages: int
    warnings: list[str] = field(default_factory=list)


def sniff_kind(head: bytes) -> tuple[str, str] | None:
    """(kind, suffix) from a file's first bytes, or None when it is no format Nuvola reads."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", ".webp"
    return next(((kind, suffix) for magic, kind, suffix in SIGNATURES if head.startswith(magic)), None)


def safe_name(name: str, suffix: str) -> str:
    """The upload's base name with only plain characters, never hidden, with a suffix that fits its bytes."""
    base = PurePath(name.replace("\\", "/")).name
    stem, ext = (base.rsplit(".", 1) + [""])[:2] if "." in base else (base, "")
    stem = re.sub(r"[^A-Za-z0-9 _-]+", "_", stem).strip(" ._")[:80] or "upload"
    ext = f".{ext.lower()}"
    return stem + (ext if ext in KNOWN_SUFFIXES and _same_kind(ext, suffix) else suffix)


def _same_kind(ext: str, suffix: str) -> bool:
    groups = [{".jpg", ".jpeg"}, {".tif", ".tiff"}, {".cbz", ".zip"}, {".cbr", ".rar"}, {".cb7", ".7z"}]
    return ext == suffix or any(ext in g and suffix in g for g in groups)


def volume_from(name: str) -> str:
    """A default volume name from the first file's name."""
    stem = PurePath(name.replace("\\", "/")).stem
    return re.sub(r"[^\w '-]+", " ", stem).strip()[:80] or "upload"


def save_stream(source: BinaryIO, target: Path) -> int:
    """Copy an uploaded file into place in chunks; returns its size."""
    size = 0
    with target.open("xb") as out:
        while chunk := source.read(CHUNK):
            out.write(chunk)
            size += len(chunk)
    return size


def check_saved(path: Path, shown: str, expanded_limit: int) -> tuple[int, list[str]]:
    """Pages in a saved upload and the members ingest will skip; ApiError 415/422 when it holds no page."""
    from tools.errors import InputFileError
    from tools.ingest.formats import plan_sources

    with path.open("rb") as handle:
        head = handle.read(16)
    found = sniff_kind(head)
    if found is None:
        raise ApiError(
            415, f"{shown}: not an image, PDF or CBZ/CBR/CB7 archive (its first bytes say otherwise)"
        )
    if found[0] in ("zip", "rar", "7z"):
        _check_expanded(path, found[0], shown, expanded_limit)
    try:
        sources, errors = plan_sources([path])
    except InputFileError as exc:
        raise ApiError(422, f"{shown}: {exc.cause}") from exc
    reasons = [_shown(str(e), path, shown) for e in errors]
    if not sources:
        detail = "; ".join(reasons[:5]) or "no page inside"
        raise ApiError(422, f"{shown}: nothing to read ({detail})", refused=reasons)
    return len(sources), reasons


def _shown(message: str, path: Path, shown: str) -> str:
    """An ingest message about the stored file, naming the file as the user sent it."""
    return message.replace(str(path), shown)


def _check_expanded(path: Path, kind: str, shown: str, limit: int) -> None:
    """Refuse an archive whose members add up to more than `limit` bytes unpacked (a zip bomb)."""
    total = _declared_size(path, kind)
    if total > limit:
        raise ApiError(
            422,
            f"{shown}: unpacks to {total / 1e6:.0f} MB, more than the {limit / 1e6:.0f} MB allowed "
            "for one upload (a zip bomb?)",
            unpacked=total,
            limit=limit,
        )


def _declared_size(path: Path, kind: str) -> int:
    """What the archive's directory says its members add up to, unpacked."""
    try:
        if kind == "zip":
            with zipfile.ZipFile(path) as archive:
                return sum(i.file_size for i in archive.infolist())
        if kind == "rar":
            import rarfile

            with rarfile.RarFile(path) as archive:
                return sum(i.file_size for i in archive.infolist())
        import py7zr

        with py7zr.SevenZipFile(path) as archive:
            return sum(i.uncompressed or 0 for i in archive.list())
    except Exception as exc:  # noqa: BLE001 - a broken archive: its library's error, named
        raise ApiError(422, f"{path.name}: cannot read the archive ({type(exc).__name__}: {exc})") from exc


class UploadFolder:
    """One upload's folder under NUVOLA_HOME/uploads; removed again when the upload is refused."""

    def __init__(self, home: Path, upload_id: str):
        self.home = Path(home)
        self.root = self.home / UPLOADS / upload_id
        self.upload_id = upload_id

    def __enter__(self) -> UploadFolder:
        self.root.mkdir(parents=True, exist_ok=False)
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if exc is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def target(self, name: str, suffix: str) -> Path:
        """A fresh path in the folder for a file called `name` (numbered when taken)."""
        candidate = self.root / safe_name(name, suffix)
        n = 1
        while candidate.exists():
            candidate = candidate.with_name(f"{candidate.stem}-{n}{candidate.suffix}")
            n += 1
        return candidate

    def relative(self, path: Path) -> str:
        return path.relative_to(self.home).as_posix()
