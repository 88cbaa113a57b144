"""Tex-like panels: black-and-white scans of one hatched panel holding three uppercase lettered balloons.

    truth_path = write_tex_like(out_dir, panels=6, seed=0, dpi=200, accents="real")
    load_generated(truth_path)  # evals/real_pages.py: a PageSet for evals/read.py

What the product is for (a Tex Willer panel: scanned, pen-and-ink art dense with hatching and solid
blacks, balloons lettered in capitals with accented capitals) drawn by our own hands: the art is ruled
and cross-hatched strokes and solid black shapes that run up to the balloons' outlines; three balloons
are placed and lettered by the product's letterer (tools/render/letterer.py, Comic Neue capitals 2.2-2.6
mm tall at `dpi`), with real accented capitals (`accents="real"`: È, PERCHÉ) or the Bonelli typewriter
habit (`"bonelli"`: E', PERCHE'); then the page is scanned: greyish paper, a slight turn (0.5-1.5
degrees), softness, noise, JPEG. Texts come from `evals/data/tex_like_lines.txt`. The truth is the
`nuvola synth` truth.json format (balloon body boxes with their outline, lettered lines, normalised text),
so `nuvola eval read --gt DIR` reads it. Figures on these panels are generated, never accuracy.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from tools.atomic import write_bytes_atomic, write_text_atomic
from tools.comic_script import Balloon, PanelSpec
from tools.render.layout import mm_to_px
from tools.render.letterer import Letterer, LetterStyle, PlacedBalloon
from tools.render.lettering import LetteringError, prepare_text

LINES_FILE = Path(__file__).resolve().parent / "data" / "tex_like_lines.txt"
ACCENTS = ("real", "bonelli")
PANEL_MM = (150, 62)  # a full-tier Bonelli panel, width x height
MARGIN_MM = 6  # paper round the frame on the scan


def balloon_texts(path: Path = LINES_FILE) -> list[str]:
    """The balloon texts of the bank (comment lines and blank lines skipped)."""
    rows = path.read_text(encoding="utf-8").splitlines()
    return [row.strip() for row in rows if row.strip() and not row.startswith("#")]


def _cross_hatched(size: tuple[int, int], step: int, pen: int) -> Image.Image:
    """A block of crossed diagonal strokes (rocks, walls, shadows)."""
    w, h = size
    block = Image.new("L", size, 255)
    draw = ImageDraw.Draw(block)
    for x in range(-h, w, step):
        draw.line([(x, h), (x + h, 0)], fill=0, width=pen)
        draw.line([(x, 0), (x + h, h)], fill=0, width=pen)
    return block


def _hatched_art(size: tuple[int, int], rng: np.random.Generator, dpi: int) -> Image.Image:
    """Pen-and-ink art filling the panel: ruled sky lines, cross-hatched blocks, solid black shapes and
    loose strokes, everywhere (balloons go on top, so the hatching runs up to their outlines)."""
    w, h = size
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    pen = max(1, round(dpi / 150))
    step = max(3, round(dpi / 40))
    for y in range(0, h, step):  # ruled sky over the whole panel, as in Bonelli skies
        draw.line([(0, y), (w, y + int(rng.integers(-2, 3)))], fill=0, width=pen)
    for _ in range(int(rng.integers(4, 8))):  # cross-hatched blocks
        bw, bh = int(rng.integers(w // 10, w // 3)), int(rng.integers(h // 6, h // 2))
        x0, y0 = int(rng.integers(0, w - bw)), int(rng.integers(h // 4, h - bh))
        region = image.crop((x0, y0, x0 + bw, y0 + bh))
        hatched = np.minimum(np.asarray(region), np.asarray(_cross_hatched((bw, bh), step, pen)))
        image.paste(Image.fromarray(hatched), (x0, y0))
    for _ in range(int(rng.integers(2, 4))):  # solid blacks
        cx, cy = int(rng.integers(0, w)), int(rng.integers(h // 3, h))
        rx, ry = int(rng.integers(w // 20, w // 8)), int(rng.integers(h // 8, h // 3))
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=0)
    for _ in range(40):  # loose strokes: grass, folds, cracks
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        end = (x + int(rng.integers(-30, 31)), y + int(rng.integers(-30, 31)))
        draw.line([(x, y), end], fill=0, width=pen)
    return image


def _letter(art: Image.Image, texts: list[str], dpi: int, accents: str) -> list[PlacedBalloon]:
    """Three speech balloons placed and lettered on the art by the product's letterer."""
    style = LetterStyle(dpi=dpi, bonelli_accents=accents == "bonelli")
    panel = PanelSpec(id="p1-t1-1", balloons=[Balloon(kind="speech", speaker="Tex", text=t) for t in texts])
    rgb = art.convert("RGB")
    placed = Letterer(style).letter(rgb, panel, [])
    art.paste(rgb.convert("L"))
    return placed


