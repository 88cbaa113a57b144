"""OCR-clean sets: noisy balloon text (after `normalise_lettering`) -> the corrected text, in the very prompt
the runtime's OCR cleaner sends (`prompts/ocr/cleaner.j2`, tools/ocr/cleaner.py), so the adapter learns the
task exactly as it is asked.

Pairs come from OCR validation sets (JSONL rows `{"ocr": ..., "text": ...}`, or `{"lines": [...],
"text": ...}` as read), from real Tesseract readings of balloons drawn with known lettering, and from
synthetic noise (ocr_noise.py) on sentences of the story bank and any text files. Many readings are already
right: the adapter must learn to leave those alone. No sentence of an OCR evaluation set is ever trained on:
the default generated set, the frozen generated split (evals/data/ocr_frozen_text.yaml) and every set stored
under NUVOLA_HOME/ocr-sets are excluded from training (`evaluation_texts`).
"""

from __future__ import annotations

import random
import re
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from finetune.data.examples import TextExample, TrainingSet, expand_sources, read_jsonl, read_text
from finetune.data.ocr_noise import DEFAULT_RATES, NoiseRates, add_ocr_noise, lettering_form
from prompts import render
from tools.errors import InputFileError

BALLOON_WIDTH = 18  # characters per lettered line
# Readings of drawn balloons by the real engine: their errors are the ones the cleaner meets (mostly marks),
# so they are the bulk of the set; synthetic noise adds letter confusions the engine makes more rarely.
REAL_READINGS = 900
SYNTHETIC_TEXTS = 300
SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+|$)")
MIN_CHARS, MAX_CHARS = 12, 110
FROZEN_OCR_TEXT = Path(__file__).resolve().parents[2] / "evals" / "data" / "ocr_frozen_text.yaml"


@dataclass(frozen=True)
class OcrPair:
    """What the OCR pipeline produced for a balloon, and what is lettered in it."""

    ocr: str
    text: str

    def example(self) -> TextExample:
        return TextExample(render("ocr/cleaner.j2", text=self.ocr), f" {self.text}\n", self.ocr)


def reference_text(text: str) -> str:
    """The corrected form of a balloon: upper case, accented capitals, canonical marks, single spaces."""
    from tools.ocr.normalise import canonical_marks

    return canonical_marks(text.upper())


def balloon_lines(text: str, width: int = BALLOON_WIDTH) -> list[str]:
    """The text as a letterer would write it in a balloon: E' for È, wrapped to short lines."""
    return textwrap.wrap(lettering_form(text), width=width, break_long_words=False) or [lettering_form(text)]


def pipeline_text(lines: Sequence[str]) -> str:
    """What the OCR stage hands the cleaner: the read lines joined and normalised."""
    from tools.ocr.normalise import normalise_lettering

    return normalise_lettering(list(lines))


def sentences(texts: Iterable[str]) -> list[str]:
    """Balloon-sized sentences (12-110 characters) of running texts, in order, without repeats."""
    found: dict[str, None] = {}
    for text in texts:
        for match in SENTENCE.finditer(" ".join(text.split())):
            sentence = match.group(0).strip(' -—«»"')
            if MIN_CHARS <= len(sentence) <= MAX_CHARS:
                found.setdefault(sentence, None)
    return list(found)


def story_bank_sentences() -> list[str]:
    """Captions and lines of the page generator's original story."""
    from tools.synth.story import SCENES

    return [beat.text for scene in SCENES for beat in scene.beats]


def synthetic_pairs(
    texts: Sequence[str], seed: int, copies: int = 2, rates: NoiseRates = DEFAULT_RATES
) -> list[OcrPair]:
    """`copies` noisy readings of each text (noise strength varies, some readings come out clean)."""
    rng = random.Random(seed)
    pairs = []
    for text in texts:
        for _ in range(copies):
            noisy = [
                add_ocr_noise(line, rng, rates.scaled(rng.choice((0.0, 0.5, 1.0, 2.0))))
                for line in balloon_lines(text)
            ]
            pairs.append(OcrPair(pipeline_text(noisy), reference_text(text)))
    return pairs


def tesseract_pairs(texts: Sequence[str], engine: Any, seed: int) -> list[OcrPair]:
    """Real readings: each text lettered in a drawn balloon (tools/ocr/samples.py) and read by `engine`."""
    from tools.ocr.samples import LETTERING_FONTS, draw_balloon

    rng = random.Random(seed)
    pairs = []
    for text in texts:
        sample = draw_balloon(
            balloon_lines(text),
            font=rng.choice(LETTERING_FONTS),
            size=rng.choice((22, 26, 30)),
            degrade=rng.choice((0.0, 0.3, 0.6)),
            seed=rng.randrange(1 << 30),
        )
        result = engine.read(sample.image, "speech")
        pairs.append(OcrPair(pipeline_text(result.texts), reference_text(text)))
    return pairs


def read_ocr_set(path: Path) -> list[OcrPair]:
    """An OCR validation set: JSONL rows with the reading (`ocr` text or `lines`) and the true `text`."""
    pairs = []
    for number, row in enumerate(read_jsonl(path), 1):
        truth = row.get("text") or row.get("truth")
        reading = row.get("ocr") if isinstance(row.get("ocr"), str) else None
        if reading is None and isinstance(row.get("lines"), list):
            reading = pipeline_text([str(x) for x in row["lines"]])
        if not isinstance(truth, str) or reading is None:
            raise InputFileError(path, f'row {number} needs "text" and "ocr" (or "lines")')
        pairs.append(OcrPair(reading, reference_text(truth)))
    return pairs


