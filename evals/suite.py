"""`nuvola eval all`: run every eval suite that can run here and collect the results for the report.

Suites: style and voices (on a write-issue run: the given one or the latest), OCR (evals/ocr.py), panels
(evals/panels.py, on generated pages unless a ground truth is given) and, when a corpus is given,
attribution. A suite that cannot run says why (skipped); one that breaks says how (failed); the rest go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from evals.samples import BalloonText, TextSample, find_script, load_samples
from tools.errors import NuvolaError
from tools.settings import Settings

SUITES = ("style", "voices", "ocr", "panels", "attribution")


class SuiteSkipped(NuvolaError):
    """A suite has nothing to run on here (no run, no reference, no corpus); the message says what to give."""


@dataclass
class SuiteOptions:
    """What `nuvola eval all` was asked to do (logged in the report)."""

    out_dir: Path
    run: str | None = None
    reference: str | None = None
    background: Path | None = None
    lms: tuple[str, ...] = ()
    judge: bool = False
    ocr_set: str | None = None
    ocr_limit: int = 24
    ocr_clean: bool = False
    panel_pages: int = 3
    panels_gt: Path | None = None
    panels_images: Path | None = None
    attribution_corpus: Path | None = None
    chunk_words: int = 1000
    skip: tuple[str, ...] = ()
    seed: int = 0


class SuiteResult(BaseModel):
    """One suite's outcome and its data (the JSON its own command prints)."""

    name: str
    status: Literal["ok", "skipped", "failed"]
    reason: str = ""
    seconds: float = 0.0
    data: dict[str, Any] = Field(default_factory=dict)


@dataclass
class SuiteContext:
    """Inputs shared by several suites, loaded once."""

    settings: Settings
    options: SuiteOptions
    run_sample: TextSample | None = None
    reference: TextSample | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def latest_run(settings: Settings) -> Path | None:
    """The newest run under NUVOLA_HOME/runs that has a script."""
    runs = settings.home / "runs"
    if not runs.is_dir():
        return None
    for folder in sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True):
        if find_script(folder) is not None:
            return folder
    return None


def run_sample(ctx: SuiteContext) -> TextSample:
    """The write-issue run the style and voice suites measure."""
    if ctx.run_sample is None:
        chosen = Path(ctx.options.run).expanduser() if ctx.options.run else latest_run(ctx.settings)
        if chosen is None:
            raise SuiteSkipped("no write-issue run under NUVOLA_HOME/runs: write one, or give --run")
        samples = load_samples(chosen, ctx.settings.home / "runs")
        if not samples or find_script(chosen, ctx.settings.home / "runs") is None:
            raise SuiteSkipped(f"{chosen} holds no script.json")
        ctx.run_sample = samples[0]
    return ctx.run_sample


def profile_sample(settings: Settings) -> TextSample:
    """The series profile's sample lines (with speakers): the reference of last resort."""
    from tools.series.profile import load_profile

    profile = load_profile(settings.series)
    upper = "maiuscol" in (profile.format.lettering or "").lower()  # the series letters in capitals
    balloons = [
        BalloonText(text=line, speaker=c.name, lettering=line.upper() if upper else None)
        for c in profile.characters
        for line in c.sample_lines
    ]
    return TextSample(
        name=f"profile:{profile.name}", source=f"profile:{profile.name} sample lines", balloons=balloons
    )


def reference_sample(ctx: SuiteContext) -> TextSample:
    """--reference, else the memory's lines, else the catalogue, else the profile's sample lines."""
    from evals.reference import ReferenceError, load_reference

    if ctx.reference is not None:
        return ctx.reference
    if ctx.options.reference:
        ctx.reference = load_reference(ctx.options.reference, ctx.settings)
        return ctx.reference
    for source in ("memory:", "catalogue:"):
        try:
            ctx.reference = load_reference(source, ctx.settings)
            ctx.extras.setdefault("notes", []).append(f"style reference: {source} (no --reference given)")
            return ctx.reference
        except (ReferenceError, NuvolaError, OSError, ImportError) as exc:
            ctx.extras.setdefault("notes", []).append(f"{source} gave no reference ({str(exc)[:100]})")
    ctx.reference = profile_sample(ctx.settings)
    return ctx.reference