def _scan(page: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, np.ndarray]:
    """The page as a scan: greyish paper, a slight turn, softness, noise, JPEG; and the turn (2 x 3)."""
    gray = np.asarray(page, dtype=np.float32)
    gray = 28 + gray * (float(rng.uniform(205, 232)) - 28) / 255  # ink is never pure black, paper not white
    angle = float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.5))
    turn = cv2.getRotationMatrix2D((page.width / 2, page.height / 2), angle, 1.0)
    paper = float(gray.max())
    gray = cv2.warpAffine(gray, turn, page.size, flags=cv2.INTER_LINEAR, borderValue=paper)
    gray = cv2.GaussianBlur(gray, (3, 3), float(rng.uniform(0.4, 0.9)))
    gray += rng.normal(0, 5, gray.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=int(rng.integers(45, 75))
    )
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L"), turn


def _turned(box: list[float], turn: np.ndarray) -> list[int]:
    from evals.read_variants import map_box

    return [int(v) for v in map_box(box, turn)]


def _truth(item: PlacedBalloon, offset: int, turn: np.ndarray, dpi: int) -> dict:
    """One balloon's truth: its body box with the outline, the lines as lettered, the normalised text."""
    border = max(1, round(item.shape.block.size * 0.09)) + 1
    box = [
        item.box.x + offset - border,
        item.box.y + offset - border,
        item.box.w + 2 * border,
        item.box.h + 2 * border,
    ]
    text = " ".join(prepare_text(item.balloon.text).split())
    return {"bbox": _turned(box, turn), "kind": "speech", "lines": list(item.shape.block.lines), "text": text}


def draw_tex_like(
    texts: list[str], rng: np.random.Generator, dpi: int, accents: str
) -> tuple[Image.Image, list[int], list[dict]]:
    """One scanned panel: the page image, the panel's box and its balloons' truth."""
    w, h = (mm_to_px(v, dpi) for v in PANEL_MM)
    margin = mm_to_px(MARGIN_MM, dpi)
    art = _hatched_art((w, h), rng, dpi)
    placed = _letter(art, texts, dpi, accents)
    page = Image.new("L", (w + 2 * margin, h + 2 * margin), 255)
    page.paste(art, (margin, margin))
    frame = max(2, round(dpi / 80))
    ImageDraw.Draw(page).rectangle([margin, margin, margin + w - 1, margin + h - 1], outline=0, width=frame)
    scan, turn = _scan(page, rng)
    truth = [_truth(item, margin, turn, dpi) for item in placed]
    return scan, _turned([margin, margin, w, h], turn), truth


def write_tex_like(
    out_dir: Path | str, panels: int = 6, seed: int = 0, dpi: int = 200, accents: str = "real"
) -> Path:
    """`panels` scanned Tex-like panels and their truth.json under `out_dir`; returns the truth file."""
    if accents not in ACCENTS:
        raise ValueError(f"accents must be one of {', '.join(ACCENTS)}, not {accents!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    bank = balloon_texts()
    truth: dict = {
        "pages": {},
        "balloons": {},
        "page_types": {},
        "meta": {"seed": seed, "dpi": dpi, "accents": accents},
    }
    for n in range(1, panels + 1):
        for _ in range(20):  # texts that do not fit this panel are drawn again
            texts = [bank[i] for i in rng.choice(len(bank), 3, replace=False)]
            try:
                image, panel, balloons = draw_tex_like(texts, rng, dpi, accents)
                break
            except LetteringError:
                continue
        else:
            raise LetteringError(f"no three balloons of the bank fit a {PANEL_MM} mm panel at {dpi} dpi")
        name = f"panel_{n:03d}.png"
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        write_bytes_atomic(out / name, buffer.getvalue())
        truth["pages"][name] = [panel]
        truth["balloons"][name] = balloons
        truth["page_types"][name] = f"tex-like-{dpi}dpi-{accents}"
    path = out / "truth.json"
    write_text_atomic(path, json.dumps(truth, ensure_ascii=False, indent=1) + "\n")
    return path