def source_sentences(sources: Sequence[Path | str]) -> list[str]:
    """Sentences of the story bank (`story-bank`) and of text files, for noising."""
    texts: list[str] = []
    for source in sources:
        if str(source) == "story-bank":
            texts += story_bank_sentences()
        else:
            texts += [read_text(p) for p in expand_sources([source], (".txt", ".md"))]
    return sentences(texts)


def split_texts(texts: Sequence[str], heldout: int, seed: int) -> tuple[list[str], list[str]]:
    """A reproducible random split: `heldout` texts for measuring, the others for training."""
    order = list(texts)
    random.Random(seed).shuffle(order)
    if len(order) <= heldout:
        raise InputFileError("ocr-clean source", f"{len(order)} sentences: need more than {heldout}")
    return order[heldout:], order[:heldout]


def valset_pairs(ocr_set: Any, engine: Any, limit: int) -> list[OcrPair]:
    """Readings of an OCR validation set's crops (tools/ocr/valset.py) by `engine`, with their true text."""
    from finetune.evaluate import spread

    return [
        OcrPair(
            pipeline_text(engine.read(sample.image(ocr_set.root), sample.kind).texts),
            reference_text(sample.text),
        )
        for sample in spread(ocr_set.samples, limit)
    ]


def _leaks(text: str, held: set[str]) -> bool:
    ref = reference_text(text)
    return any(ref in h or h in ref for h in held)


@lru_cache(maxsize=1)
def generated_set_texts() -> frozenset[str]:
    """Reference texts of the default generated OCR set (tools/ocr/valset.py), built once per process in a
    temporary folder when the data home does not hold it yet (a few CPU-seconds)."""
    from tools.ocr.valset import build_generated_set

    with tempfile.TemporaryDirectory(prefix="nuvola-ocr-eval-texts-") as tmp:
        built = build_generated_set(Path(tmp) / "generated")
        return frozenset(reference_text(s.text) for s in built.samples)


def frozen_ocr_texts(path: Path = FROZEN_OCR_TEXT) -> set[str]:
    """Reference texts of the frozen generated OCR split (benchmarks/ocr.py letters them)."""
    import yaml

    if not path.is_file():
        return set()
    try:
        return {reference_text(b["text"]) for b in yaml.safe_load(path.read_text("utf-8"))["balloons"]}
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise InputFileError(path, f"not a frozen OCR text file ({exc})") from exc


def evaluation_texts(home: Path | None = None) -> set[str]:
    """Every text an OCR evaluation measures on: the default generated set, the frozen generated split, and
    every set stored under `home`/ocr-sets (default: the data home). Training never uses these."""
    from tools.ocr.valset import DEFAULT_SET, read_set, sets_dir
    from tools.settings import load_settings

    settings = load_settings(home=home) if home is not None else load_settings()
    root = sets_dir(settings)
    stored = sorted(p.parent for p in root.glob("*/set.jsonl")) if root.is_dir() else []
    texts = frozen_ocr_texts()
    for folder in stored:
        texts |= {reference_text(s.text) for s in read_set(folder).samples}
    if not any(folder.name == DEFAULT_SET for folder in stored):
        texts |= generated_set_texts()
    return texts


def ocr_clean_set(
    sources: Sequence[Path | str],
    *,
    eval_pairs: Sequence[OcrPair] = (),
    ocr_sets: Sequence[Path] = (),
    engine: Any = None,
    seed: int = 0,
    heldout: int = 60,
    max_train: int = SYNTHETIC_TEXTS,
    real: int = REAL_READINGS,
    exclude_evaluation: bool = True,
    home: Path | None = None,
) -> TrainingSet:
    """Train on `real` engine readings of drawn source sentences, noisy copies of `max_train` of them and
    any OCR sets; measure on held-out real readings.

    With `eval_pairs` (an OCR validation set as read) those are held out and every sentence they contain is
    kept out of training; otherwise `heldout` sentences are drawn and read by `engine` (or noised). With
    `exclude_evaluation` (the default) no sentence of any OCR evaluation set (`evaluation_texts(home)`) is
    trained or measured on.
    """
    evaluated = set(evaluation_texts(home)) if exclude_evaluation else set()
    texts = [t for t in source_sentences(sources) if not _leaks(t, evaluated)]
    if eval_pairs:
        held = {p.text for p in eval_pairs}
        train_texts, test = [t for t in texts if not _leaks(t, held)], list(eval_pairs)
        random.Random(seed).shuffle(train_texts)
    else:
        train_texts, test_texts = split_texts(texts, heldout, seed)
        if engine is not None:
            test = tesseract_pairs(test_texts, engine, seed + 1)
        else:
            test = synthetic_pairs(test_texts, seed + 1, copies=1)
    if not train_texts:
        raise InputFileError(
            ", ".join(map(str, sources)), "no sentence left to train on: add --source text files"
        )
    train = synthetic_pairs(train_texts[:max_train], seed)
    for path in ocr_sets:
        train += read_ocr_set(path)
    if engine is not None:
        train += tesseract_pairs(train_texts[:real], engine, seed + 2)
        random.Random(seed + 3).shuffle(train)
    names = (
        [str(s) for s in sources]
        + [str(p) for p in ocr_sets]
        + (["drawn balloons read by OCR"] if engine else [])
    )
    return TrainingSet("ocr-clean", [p.example() for p in train], [p.example() for p in test], names)
