"""OCR benchmark on generated balloons: CER per engine on the dev split and the frozen split, side by side.

    .venv/bin/python benchmarks/ocr.py [--quick] [--limit N] [--no-clean] [--home DIR]

- dev: the default `generated` set (tools/ocr/valset.py: pages of the page generator's story bank in Comic
  Neue, plus story-bank lines in DejaVu/Comic Neue). The ensemble and cleaner were tuned on its misreads.
- frozen: `generated-frozen`, built here from evals/data/ocr_frozen_text.yaml (a story the code never saw)
  lettered in fonts the code never uses (Humor Sans, DKG handwriting, Breip: Debian
  fonts-humor-sans, fonts-dkg-handwriting, fonts-breip) by a jittered "hand" (each glyph's baseline,
  size and spacing drawn at random). Never tune on it.
Real lettering (Pepper&Carrot pages) is measured by `nuvola eval ocr` (docs/ocr.md).

CER is summed over balloons with a 95 % bootstrap interval over balloons. Speed is Tesseract balloons per
CPU-second of this process (OMP_THREAD_LIMIT=1); wall-clock rate beside it. Sets are cached under --home
(default out/bench-cache/ocr-home).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core: Tesseract would otherwise use OpenMP threads
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

SPEED_TARGET = 10.0  # balloons/s per core, Tesseract path
CER_TARGET = 0.02
DEV_SET, FROZEN_SET = "generated", "generated-frozen"
FROZEN_TEXT = REPO / "evals" / "data" / "ocr_frozen_text.yaml"
FROZEN_FONTS = (
    ("/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf", "fonts-humor-sans", 24),
    ("/usr/share/fonts/truetype/fifthhorseman/dkg.ttf", "fonts-dkg-handwriting", 28),
    ("/usr/share/fonts/truetype/breip/Breip.ttf", "fonts-breip", 30),
)


# ---- the frozen generated set --------------------------------------------------------------------------


Glyph = tuple[str, Any, float, float]  # character, face, baseline shift, advance


def hand_glyphs(lines: list[str], font_path: str, size: int, rng: random.Random) -> list[list[Glyph]]:
    """Each character with its own face size (+-8 %), baseline shift (+-7 %) and advance (-3..+8 %): a hand."""
    from PIL import ImageFont

    faces = {s: ImageFont.truetype(font_path, s) for s in range(round(size * 0.92), round(size * 1.08) + 1)}
    rows = []
    for line in lines:
        row = []
        for ch in line:
            face = faces[rng.choice(list(faces))]
            row.append(
                (ch, face, rng.uniform(-0.07, 0.07) * size, face.getlength(ch) * rng.uniform(0.97, 1.08))
            )
        rows.append(row)
    return rows


def draw_frozen_balloon(text: str, kind: str, font_path: str, size: int, seed: int):
    """A balloon (ellipse) or caption (box) with `text` hand-lettered in capitals; returns (image, lines)."""
    from PIL import Image, ImageDraw, ImageFont

    from tools.ocr.samples import degrade_image
    from tools.synth.lettering import bonelli_caps, letter_block

    rng = random.Random(seed)
    block = letter_block(bonelli_caps(text), ImageFont.truetype(font_path, size), size * 13)
    rows = hand_glyphs(list(block.lines), font_path, size, rng)
    widths = [sum(g[3] for g in row) for row in rows]
    leading = round(size * 1.25)
    ellipse = kind != "caption"
    pad_x = round(max(widths) * 0.22) + size if ellipse else size
    pad_y = round(leading * len(rows) * 0.3) + size if ellipse else size // 2
    width, height = round(max(widths)) + 2 * pad_x, leading * len(rows) + 2 * pad_y
    image = Image.new("L", (width + 8, height + 8), 255)
    draw = ImageDraw.Draw(image)
    box = (4, 4, width + 3, height + 3)
    (draw.ellipse if ellipse else draw.rectangle)(box, outline=0, width=max(2, size // 10), fill=255)
    y = pad_y + 4
    for row, row_w in zip(rows, widths, strict=True):
        x = 4 + (width - row_w) / 2
        for ch, face, dy, advance in row:
            draw.text((x, y + dy), ch, font=face, fill=0)
            x += advance
        y += leading
    amount = rng.choice((0.0, 0.3, 0.6))
    if amount:
        image = degrade_image(image, amount, seed)
    return image.convert("RGB"), list(block.lines)


def missing_fonts() -> list[str]:
    return [package for path, package, _ in FROZEN_FONTS if not Path(path).is_file()]


def ensure_frozen_set(settings: Any) -> Path:
    """The frozen set's folder under the data home, built on first use (when its fonts are installed)."""
    from tools.ocr.valset import SET_FILE, sets_dir

    root = sets_dir(settings) / FROZEN_SET
    if missing_fonts():
        print(f"frozen split skipped: install the Debian packages {' '.join(missing_fonts())}")
    elif not (root / SET_FILE).is_file():
        build_frozen_set(root)
    return root


