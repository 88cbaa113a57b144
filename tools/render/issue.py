"""From plan to comic: draw each panel, colour it, letter it, compose the pages, write the comic files.

result = render_issue(script, "out/issue-1", artist="storyboard", color=True, dpi=150)
result.cbz, result.pdf, result.html, result.pages
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from tools.atomic import write_text_atomic
from tools.comic_script import IssueScript, PagePlan, PanelSpec
from tools.errors import NuvolaError
from tools.render.art import ArtContext, Artist, CharacterSheet, PanelArt, PanelsLike
from tools.render.artists import get_artist
from tools.render.beats import BeatParser
from tools.render.colorist import Colorist, get_colorist
from tools.render.comic_files import write_cbz, write_pdf, write_reader
from tools.render.fonts import notes_font
from tools.render.layout import BORDER_MM, PanelSlot, layout_page, mm_to_px, page_size
from tools.render.letterer import Letterer, LetterStyle, PlacedBalloon, Shorten
from tools.render.palette import CAPTION_FILL, SFX_FILL, PaletteBook
from tools.render.user_art import user_panel_art
from tools.series.profile import canonical_name, load_series_profile

log = logging.getLogger(__name__)
PAGE_NAME = "page_{:03d}.png"


class RenderError(NuvolaError):
    """The plan cannot be rendered (empty, or a panel that cannot be drawn or lettered)."""


@dataclass
class PanelReport:
    """What became of one panel: where it sits, who drew it, where its balloons went."""

    id: str
    page: int
    box: tuple[int, int, int, int]
    source: str
    balloons: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)  # what the artist drew: figures, poses, props, light


@dataclass
class RenderResult:
    """The files of a rendered issue (contract 5), plus a report per panel."""

    pages: list[Path]
    cbz: Path
    pdf: Path
    html: Path
    panels: list[PanelReport] = field(default_factory=list)


@dataclass
class RenderedPanel:
    """One finished panel: its art, the final image (coloured or not, lettered) and its balloons."""

    art: PanelArt
    image: Image.Image
    balloons: list[PlacedBalloon]


@dataclass
class PanelRenderer:
    """Draws, colours and letters single panels with one artist, colorist and letterer."""

    artist: Artist
    context: ArtContext
    letterer: Letterer
    colorist: Colorist | None = None
    book: PaletteBook = field(default_factory=PaletteBook)
    fallback: Artist | None = None

    def render(self, panel: PanelSpec, size: tuple[int, int]) -> RenderedPanel:
        art = self._draw(panel, size)
        if not art.plan:  # art that does not stage the beat itself (remix, diffusers, user art): the staging
            from tools.render.storyboard import stage_for

            art.plan = stage_for(panel, self.context).plan()
        if self.colorist is not None:
            image = self.colorist.colorize(art, panel, self.book)
        else:
            image = art.image.convert("RGB")
        balloons = self.letterer.letter(image, panel, art.figures, art.free_boxes, art.label_boxes)
        return RenderedPanel(art=art, image=image, balloons=balloons)

    def _draw(self, panel: PanelSpec, size: tuple[int, int]) -> PanelArt:
        """The artist's drawing; when it fails on this panel, the storyboard's, with the reason recorded."""
        if (
            panel.art_path and self.artist.name != "diffusers"
        ):  # the diffusers artist follows it as its sketch
            return user_panel_art(panel, size, self.context)
        try:
            art = self.artist.draw(panel, size, self.context)
        except (NuvolaError, OSError, ValueError) as exc:
            if self.fallback is None:
                raise RenderError(f"panel {panel.id}: the {self.artist.name} artist failed: {exc}") from exc
            log.warning(
                "panel %s: %s artist failed (%s); drawing a storyboard", panel.id, self.artist.name, exc
            )
            art = self.fallback.draw(panel, size, self.context)
            art.source = f"storyboard (fallback: {exc})"
        if art.image.size != size:
            raise RenderError(
                f"panel {panel.id}: the {self.artist.name} artist drew {art.image.size}, not {size}"
            )
        return art


def _page_number(draw: ImageDraw.ImageDraw, page: PagePlan, size: tuple[int, int], dpi: int) -> None:
    font = notes_font(max(9, mm_to_px(2.6, dpi)))
    draw.text(
        (size[0] / 2, size[1] - mm_to_px(6.5, dpi)), str(page.number), font=font, fill=(0, 0, 0), anchor="mm"
    )


def compose_page(page: PagePlan, renderer: PanelRenderer, dpi: int) -> tuple[Image.Image, list[PanelReport]]:
    """One page: every panel rendered into its box, framed, and the page number at the foot."""
    size = page_size(dpi)
    sheet = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    border = max(1, mm_to_px(BORDER_MM, dpi))
    reports = []
    for slot in layout_page(page, dpi):
        rendered = renderer.render(slot.panel, slot.box.size)
        sheet.paste(rendered.image, (slot.box.x, slot.box.y))
        draw.rectangle(
            (slot.box.x, slot.box.y, slot.box.right - 1, slot.box.bottom - 1), outline=(0, 0, 0), width=border
        )
        reports.append(_report(page, slot, rendered, renderer))
    _page_number(draw, page, size, dpi)
    return sheet, reports


def _report(page: PagePlan, slot: PanelSlot, rendered: RenderedPanel, renderer: PanelRenderer) -> PanelReport:
    style = renderer.letterer.style
    balloons = [
        {
            "kind": b.kind,
            "speaker": b.balloon.speaker,
            "box": list(b.box.as_tuple()),
            "font_px": b.shape.block.size,
            "glyph_mm": round(style.glyph_mm(b.shape.block.size), 2),
            "lines": list(b.shape.block.lines),
            "tail": [round(v) for v in b.tail[2]] if len(b.tail) > 2 else None,
            "faces_covered": [f.name for f in rendered.art.figures if _covers_face(b, f)],
            **({"cut": b.cut} if b.cut else {}),
        }
        for b in rendered.balloons
    ]
    return PanelReport(
        id=slot.panel.id,
        page=page.number,
        box=slot.box.as_tuple(),
        source=rendered.art.source,
        balloons=balloons,
        plan=rendered.art.plan,
    )


def _covers_face(balloon: PlacedBalloon, figure: Any) -> bool:
    """Whether a balloon's box overlaps a figure's face (or its head, for art that gives no face)."""
    from tools.render.layout import Box

    face = figure.face or figure.head
    return bool(face[2] and face[3] and balloon.box.intersection(Box(*face)) > 0)


def make_renderer(
    script: IssueScript,
    *,
    color: bool,
    artist: str | Artist,
    dpi: int,
    seed: int,
    catalogue: Any,
    profile: Any,
    bonelli_accents: bool,
    shorten: Shorten | None = None,
    beat_model: Any = None,
    panels_like: PanelsLike | None = None,
    character_sheet: CharacterSheet | None = None,
) -> PanelRenderer:
    profile = load_series_profile(script.series) if profile is None else profile
    chosen = get_artist(artist) if isinstance(artist, str) else artist
    context = ArtContext(
        issue=script,
        seed=seed,
        profile=profile,
        catalogue=catalogue,
        panels_like=panels_like,
        character_sheet=character_sheet,
        beats=BeatParser(profile=profile, model=beat_model),
    )
    prepare = getattr(chosen, "prepare", None)
    if prepare is not None:
        prepare(context)
    style = LetterStyle(
        dpi=dpi,
        bonelli_accents=bonelli_accents,
        caption_fill=CAPTION_FILL if color else (255, 255, 255),
        sfx_fill=SFX_FILL if color else (255, 255, 255),
    )
    return PanelRenderer(
        artist=chosen,
        context=context,
        letterer=Letterer(style, resolve=lambda name: canonical_name(name, profile), shorten=shorten),
        colorist=get_colorist("palette") if color else None,
        book=PaletteBook(profile),
        fallback=None if chosen.name == "storyboard" else get_artist("storyboard"),
    )


def render_issue(
    script: IssueScript,
    out_dir: Path | str,
    *,
    color: bool = True,
    artist: str | Artist = "storyboard",
    dpi: int = 150,
    seed: int = 0,
    catalogue: Any = None,
    profile: Any = None,
    bonelli_accents: bool = False,
    shorten: Shorten | None = None,
    beat_model: Any = None,
    panels_like: PanelsLike | None = None,
    character_sheet: CharacterSheet | None = None,
) -> RenderResult:
    """Render `script` into `out_dir`: pages/*.png, issue.cbz, issue.pdf, index.html and render.json.

    `shorten(balloon, max_chars) -> str | None` is the writer's hook for text too long for its panel (without
    it, or when it declines, the text is cut at a sentence boundary; render.json reports every cut).
    `beat_model` is an optional completion model the beat parser asks about beats its rules cannot read.
    `panels_like` and `character_sheet` are the memory's lookups (memory.retrieval.art_lookups(store))."""
    if not script.pages:
        raise RenderError(f"issue {script.number} ({script.title!r}) has no pages to render")
    if not 50 <= dpi <= 1200:
        raise RenderError(f"dpi must be between 50 and 1200, got {dpi}")
    out = Path(out_dir)
    renderer = make_renderer(
        script,
        color=color,
        artist=artist,
        dpi=dpi,
        seed=seed,
        catalogue=catalogue,
        profile=profile,
        bonelli_accents=bonelli_accents,
        shorten=shorten,
        beat_model=beat_model,
        panels_like=panels_like,
        character_sheet=character_sheet,
    )
    reports: list[PanelReport] = []
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pages-", dir=out))
    staging.chmod(0o755)
    try:
        for index, page in enumerate(script.pages, start=1):
            sheet, page_reports = compose_page(page, renderer, dpi)
            sheet.save(staging / PAGE_NAME.format(index), "PNG", dpi=(dpi, dpi), optimize=False)
            reports.extend(page_reports)
        _swap_in(staging, out / "pages")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pages = [out / "pages" / PAGE_NAME.format(i) for i in range(1, len(script.pages) + 1)]
    name = renderer.artist.name
    result = RenderResult(
        pages=pages,
        cbz=write_cbz(pages, script, out / "issue.cbz", colour=color, artist=name),
        pdf=write_pdf(pages, out / "issue.pdf", dpi),
        html=write_reader(pages, script, out / "index.html"),
        panels=reports,
    )
    _write_manifest(out / "render.json", script, result, color=color, artist=name, dpi=dpi, seed=seed)
    return result


def _swap_in(staging: Path, pages: Path) -> None:
    """Replace the pages folder by the freshly rendered one in two renames: readers never see a mix."""
    old = pages.with_name(f".pages-old-{staging.name}")
    if pages.exists():
        pages.rename(old)
    staging.rename(pages)
    shutil.rmtree(old, ignore_errors=True)


def _write_manifest(target: Path, script: IssueScript, result: RenderResult, **options: Any) -> None:
    manifest = {
        "series": script.series,
        "number": script.number,
        "title": script.title,
        **options,
        "pages": [p.name for p in result.pages],
        "files": {"cbz": result.cbz.name, "pdf": result.pdf.name, "html": result.html.name},
        "panels": [asdict(r) for r in result.panels],
    }
    write_text_atomic(target, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
