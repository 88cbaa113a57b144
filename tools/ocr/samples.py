"""Lettered balloon crops drawn with PIL: known-answer inputs for OCR tests and speed benchmarks.

Full synthetic pages with speakers come from `tools/synth` (the ingest side); this draws single balloons only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tools.errors import InputFileError

FONT_DIRS = (Path("/usr/share/fonts/opentype/comic-neue"), Path("/usr/share/fonts/truetype/dejavu"))
LETTERING_FONTS = ("ComicNeue-Bold.otf", "ComicNeue-Regular.otf", "DejaVuSans-Bold.ttf")


@dataclass(frozen=True)
class BalloonSample:
    """A drawn balloon crop and the lines lettered in it."""

    image: Image.Image
    lines: tuple[str, ...]
    font: str
    size: int


@lru_cache(maxsize=32)
def lettering_font(name: str = "ComicNeue-Bold.otf", size: int = 28) -> ImageFont.FreeTypeFont:
    """A lettering font by file name from the system font folders."""
    for folder in FONT_DIRS:
        path = folder / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    raise InputFileError(
        name, "font not found; install the Debian packages fonts-comic-neue and fonts-dejavu"
    )


def draw_balloon(
    lines: list[str] | tuple[str, ...],
    *,
    font: str = "ComicNeue-Bold.otf",
    size: int = 28,
    shape: str = "ellipse",
    degrade: float = 0.0,
    seed: int = 0,
) -> BalloonSample:
    """Letter `lines` centred in an outlined ellipse (speech) or rectangle (caption) on a white crop."""
    face = lettering_font(font, size)
    widths = [int(face.getlength(line)) for line in lines]
    leading = int(size * 1.15)
    text_w, text_h = max(widths), leading * len(lines)
    pad_x, pad_y = (
        (int(text_w * 0.25) + size, int(text_h * 0.35) + size) if shape == "ellipse" else (size, size // 2)
    )
    width, height = text_w + 2 * pad_x, text_h + 2 * pad_y
    image = Image.new("L", (width + 8, height + 8), 255)
    draw = ImageDraw.Draw(image)
    box = (4, 4, width + 3, height + 3)
    (draw.ellipse if shape == "ellipse" else draw.rectangle)(
        box, outline=0, width=max(2, size // 10), fill=255
    )
    y = pad_y + 4
    for line, line_w in zip(lines, widths, strict=True):
        draw.text((4 + (width - line_w) // 2, y), line, font=face, fill=0)
        y += leading
    if degrade:
        image = degrade_image(image, degrade, seed)
    return BalloonSample(image=image.convert("RGB"), lines=tuple(lines), font=font, size=size)


def degrade_image(image: Image.Image, amount: float, seed: int = 0) -> Image.Image:
    """Scan-like damage: blur, a slight rotation, JPEG-free speckle noise; `amount` in [0, 1]."""
    rng = random.Random(seed)
    out = image.filter(ImageFilter.GaussianBlur(radius=0.3 + 0.5 * amount))
    out = out.rotate(rng.uniform(-1.5, 1.5) * amount, fillcolor=255, resample=Image.Resampling.BICUBIC)
    pixels = out.load()
    assert pixels is not None  # a loaded "L" image always has pixel access
    for _ in range(int(out.width * out.height * 0.001 * amount)):
        x, y = rng.randrange(out.width), rng.randrange(out.height)
        pixels[x, y] = rng.choice((0, 255))
    return out