def build_frozen_set(root: Path) -> None:
    """Letter every frozen balloon once in each frozen font into `root` (set.jsonl + crops/)."""
    from tools.atomic import atomic_path
    from tools.ocr.valset import OcrSample, write_set
    from tools.synth.lettering import normalised_text

    balloons = yaml.safe_load(FROZEN_TEXT.read_text("utf-8"))["balloons"]
    samples = []
    for f, (font_path, _, size) in enumerate(FROZEN_FONTS):
        for n, balloon in enumerate(balloons):
            sample_id = f"frozen-f{f}-{n:02d}"
            image, lines = draw_frozen_balloon(
                balloon["text"], balloon["kind"], font_path, size, 1000 * f + n
            )
            with atomic_path(root / "crops" / f"{sample_id}.png") as tmp:
                image.save(tmp, format="PNG")
            meta = {"source": "frozen", "font": Path(font_path).name, "size": size}
            text = normalised_text(balloon["text"])
            samples.append(OcrSample(sample_id, f"crops/{sample_id}.png", text, lines, balloon["kind"], meta))
    # interleave fonts so that --limit keeps all three
    samples.sort(key=lambda s: (int(s.id.split("-")[2]), s.id))
    write_set(root, samples)


# ---- scoring -------------------------------------------------------------------------------------------


@dataclass
class SplitScores:
    """Per-balloon (edits, chars) for each engine, and the run's seconds."""

    per_engine: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    fonts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def by_font(self, name: str) -> dict[str, float]:
        """CER of engine `name` per lettering font of the samples."""
        totals: dict[str, list[float]] = {}
        for font, (edits, chars) in zip(self.fonts, self.per_engine.get(name, []), strict=False):
            total = totals.setdefault(font, [0.0, 0.0])
            total[0], total[1] = total[0] + edits, total[1] + chars
        return {font: edits / max(chars, 1) for font, (edits, chars) in totals.items()}

    def cer(self, name: str, n: int = 2000, seed: int = 0) -> tuple[float, float, float, int]:
        """CER summed over balloons, with its 95 % bootstrap interval over balloons."""
        rows = np.asarray(self.per_engine.get(name, []), dtype=float)
        if not len(rows):
            return (float("nan"),) * 3 + (0,)  # type: ignore[return-value]
        idx = np.random.default_rng(seed).integers(0, len(rows), size=(n, len(rows)))
        boot = rows[idx, 0].sum(axis=1) / np.maximum(rows[idx, 1].sum(axis=1), 1)
        return rows[:, 0].sum() / rows[:, 1].sum(), *np.percentile(boot, [2.5, 97.5]), len(rows)


@dataclass
class OneSample:
    """A set of one sample, so the eval's own scorer gives per-balloon figures."""

    root: Path
    samples: list[Any]
    name: str = "one"


