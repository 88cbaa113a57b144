"""English editions end to end: translate a written issue or a read volume, re-letter it, and deliver
pages, CBZ (ComicInfo `LanguageISO` = en), PDF and the one-file HTML reader, plus `translation.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from tools.atomic import write_text_atomic
from tools.comic_script import IssueScript
from tools.errors import InputFileError
from tools.render.comic_files import write_cbz, write_pdf, write_reader
from tools.translate.context import TranslationUnit, catalogue_units, script_units
from tools.translate.reletter import (
    PAGE_HEIGHT_CM,
    LetteredBalloon,
    page_dpi,
    reletter_page,
    reports_json,
    save_page,
    translated_script,
)
from tools.translate.translator import Translation, Translator

PAGE_NAME = "page_{:03d}.png"


@dataclass
class Edition:
    """What an English edition run produced."""

    out_dir: Path
    pages: list[Path]
    cbz: Path
    pdf: Path
    html: Path
    translations: list[Translation]
    balloons: list[LetteredBalloon] = field(default_factory=list)

    @property
    def overflow(self) -> int:
        return sum(b.overflow for b in self.balloons)

    @property
    def problems(self) -> list[Translation]:
        return [t for t in self.translations if not t.ok]


def translate_issue(
    script: IssueScript, out_dir: Path, translator: Translator, *, progress: Any = None, **render_options: Any
) -> Edition:
    """Translate every balloon, the title and the storyline; render the plan again with English lettering."""
    from tools.render import render_issue

    units = script_units(script)
    extra = [
        TranslationUnit("title", script.title, "caption"),
        TranslationUnit("storyline", script.storyline, "caption"),
    ]
    done = translator.translate_all(units + [u for u in extra if u.source.strip()], progress)
    english = {t.unit.key: t.text for t in done}
    plan = translated_script(script, english, title=english.get("title"), storyline=english.get("storyline"))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "script.en.json", plan.model_dump_json(indent=1))
    result = render_issue(plan, out_dir, seed=script.seed, **render_options)
    cut = {f"{r.id}/b{n}" for r in result.panels for n, b in enumerate(r.balloons) if b.get("cut")}
    write_report(out_dir, done, [], cut=sorted(cut))
    return Edition(out_dir, result.pages, result.cbz, result.pdf, result.html, done)


def translate_volume(
    catalogue: Any,
    volume: str,
    out_dir: Path,
    translator: Translator,
    *,
    series: str = "Tex",
    progress: Any = None,
    page_height_cm: float = PAGE_HEIGHT_CM,
) -> Edition:
    """Translate a read volume's transcribed balloons and re-letter its pages (art kept, lettering replaced)."""
    units = catalogue_units(catalogue, volume)
    if not units:
        raise InputFileError(volume, "no transcribed balloons: run `nuvola transcribe` on the volume first")
    done = translator.translate_all(units, progress)
    english = {t.unit.key: t.text for t in done}
    pages_dir = out_dir / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    pages, lettered = [], []
    dpi = 150
    for index, page in enumerate(catalogue.pages(volume), start=1):
        balloons = [
            (b.id, b.box, b.kind, english[b.id]) for b in catalogue.balloons(page.id) if b.id in english
        ]
        with Image.open(catalogue.image_file(page)) as image:
            sheet, reports = reletter_page(image, balloons, page_height_cm)
        dpi = page_dpi(sheet.height, page_height_cm)
        pages.append(save_page(sheet, pages_dir / PAGE_NAME.format(index)))
        lettered += reports
    plan = IssueScript.model_validate(
        {
            "series": series,
            "number": 1,
            "title": f"{volume} (English)",
            "language": "en",
            "writer": "Nuvola",
            "storyline": f"English edition of the read volume {volume}, translated by Nuvola.",
        }
    )
    edition = Edition(
        out_dir,
        pages,
        write_cbz(pages, plan, out_dir / "issue.cbz", colour=True, artist="scan"),
        write_pdf(pages, out_dir / "issue.pdf", dpi),
        write_reader(pages, plan, out_dir / "index.html"),
        done,
        lettered,
    )
    write_report(out_dir, done, lettered)
    return edition


def write_report(
    out_dir: Path, done: list[Translation], lettered: list[LetteredBalloon], cut: list[str] | None = None
) -> Path:
    """`translation.json`: every balloon's Italian, English, origin, problems and lettering."""
    letters = {b.key: b for b in lettered}
    rows = []
    for t in done:
        row: dict[str, Any] = {
            "key": t.unit.key,
            "italian": t.unit.source,
            "english": t.text,
            "origin": t.origin,
            "attempts": t.attempts,
            "problems": t.problems,
        }
        if t.unit.key in letters:
            row["lettering"] = reports_json([letters[t.unit.key]])[0]
        rows.append(row)
    summary = {
        "balloons": len(done),
        "problems": sum(not t.ok for t in done),
        "overflow": sum(b.overflow for b in lettered),
        "undersize": sum(b.undersize for b in lettered),
        "cut_by_renderer": cut or [],
    }
    target = out_dir / "translation.json"
    write_text_atomic(
        target, json.dumps({"summary": summary, "balloons": rows}, ensure_ascii=False, indent=1)
    )
    return target
