"""Where pages come from: image files, folders, PDF, CBZ/ZIP, CBR/RAR, CB7/7z, Internet Archive `*_jp2.zip`.

`plan_sources(paths)` lists every page in reading order (natural sort of names) without decoding any;
`read_pages(sources)` yields `(source, image)` in that order, opening each container once. Containers
are recognised by their first bytes, not their extension (a `.cbr` that is really a ZIP works). Archive
members are read into memory, never extracted to disk; unsafe members (absolute paths, `..`, symlinks,
oversized entries) and encrypted ones are refused one by one with an InputFileError.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image

from tools.errors import InputFileError
from tools.ingest.decode import decode_image, frame_count

IMAGE_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    ".webp",
    ".jp2",
    ".j2k",
    ".jpx",
    ".jpf",
    ".bmp",
    ".gif",
}
CONTAINER_SUFFIXES = {".pdf", ".cbz", ".zip", ".cbr", ".rar", ".cb7", ".7z"}
MAX_MEMBER_BYTES = 512 * 1024 * 1024  # a page larger than this inside an archive is refused (zip bombs)
PDF_RENDER_HEIGHT = 2400  # pixels, when a PDF page is not a single embedded image

KEPT_AS_IS = (  # page formats stored byte for byte (others are stored as lossless PNG)
    (b"\x89PNG", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", ".jp2"),
)
MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"%PDF-", "pdf"),
)


@dataclass(frozen=True)
class DecodedPage:
    """A decoded page and, when it came as PNG or JPEG, its original bytes (stored as they are)."""

    image: Image.Image
    encoded: bytes | None = None
    suffix: str = ".png"


@dataclass(frozen=True)
class PageSource:
    """One page to read: a file on disk and, inside a container, which member, PDF page or TIFF frame."""

    path: Path
    kind: str  # image | zip | rar | 7z | pdf
    member: str = ""
    index: int = 0  # PDF page or TIFF frame

    @property
    def name(self) -> str:
        """Stable name of the page for the catalogue (`source_name`) and for error messages."""
        inner = self.member or (f"frame {self.index + 1}" if self.index else "")
        return f"{self.path.name}/{inner}" if inner else self.path.name


def natural_key(text: str) -> list[int | str]:
    """Sort key where `page2` comes before `page10`."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def sniff(path: Path) -> str:
    """The container kind of a file from its first bytes ('image' when it is none of the containers)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), "image")


def volume_name(path: Path) -> str:
    """A volume name from a path: the file stem, without Internet Archive's `_jp2` suffix."""
    name = path.name if path.is_dir() else path.stem
    return re.sub(r"_jp2$", "", name) or "volume"


def plan_sources(paths: Sequence[Path]) -> tuple[list[PageSource], list[InputFileError]]:
    """Every page under `paths`, in order, and an error for each file or member that cannot be used."""
    sources: list[PageSource] = []
    errors: list[InputFileError] = []
    for path in paths:
        files = _folder_files(path) if path.is_dir() else [path]
        for file in files:
            try:
                found, bad = _plan_file(file)
            except InputFileError as exc:
                errors.append(exc)
                continue
            sources += found
            errors += bad
    return sources, errors


def _folder_files(folder: Path) -> list[Path]:
    """Page files and containers under a folder (recursively), naturally sorted by relative path."""
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and p.suffix.lower() in IMAGE_SUFFIXES | CONTAINER_SUFFIXES
    ]
    return sorted(files, key=lambda p: natural_key(p.relative_to(folder).as_posix()))


def _plan_file(path: Path) -> tuple[list[PageSource], list[InputFileError]]:
    if not path.exists():
        raise InputFileError(path, "no such file or folder")
    if path.stat().st_size == 0:
        raise InputFileError(path, "empty file (0 bytes)")
    kind = sniff(path)
    try:
        if kind == "pdf":
            return [PageSource(path, "pdf", f"page {i + 1:04d}", i) for i in range(_pdf_pages(path))], []
        if kind in ("zip", "rar", "7z"):
            return _plan_archive(path, kind)
        frames = frame_count(path.read_bytes(), str(path))
        return [PageSource(path, "image", index=i) for i in range(frames)], []
    except InputFileError:
        raise
    except Exception as exc:  # a library's own error for a broken container: name the file and go on
        raise InputFileError(path, f"cannot read {kind} ({type(exc).__name__}: {exc})") from exc


