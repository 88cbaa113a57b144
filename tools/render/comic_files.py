"""The comic files: CBZ (pages + ComicInfo.xml), PDF (one page per page, 16×21 cm) and a one-file HTML reader.

Every file is written to a temporary name beside its target and renamed over it when complete.
"""

from __future__ import annotations

import base64
import io
import zipfile
from importlib.resources import files
from pathlib import Path

import jinja2
from PIL import Image

from tools.atomic import atomic_path
from tools.comic_script import IssueScript
from tools.errors import InputFileError
from tools.render.comicinfo import PageEntry, build_comicinfo, validate_comicinfo

READER_JPEG_QUALITY = 88


def page_entries(pages: list[Path]) -> list[PageEntry]:
    entries = []
    for path in pages:
        with Image.open(path) as im:
            entries.append(PageEntry(image_size=path.stat().st_size, width=im.width, height=im.height))
    return entries


def write_cbz(pages: list[Path], script: IssueScript, target: Path, *, colour: bool, artist: str) -> Path:
    """Pages in reading order (stored, PNG is compressed already) followed by a validated ComicInfo.xml."""
    comicinfo = build_comicinfo(script, page_entries(pages), colour=colour, artist=artist)
    validate_comicinfo(comicinfo)
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for index, path in enumerate(pages, start=1):
            archive.write(path, f"{index:03d}{path.suffix}", compress_type=zipfile.ZIP_STORED)
        archive.writestr("ComicInfo.xml", comicinfo, compress_type=zipfile.ZIP_DEFLATED)
    return target


def write_pdf(pages: list[Path], target: Path, dpi: int) -> Path:
    """One PDF page per page image, sized from the DPI (16×21 cm at the DPI they were drawn at)."""
    if not pages:
        raise InputFileError(target, "no pages to write")
    images = [Image.open(path).convert("RGB") for path in pages]
    try:
        with atomic_path(target) as tmp:
            images[0].save(
                tmp, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), title=target.stem
            )
    finally:
        for image in images:
            image.close()
    return target


def _data_uri(path: Path) -> str:
    with Image.open(path) as im:
        buffer = io.BytesIO()
        im.convert("RGB").save(buffer, "JPEG", quality=READER_JPEG_QUALITY, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def write_reader(pages: list[Path], script: IssueScript, target: Path) -> Path:
    """A self-contained HTML page (images inlined) that reads the issue with arrows, space, Home/End or clicks."""
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
        files("tools.render").joinpath("reader.html.j2").read_text("utf-8")
    )
    html = template.render(
        language=script.language,
        series=script.series,
        number=script.number,
        title=script.title,
        pages=[_data_uri(p) for p in pages],
    )
    with atomic_path(target) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return target
