"""OCR validation sets: balloon crops with their true text, stored under NUVOLA_HOME/ocr-sets/<name>/.

    set.jsonl   one record a line: {"id", "crop" (relative to the set folder), "text", "lines", "kind", "meta"}
    crops/      the balloon images

`generated` (the default) is built from `tools.synth` volumes (several sizes, clean and degraded) plus
balloons drawn in other fonts; `nuvola ocr-set import` adds sets a person corrected; the Pepper&Carrot
pages in ../shared give real lettering.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from tools.atomic import atomic_path, write_text_atomic
from tools.errors import InputFileError, NuvolaError
from tools.ocr.normalise import normalise_lettering
from tools.ocr.transcribe import crop_balloon
from tools.settings import Settings

SET_FILE = "set.jsonl"
DEFAULT_SET = "generated"
# (seed, degrade, page height): lettering 24 px at 1600, 18 px at 1200, 30 px at 2000.
GENERATED_VOLUMES = (
    (11, False, 1600),
    (12, True, 1600),
    (13, True, 1200),
    (14, False, 2000),
    (15, True, 2000),
)
EXTRA_FONTS = (("ComicNeue-Regular.otf", 22), ("DejaVuSans-Bold.ttf", 20), ("ComicNeue-Bold.otf", 16))


class UnknownOcrSetError(NuvolaError):
    """No validation set of that name under NUVOLA_HOME/ocr-sets."""


@dataclass
class OcrSample:
    """One balloon of a validation set: its crop, the lines as lettered (may be empty) and the true text."""

    id: str
    crop: str
    text: str
    lines: list[str] = field(default_factory=list)
    kind: str = "speech"
    meta: dict[str, Any] = field(default_factory=dict)

    def image(self, root: Path) -> Image.Image:
        path = root / self.crop
        try:
            with Image.open(path) as image:
                return image.convert("RGB")
        except (OSError, ValueError) as exc:
            raise InputFileError(path, f"cannot read the balloon crop ({exc})") from exc


@dataclass
class OcrSet:
    """A named validation set on disk."""

    name: str
    root: Path
    samples: list[OcrSample]

    def __iter__(self) -> Iterator[tuple[OcrSample, Image.Image]]:
        for sample in self.samples:
            yield sample, sample.image(self.root)


def sets_dir(settings: Settings) -> Path:
    return Path(settings.home) / "ocr-sets"


def available_sets(settings: Settings) -> list[str]:
    root = sets_dir(settings)
    return sorted(p.name for p in root.iterdir() if (p / SET_FILE).is_file()) if root.is_dir() else []


def write_set(root: Path, samples: Iterable[OcrSample]) -> Path:
    """Write set.jsonl atomically (crops must already be inside `root`)."""
    lines = [json.dumps(asdict(s), ensure_ascii=False) for s in samples]
    return write_text_atomic(root / SET_FILE, "\n".join(lines) + "\n")


def read_set(root: Path, name: str | None = None) -> OcrSet:
    path = root / SET_FILE
    samples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            samples.append(OcrSample(**json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise InputFileError(path, f"line {number} is not a validation record ({exc})") from exc
    return OcrSet(name or root.name, root, samples)


def load_set(settings: Settings, name: str | None = None) -> OcrSet:
    """A stored set by name; the default generated set is built on first use."""
    name = name or DEFAULT_SET
    root = sets_dir(settings) / name
    if not (root / SET_FILE).is_file():
        if name != DEFAULT_SET:
            known = ", ".join(available_sets(settings)) or "none"
            raise UnknownOcrSetError(f"no OCR set {name!r} in {sets_dir(settings)} (known: {known})")
        build_generated_set(root)
    return read_set(root, name)


# ---- the generated set ---------------------------------------------------------------------------


def _save_crop(root: Path, sample_id: str, image: Image.Image) -> str:
    relative = f"crops/{sample_id}.png"
    with atomic_path(root / relative) as tmp:
        image.save(tmp, format="PNG")
    return relative


def samples_from_truth(truth_path: Path, root: Path, prefix: str) -> list[OcrSample]:
    """Crop every balloon of a generated volume (contract 2 truth.json) into the set folder."""
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    samples = []
    for page_name, balloons in truth["balloons"].items():
        with Image.open(truth_path.parent / page_name) as opened:
            page = opened.convert("RGB")
            for n, balloon in enumerate(balloons):
                sample_id = f"{prefix}-{Path(page_name).stem}-b{n}"
                crop = _save_crop(root, sample_id, crop_balloon(page, balloon["bbox"], margin=2))
                meta = {
                    "source": prefix,
                    "speaker": balloon.get("speaker"),
                    "degrade": truth["meta"].get("degrade"),
                }
                samples.append(
                    OcrSample(sample_id, crop, balloon["text"], list(balloon["lines"]), balloon["kind"], meta)
                )
    return samples


def drawn_font_samples(root: Path, per_font: int = 12) -> list[OcrSample]:
    """Story-bank lines lettered in other fonts and sizes than the page generator uses."""
    from tools.ocr.samples import draw_balloon, lettering_font
    from tools.synth.lettering import bonelli_caps, letter_block, normalised_text
    from tools.synth.story import SCENES

    texts = [text for scene in SCENES for _, text in scene.lines]
    samples = []
    for f, (font, size) in enumerate(EXTRA_FONTS):
        for k in range(per_font):
            text = texts[(f * 29 + k * 7) % len(texts)]
            block = letter_block(bonelli_caps(text), lettering_font(font, size), size * 14)
            drawn = draw_balloon(block.lines, font=font, size=size, degrade=0.5 * (k % 2), seed=k)
            sample_id = f"font{f}-{k:02d}"
            crop = _save_crop(root, sample_id, drawn.image)
            meta = {"source": "drawn", "font": font, "size": size}
            samples.append(
                OcrSample(sample_id, crop, normalised_text(text), list(block.lines), "speech", meta)
            )
    return samples


def build_generated_set(root: Path, pages: int = 4) -> OcrSet:
    """Generate the default validation set into `root` (a few tens of seconds)."""
    try:
        from tools.synth import generate_volume
    except ImportError as exc:
        raise NuvolaError("the generated OCR set needs tools.synth (the page generator)") from exc
    root.mkdir(parents=True, exist_ok=True)
    samples: list[OcrSample] = []
    with tempfile.TemporaryDirectory(prefix="nuvola-ocrset-") as tmp:
        for seed, degrade, height in GENERATED_VOLUMES:
            out = Path(tmp) / f"v{seed}"
            truth = generate_volume(out, pages=pages, seed=seed, degrade=degrade, height=height)
            samples += samples_from_truth(truth, root, f"s{seed}{'d' if degrade else ''}h{height}")
    samples += drawn_font_samples(root)
    write_set(root, samples)
    return OcrSet(root.name, root, samples)


# ---- Pepper&Carrot real lettering ------------------------------------------------------------------


def peppercarrot_set(folder: Path) -> OcrSet | None:
    """The real pages' balloons (body box crops, GT lines), read in place; None when the folder is absent."""
    if not folder.is_dir():
        return None
    samples: list[OcrSample] = []
    for truth_path in sorted(folder.glob("*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        for n, balloon in enumerate(truth.get("balloons", [])):
            if not balloon.get("lines"):
                continue
            meta = {
                "source": "peppercarrot",
                "page": truth_path.stem,
                "bbox": balloon.get("body_bbox") or balloon["bbox"],
                "source_text": balloon["text"],
            }
            # Scored as normalised text on both sides: the GT keeps French-style spaces before `!` and `?`.
            samples.append(
                OcrSample(
                    f"{truth_path.stem}-b{n}",
                    truth["image"],
                    normalise_lettering(balloon["lines"]),
                    balloon["lines"],
                    "speech",
                    meta,
                )
            )
    return OcrSet("peppercarrot", folder, samples)


def sample_image(ocr_set: OcrSet, sample: OcrSample) -> Image.Image:
    """The sample's crop; Pepper&Carrot samples are cut from their page by the stored box."""
    image = sample.image(ocr_set.root)
    box = sample.meta.get("bbox") if sample.meta.get("source") == "peppercarrot" else None
    return crop_balloon(image, box, margin=6) if box else image


# ---- export for correction, import of corrected sets -----------------------------------------------

EXPORT_FIELDS = ("id", "crop", "text", "lines", "kind", "engine", "confidence")


def export_rows(rows: list[dict[str, Any]], out_dir: Path, fmt: str = "jsonl") -> Path:
    """Write rows (crop paths relative to `out_dir`) as ocr-set.jsonl or ocr-set.csv for a person to correct."""
    if fmt == "csv":
        target = out_dir / "ocr-set.csv"
        with atomic_path(target) as tmp, tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "lines": " / ".join(row.get("lines") or [])})
        return target
    target = out_dir / "ocr-set.jsonl"
    write_text_atomic(target, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return target


def _read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                return [(n, dict(r)) for n, r in enumerate(csv.DictReader(handle), start=2)]
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                rows.append((n, json.loads(line)))
        return rows
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise InputFileError(path, f"cannot read the corrected OCR set ({exc})") from exc


def _row_lines(row: dict[str, Any]) -> list[str]:
    lines = row.get("lines") or []
    if isinstance(lines, str):
        lines = [part.strip() for part in lines.split(" / ")] if lines.strip() else []
    return [str(line) for line in lines]


def import_set(path: Path, name: str, settings: Settings) -> tuple[OcrSet, list[str]]:
    """Read a corrected JSONL/CSV back as set `name`; bad rows are skipped and reported, none valid is an error."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "no such file")
    root = sets_dir(settings) / name
    sets_dir(settings).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=sets_dir(settings)))
    samples, problems = [], []
    try:
        for number, row in _read_rows(path):
            try:
                samples.append(_import_row(row, path.parent, staging))
            except (KeyError, OSError, ValueError) as exc:
                problems.append(f"{path}:{number}: skipped ({exc})")
        if not samples:
            raise InputFileError(path, "no usable row (each needs `crop` and a corrected `text`)")
        write_set(staging, samples)
        shutil.rmtree(root, ignore_errors=True)
        staging.replace(root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_set(root, name), problems


def _import_row(row: dict[str, Any], base: Path, staging: Path) -> OcrSample:
    text = " ".join(str(row["text"]).split())
    if not text:
        raise ValueError("empty text")
    source = (base / str(row["crop"])).resolve()
    with Image.open(source) as image:
        image.load()
    sample_id = str(row.get("id") or source.stem).replace(":", "_").replace("/", "_")
    relative = f"crops/{sample_id}{source.suffix or '.png'}"
    (staging / "crops").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, staging / relative)
    return OcrSample(
        sample_id, relative, text, _row_lines(row), str(row.get("kind") or "speech"), {"source": str(base)}
    )