# ---- archives ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """An archive entry as listed: name, declared size, and whether it is a link or encrypted."""

    name: str
    size: int
    is_dir: bool
    is_link: bool
    encrypted: bool


def _list_members(path: Path, kind: str) -> list[Member]:
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            return [
                Member(
                    i.filename,
                    i.file_size,
                    i.is_dir(),
                    stat.S_ISLNK(i.external_attr >> 16),
                    bool(i.flag_bits & 1),
                )
                for i in archive.infolist()
            ]
    if kind == "rar":
        import rarfile

        with rarfile.RarFile(path) as archive:
            return [
                Member(i.filename, i.file_size, i.is_dir(), i.is_symlink(), i.needs_password())
                for i in archive.infolist()
            ]
    import py7zr

    with py7zr.SevenZipFile(path) as archive:
        encrypted = archive.needs_password()
        return [
            Member(i.filename, i.uncompressed or 0, i.is_directory, i.is_symlink, encrypted)
            for i in archive.list()
        ]


def unsafe_member(name: str) -> str | None:
    """Why an archive member name is unsafe (absolute, drive letter, `..`), or None if it is fine."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        return "absolute path"
    if ".." in PurePosixPath(posix).parts:
        return "path leaves the archive (..)"
    return None


def _plan_archive(path: Path, kind: str) -> tuple[list[PageSource], list[InputFileError]]:
    sources, errors = [], []
    for member in sorted(_list_members(path, kind), key=lambda m: natural_key(m.name)):
        if member.is_dir or PurePosixPath(member.name).name.startswith("."):
            continue
        where = f"{path}:{member.name}"
        suffix = PurePosixPath(member.name).suffix.lower()
        reason = unsafe_member(member.name) or (
            "symbolic link in archive"
            if member.is_link
            else "encrypted entry (password protected)"
            if member.encrypted
            else f"entry too large ({member.size / 1e6:.0f} MB)"
            if member.size > MAX_MEMBER_BYTES
            else "nested archive (unpack it first)"
            if suffix in CONTAINER_SUFFIXES
            else None
        )
        if reason:
            errors.append(InputFileError(where, reason))
        elif suffix in IMAGE_SUFFIXES:
            sources.append(PageSource(path, kind, member.name))
    return sources, errors


def _read_members(path: Path, kind: str, names: list[str]) -> Iterator[tuple[str, bytes | InputFileError]]:
    """The bytes of each named member, in the order given, opening the archive once."""
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            for name in names:
                yield name, _guarded(path, name, lambda n=name: archive.read(n))
    elif kind == "rar":
        import rarfile

        with rarfile.RarFile(path) as archive:
            for name in names:
                yield name, _guarded(path, name, lambda n=name: archive.read(n))
    else:
        import py7zr
        from py7zr.io import BytesIOFactory

        factory = BytesIOFactory(MAX_MEMBER_BYTES)
        with py7zr.SevenZipFile(path) as archive:
            archive.extract(targets=names, factory=factory)
        for name in names:
            yield name, _guarded(path, name, lambda n=name: _factory_bytes(factory, n))


def _factory_bytes(factory: object, name: str) -> bytes:
    product = factory.get(name)  # type: ignore[attr-defined]
    product.seek(0)
    return bytes(product.read())


def _guarded(path: Path, name: str, read: object) -> bytes | InputFileError:
    try:
        return read()  # type: ignore[operator]
    except Exception as exc:  # zipfile.BadZipFile, rarfile.Error, py7zr errors, CRC mismatches...
        return InputFileError(f"{path}:{name}", f"cannot read archive entry ({type(exc).__name__}: {exc})")


# ---- PDF -----------------------------------------------------------------------------------------


def _open_pdf(path: Path):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        cause = (
            "encrypted PDF (password required)"
            if "password" in str(exc).lower()
            else f"unreadable PDF ({exc})"
        )
        raise InputFileError(path, cause) from exc


def _pdf_pages(path: Path) -> int:
    pdf = _open_pdf(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


def _pdf_page_image(pdf: object, index: int, name: str) -> DecodedPage:
    """The page's single full-page image when there is one (JPEG and JPEG 2000 streams are taken
    as they are, other images decoded without loss); otherwise the page rendered PDF_RENDER_HEIGHT tall."""
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    page = pdf[index]  # type: ignore[index]
    try:
        images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2))
        if len(images) == 1 and _covers_page(images[0], page):
            buffer = io.BytesIO()
            try:
                images[0].extract(buffer, fb_format="png")
                return as_decoded_page(buffer.getvalue(), name)
            except (pdfium.PdfiumError, ValueError):
                pass  # unusual encodings: fall back to rendering the page
        width, height = page.get_size()
        scale = PDF_RENDER_HEIGHT / max(height, 1)
        bitmap = page.render(scale=scale, grayscale=False)
        return DecodedPage(decode_image(_png(bitmap.to_pil()), name))
    finally:
        page.close()


def _covers_page(image: object, page: object) -> bool:
    left, bottom, right, top = image.get_bounds()  # type: ignore[attr-defined]
    width, height = page.get_size()  # type: ignore[attr-defined]
    return (right - left) >= 0.9 * width and (top - bottom) >= 0.9 * height


def _png(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


# ---- reading -------------------------------------------------------------------------------------


def read_pages(sources: Sequence[PageSource]) -> Iterator[tuple[PageSource, DecodedPage | InputFileError]]:
    """Decode each source in order; a page that cannot be used comes back as its InputFileError."""
    i = 0
    while i < len(sources):
        group = [sources[i]]
        while i + len(group) < len(sources) and _same_container(sources[i + len(group)], sources[i]):
            group.append(sources[i + len(group)])
        yield from _read_group(group)
        i += len(group)


def _same_container(a: PageSource, b: PageSource) -> bool:
    return a.path == b.path and a.kind == b.kind


def _read_group(group: list[PageSource]) -> Iterator[tuple[PageSource, DecodedPage | InputFileError]]:
    first = group[0]
    if first.kind == "image":
        data = first.path.read_bytes()
        for source in group:
            yield source, _decode(data, source)
    elif first.kind == "pdf":
        try:
            pdf = _open_pdf(first.path)
        except InputFileError as exc:
            for source in group:
                yield source, exc
            return
        try:
            for source in group:
                where = f"{source.path}:{source.member}"
                yield source, _catch(lambda s=source, w=where: _pdf_page_image(pdf, s.index, w), where)
        finally:
            pdf.close()
    else:
        by_name = {s.member: s for s in group}
        done: set[str] = set()
        try:
            for name, content in _read_members(first.path, first.kind, list(by_name)):
                done.add(name)
                source = by_name[name]
                yield source, content if isinstance(content, InputFileError) else _decode(content, source)
        except Exception as exc:  # the archive itself broke while reading
            error = InputFileError(first.path, f"cannot read archive ({type(exc).__name__}: {exc})")
            for source in group:
                if source.member not in done:
                    yield source, error


def _decode(data: bytes, source: PageSource) -> DecodedPage | InputFileError:
    where = f"{source.path}:{source.member}" if source.member else str(source.path)
    frame = source.index if source.kind == "image" else 0
    return _catch(lambda: as_decoded_page(data, where, frame), where)


def as_decoded_page(data: bytes, where: str, frame: int = 0) -> DecodedPage:
    """Decode bytes; PNG, JPEG and JPEG 2000 pages keep their bytes so the stored copy is the original."""
    image = decode_image(data, where, frame)
    suffix = next((s for magic, s in KEPT_AS_IS if data.startswith(magic)), None)
    if suffix and frame == 0:
        return DecodedPage(image, data, suffix)
    return DecodedPage(image)


def _catch(fn: object, where: str) -> DecodedPage | InputFileError:
    try:
        return fn()  # type: ignore[operator]
    except InputFileError as exc:
        return exc
    except Exception as exc:  # pdfium or codec failures on one page
        return InputFileError(where, f"{type(exc).__name__}: {exc}")