def score_split(settings: Any, set_name: str, clean: bool, limit: int | None) -> SplitScores:
    """Run the eval's engine ensemble (and cleaner) balloon by balloon on a stored set."""
    from evals.ocr import ensemble_members, score_set
    from tools.ocr.cleaner import configured_cleaner
    from tools.ocr.registry import get_ocr_engine
    from tools.ocr.valset import load_set

    ocr_set = load_set(settings, set_name)
    engine = get_ocr_engine(ensemble_members(settings, None), settings)
    cleaner = configured_cleaner(settings) if clean else None
    out, start = SplitScores(), time.perf_counter()
    for sample in ocr_set.samples[:limit] if limit else ocr_set.samples:
        scores, _ = score_set(OneSample(ocr_set.root, [sample]), engine, cleaner)
        out.fonts.append(str(sample.meta.get("font") or sample.meta.get("source") or "?"))
        for name, score in scores.items():
            m = score.normalised
            out.per_engine.setdefault(name, []).append((m.cer * m.chars, m.chars))
    out.seconds = time.perf_counter() - start
    return out


def tesseract_speed(settings: Any, set_name: str, count: int) -> tuple[float, float, int]:
    """(balloons per CPU-second, balloons per wall-second, balloons) for the `tesseract` engine."""
    from tools.ocr.registry import get_ocr_engine
    from tools.ocr.valset import load_set

    ocr_set = load_set(settings, set_name)
    engine = get_ocr_engine("tesseract", settings)
    images = [(s, s.image(ocr_set.root)) for s in ocr_set.samples[:count]]
    engine.read(images[0][1])  # load the model outside the clock
    cpu, wall = time.process_time(), time.perf_counter()
    for sample, image in images:
        engine.read(image, sample.kind)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return len(images) / cpu, len(images) / wall, len(images)


def fmt(cer: tuple[float, float, float, int]) -> str:
    value, low, high, n = cer
    return "n/a" if n == 0 else f"{value:.2%} [{low:.2%}, {high:.2%}] n={n}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="24 balloons a split, no cleaner (make bench)")
    parser.add_argument("--limit", type=int, default=None, help="balloons per split")
    parser.add_argument("--no-clean", action="store_true")
    parser.add_argument("--home", type=Path, default=REPO / "out" / "bench-cache" / "ocr-home")
    args = parser.parse_args()
    if args.quick:
        args.limit, args.no_clean = args.limit or 24, True

    from tools.ocr.valset import SET_FILE
    from tools.settings import load_settings

    settings = load_settings(home=args.home)
    frozen_root = ensure_frozen_set(settings)
    per_cpu, per_wall, count = tesseract_speed(settings, DEV_SET, 30 if args.quick else 60)
    splits = {"dev": score_split(settings, DEV_SET, not args.no_clean, args.limit)}
    if (frozen_root / SET_FILE).is_file():
        splits["frozen"] = score_split(settings, FROZEN_SET, not args.no_clean, args.limit)
    engines = list(splits["dev"].per_engine)
    head = ["engine", "dev: generated (tuned on)", "frozen: generated-frozen (other text, fonts, hands)"]
    rows = [[name, *(fmt(s.cer(name)) for s in splits.values())] for name in engines]
    final = "ensemble+cleaning" if "ensemble+cleaning" in engines else "ensemble"
    rows.append(
        [
            f"{final} CER <= {CER_TARGET:.0%}?",
            *("yes" if s.cer(final)[0] <= CER_TARGET else "no" for s in splits.values()),
        ]
    )
    rows.append(["seconds for the split", *(f"{s.seconds:.0f}" for s in splits.values())])
    widths = [max(len(r[k]) for r in [head, *rows] if k < len(r)) for k in range(len(head))]
    print(
        f"\nOCR CER on generated balloons [95 % bootstrap interval over balloons]; cleaner {'off' if args.no_clean else 'on'}"
    )
    for r in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip())
    for split, scores in splits.items():
        cells = [
            f"{font} {cer:.2%} / {scores.by_font(engines[0])[font]:.2%}"
            for font, cer in sorted(scores.by_font("ensemble").items())
        ]
        print(f"{split} CER by font or source (ensemble / {engines[0]}): " + "; ".join(cells))
    print(
        f"\nTesseract {per_cpu:.1f} balloons per CPU-second (wall {per_wall:.1f}) on {count} dev balloons; "
        f"target >= {SPEED_TARGET:g}: {'yes' if per_cpu >= SPEED_TARGET else 'no'}"
    )


if __name__ == "__main__":
    main()
