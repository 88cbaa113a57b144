"""OCR eval: CER, WER and line recall per engine, for their ensemble, and after cleaning; real lettering too.

`run_ocr_eval(settings, set_name=None)` reads a validation set (default: the generated one), runs the
ensemble once per balloon (each member's reading is kept and scored on its own), normalises every reading
with the lettering rules, optionally lets the `ocr_cleaner` model make small edits, and scores:

    raw CER     engine lines joined by spaces vs the lettered lines (before normalisation)
    CER / WER   normalised reading vs the true text
    line recall reference lines with at least half their characters found
    exact       balloons read exactly right

Targets (issue #4): cleaned CER <= 2 %, ensemble CER <= 0.8 x the best single engine, line recall >= 99 %.
The Pepper&Carrot pages (../shared/comics/peppercarrot-it, real Italian lettering) are scored when present.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.atomic import write_text_atomic
from tools.ocr.metrics import ErrorCounts, char_distance
from tools.ocr.normalise import normalise_lettering
from tools.settings import Settings

REPO = Path(__file__).resolve().parents[1]
PEPPERCARROT_DIRS = (REPO.parent / "shared" / "comics" / "peppercarrot-it",)
TARGETS = {"cleaned_cer": 0.02, "ensemble_vs_best": 0.8, "line_recall": 0.99}
Progress = Callable[[int, int], None]


@dataclass
class EngineScore:
    """Accumulated scores of one engine (or the ensemble, or the cleaned ensemble) over a set."""

    name: str
    normalised: ErrorCounts = field(default_factory=ErrorCounts)
    raw: ErrorCounts = field(default_factory=ErrorCounts)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        balloons = self.normalised.balloons
        return {
            **self.normalised.as_dict(),
            "raw_cer": round(self.raw.cer, 5) if self.raw.chars else None,
            "balloons_per_s": round(balloons / self.seconds, 2) if self.seconds else None,
        }


def ensemble_members(settings: Settings, engines: str | None) -> str:
    """The engines to compare: the given list, the configured `ocr` list when it has several, else the default."""
    from tools.ocr.registry import ENSEMBLE_DEFAULT, split_engine_names

    name = engines or settings.model_for("ocr")
    return name if len(split_engine_names(name)) > 1 else ENSEMBLE_DEFAULT


def _score(scores: dict[str, EngineScore], name: str, texts: list[str], sample: Any, seconds: float) -> str:
    score = scores.setdefault(name, EngineScore(name))
    hypothesis = normalise_lettering(texts)
    score.normalised.add(hypothesis, sample.text, texts, sample.lines)
    if sample.lines:
        score.raw.add(" ".join(" ".join(texts).split()), " ".join(sample.lines))
    score.seconds += seconds
    return hypothesis


def score_set(
    ocr_set: Any,
    engine: Any,
    cleaner: Any = None,
    limit: int | None = None,
    progress: Progress | None = None,
    image_of: Callable | None = None,
) -> tuple[dict[str, EngineScore], list[dict[str, Any]]]:
    """Run `engine` (an ensemble) on every sample; per-member, ensemble and cleaned scores, and the misreads."""
    scores: dict[str, EngineScore] = {}
    misreads: list[dict[str, Any]] = []
    samples = ocr_set.samples[:limit] if limit else ocr_set.samples
    for index, sample in enumerate(samples):
        image = image_of(ocr_set, sample) if image_of else sample.image(ocr_set.root)
        result = engine.read(image, sample.kind)
        for member in result.members:
            _score(scores, member.engine, member.texts, sample, member.seconds)
        text = _score(scores, "ensemble", result.texts, sample, result.seconds)
        if cleaner is not None:
            start = time.perf_counter()
            cleaned = cleaner.clean(text).text
            score = scores.setdefault("ensemble+cleaning", EngineScore("ensemble+cleaning"))
            score.normalised.add(cleaned, sample.text, result.texts, sample.lines)
            score.seconds += result.seconds + time.perf_counter() - start
            text = cleaned
        if text != sample.text:
            misreads.append(
                {
                    "id": sample.id,
                    "read": text,
                    "truth": sample.text,
                    "edits": char_distance(text, sample.text),
                }
            )
        if progress:
            progress(index + 1, len(samples))
    return scores, misreads


def targets(scores: dict[str, EngineScore]) -> dict[str, dict[str, Any]]:
    """Each target with its measured value and whether it is met."""
    singles = [s for name, s in scores.items() if not name.startswith("ensemble")]
    best = min(singles, key=lambda s: s.normalised.cer) if singles else None
    ensemble = scores["ensemble"].normalised
    final = scores.get("ensemble+cleaning", scores["ensemble"]).normalised
    ratio = (
        ensemble.cer / best.normalised.cer
        if best and best.normalised.cer
        else (0.0 if not ensemble.cer else float("inf"))
    )
    rows = {
        "cleaned_cer": (final.cer, final.cer <= TARGETS["cleaned_cer"], "ensemble+cleaning CER <= 2%"),
        "ensemble_vs_best": (
            ratio,
            ratio <= TARGETS["ensemble_vs_best"],
            f"ensemble CER <= 0.8 x best single ({best.name if best else '-'})",
        ),
        "line_recall": (
            ensemble.line_recall,
            ensemble.line_recall >= TARGETS["line_recall"],
            "ensemble line recall >= 99%",
        ),
    }
    return {
        key: {"value": round(value, 5), "target": TARGETS[key], "met": bool(met), "what": what}
        for key, (value, met, what) in rows.items()
    }


def peppercarrot_folder(explicit: Path | None = None) -> Path | None:
    """The real-lettering set folder: explicit, $NUVOLA_PEPPERCARROT, or ../shared beside the repo."""
    candidates = (
        [explicit] if explicit else [Path(p) for p in filter(None, [os.environ.get("NUVOLA_PEPPERCARROT")])]
    )
    candidates += [] if explicit else list(PEPPERCARROT_DIRS)
    return next((c for c in candidates if c and c.is_dir()), None)


def score_peppercarrot(engine: Any, folder: Path | None, limit: int | None = None) -> dict[str, Any]:
    """CER per engine on the real Pepper&Carrot balloons; skipped with a reason when the pages are absent."""
    from tools.ocr.valset import peppercarrot_set, sample_image

    ocr_set = peppercarrot_set(folder) if folder else None
    if ocr_set is None:
        return {"skipped": "Pepper&Carrot pages not found (../shared/comics/peppercarrot-it)"}
    scores, misreads = score_set(ocr_set, engine, limit=limit, image_of=sample_image)
    return {
        "folder": str(folder),
        "engines": {n: s.as_dict() for n, s in scores.items()},
        "misreads": misreads[:10],
    }


def run_ocr_eval(
    settings: Settings,
    set_name: str | None = None,
    *,
    engines: str | None = None,
    clean: bool = True,
    limit: int | None = None,
    peppercarrot: Path | None = None,
    speakers: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The whole OCR eval as a JSON-ready dict (also written to NUVOLA_HOME/reports/ocr.json); the cleaner
    is the `ocr_cleaner` role with its registered `ocr-clean` adapter, as `transcribe --clean` runs it."""
    from tools.ocr.cleaner import cleaner_model, configured_cleaner
    from tools.ocr.registry import get_ocr_engine
    from tools.ocr.valset import load_set

    ocr_set = load_set(settings, set_name)
    members = ensemble_members(settings, engines)
    engine = get_ocr_engine(members, settings)
    cleaner = configured_cleaner(settings) if clean else None
    scores, misreads = score_set(ocr_set, engine, cleaner, limit, progress)
    report: dict[str, Any] = {
        "set": ocr_set.name,
        "balloons": scores["ensemble"].normalised.balloons,
        "ensemble": members,
        "cleaner": cleaner_model(settings) if clean else None,
        "engines": {name: score.as_dict() for name, score in scores.items()},
        "targets": targets(scores),
        "misreads": sorted(misreads, key=lambda m: -m["edits"])[:20],
        "peppercarrot": score_peppercarrot(engine, peppercarrot_folder(peppercarrot), limit),
    }
    if speakers:
        report["speakers"] = _speaker_report(settings, limit)
    write_text_atomic(
        Path(settings.home) / "reports" / "ocr.json", json.dumps(report, ensure_ascii=False, indent=1)
    )
    return report


def _speaker_report(settings: Settings, limit: int | None) -> dict[str, Any]:
    from tools.ocr.speakers import evaluate_speakers

    return evaluate_speakers(settings, pages=8 if limit is None else max(1, min(8, limit // 8)))