def style_suite(ctx: SuiteContext) -> dict[str, Any]:
    from evals.corpus import read_background
    from evals.style_eval import StyleEvalConfig, run_style_eval

    candidate, reference = run_sample(ctx), reference_sample(ctx)
    background = read_background(ctx.options.background) if ctx.options.background else []
    config = StyleEvalConfig(
        perplexity_models=ctx.options.lms,
        judge_model=ctx.settings.model_for("judge") if ctx.options.judge else None,
        series=ctx.settings.series,
        seed=ctx.options.seed,
    )
    report = run_style_eval(reference, [candidate], config, background, (), str(ctx.options.background or ""))
    data = report.model_dump()
    data["notes"] = [*ctx.extras.get("notes", []), *data["notes"]]
    return data


def voices_suite(ctx: SuiteContext) -> dict[str, Any]:
    from evals.voices import evaluate_voices

    return evaluate_voices(ctx.settings, run_sample(ctx).lines, None, ctx.options.seed).model_dump()


def ocr_suite(ctx: SuiteContext) -> dict[str, Any]:
    from evals.ocr import run_ocr_eval

    opts = ctx.options
    return run_ocr_eval(
        ctx.settings, opts.ocr_set, clean=opts.ocr_clean, limit=opts.ocr_limit, speakers=False
    )


def panels_suite(ctx: SuiteContext) -> dict[str, Any]:
    from evals.panels import evaluate_folder

    opts = ctx.options
    if opts.panels_gt and opts.panels_images:
        gt, images, origin = opts.panels_gt, opts.panels_images, str(opts.panels_gt)
    else:
        from tools.synth import generate_volume

        images = opts.out_dir / "panels-synth"
        gt = generate_volume(images, pages=opts.panel_pages, seed=opts.seed)
        origin = f"{opts.panel_pages} generated pages (seed {opts.seed})"
    data = evaluate_folder(gt, images).as_dict()
    data["ground_truth"] = origin
    return data


def attribution_suite(ctx: SuiteContext) -> dict[str, Any]:
    from evals.attribution import AttributionConfig, attribute_leave_one_out

    corpus = ctx.options.attribution_corpus
    if corpus is None:
        raise SuiteSkipped(
            "give --attribution-corpus DIR (e.g. ../shared/corpus/eltec-ita) to validate the style score"
        )
    config = AttributionConfig(chunk_words=ctx.options.chunk_words, seed=ctx.options.seed)
    return attribute_leave_one_out(corpus, config).model_dump()


RUNNERS: dict[str, Callable[[SuiteContext], dict[str, Any]]] = {
    "style": style_suite,
    "voices": voices_suite,
    "ocr": ocr_suite,
    "panels": panels_suite,
    "attribution": attribution_suite,
}


def run_one(name: str, ctx: SuiteContext) -> SuiteResult:
    """Run a suite; its own errors become a failed result so the others still run."""
    start = time.perf_counter()
    try:
        data = RUNNERS[name](ctx)
    except SuiteSkipped as exc:
        return SuiteResult(name=name, status="skipped", reason=str(exc))
    except ImportError as exc:
        return SuiteResult(name=name, status="skipped", reason=f"suite not installed ({exc})")
    except (NuvolaError, OSError, ValueError, RuntimeError) as exc:
        return SuiteResult(
            name=name,
            status="failed",
            reason=f"{type(exc).__name__}: {exc}",
            seconds=time.perf_counter() - start,
        )
    return SuiteResult(name=name, status="ok", seconds=round(time.perf_counter() - start, 2), data=data)


def run_suites(
    settings: Settings, options: SuiteOptions, on_suite: Callable[[str], None] | None = None
) -> tuple[list[SuiteResult], SuiteContext]:
    """Every suite not in `options.skip`, in order."""
    ctx = SuiteContext(settings=settings, options=options)
    results = []
    for name in SUITES:
        if name in options.skip:
            results.append(SuiteResult(name=name, status="skipped", reason="--skip"))
            continue
        if on_suite:
            on_suite(name)
        results.append(run_one(name, ctx))
    return results, ctx
