"""`nuvola eval translation`: Italian → English on the Pepper&Carrot parallel set (evals/gt/translation).

For each split (dev, frozen) and method it reports chrF (with a 95% bootstrap interval over lines) and BLEU
(sacrebleu, corpus level), glossary adherence (lines whose source has a term of glossary.yaml and whose output
has its English form), and the overflow count after re-lettering the translated balloons into the real pages'
balloons (same fitting rules as `nuvola translate`). Methods, all in the same run:

- `nuvola`   the translator as `nuvola translate` runs it (few-shot examples, glossary, page context)
- `bare`     baseline: the same model asked `Italian: … English:` with no examples, glossary or context
- `copy`     control: the Italian left as it is (what chrF gives for shared names and punctuation)
- `official` the official English, re-lettered: the overflow the pages themselves cause (no chrF)
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from tools.errors import InputFileError

PREFIX = "Pepper-and-Carrot_by-David-Revoy_"
METHODS = ("nuvola", "bare", "copy", "official")
BOOTSTRAP = 1000
PAGE_HEIGHT_CM = 29.7  # Pepper&Carrot pages are A4 (the sources are 2481x3503 px, A4 at 300 dpi)


@dataclass(frozen=True)
class ParallelLine:
    """One Italian line of the real pages with its official English and where it sits."""

    id: str
    split: str
    it: str
    en: str
    page: str
    box: tuple[int, int, int, int] | None  # the balloon's body (None for text outside balloons)


@dataclass
class MethodScore:
    split: str
    method: str
    n: int
    chrf: float | None = None
    chrf_ci: tuple[float, float] | None = None
    bleu: float | None = None
    glossary_kept: int = 0
    glossary_lines: int = 0
    balloons: int = 0
    overflow: int = 0
    undersize: int = 0
    seconds_per_line: float = 0.0
    outputs: list[dict[str, str]] = field(default_factory=list)


def gt_dir() -> Path:
    return Path(str(files("evals").joinpath("gt", "translation")))


def load_parallel(pages_dir: Path, gt: Path | None = None) -> list[ParallelLine]:
    """The parallel lines, the Italian read from the real-page ground truth beside the repo."""
    gt = gt or gt_dir()
    rows = [
        json.loads(line) for line in (gt / "parallel.jsonl").read_text("utf-8").splitlines() if line.strip()
    ]
    out, cache = [], {}
    for row in rows:
        page, ref = row["id"].split(":")
        if page not in cache:
            path = pages_dir / f"{PREFIX}{page}.json"
            try:
                cache[page] = json.loads(path.read_text("utf-8"))
            except OSError as exc:
                raise InputFileError(
                    path, f"cannot read the page's ground truth ({exc.strerror or exc})"
                ) from exc
        items = cache[page]["balloons" if ref[0] == "b" else "text_blocks_without_balloon"]
        item = items[int(ref[1:])]
        box = tuple(item["body_bbox"]) if ref[0] == "b" else None
        out.append(ParallelLine(row["id"], row["split"], item["text"], row["en"], page, box))  # type: ignore[arg-type]
    return out


def chrf_interval(hyps: list[str], refs: list[str], seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of corpus chrF over lines resampled with replacement."""
    from sacrebleu.metrics import CHRF

    metric, rng, n = CHRF(), random.Random(seed), len(hyps)
    scores = []
    for _ in range(BOOTSTRAP):
        idx = [rng.randrange(n) for _ in range(n)]
        scores.append(metric.corpus_score([hyps[i] for i in idx], [[refs[i] for i in idx]]).score)
    scores.sort()
    return round(scores[int(0.025 * BOOTSTRAP)], 1), round(scores[int(0.975 * BOOTSTRAP) - 1], 1)


def text_scores(hyps: list[str], refs: list[str]) -> tuple[float, float]:
    from sacrebleu.metrics import BLEU, CHRF

    return (
        round(CHRF().corpus_score(hyps, [refs]).score, 1),
        round(BLEU(effective_order=True).corpus_score(hyps, [refs]).score, 1),
    )


def glossary_adherence(lines: list[ParallelLine], hyps: list[str], glossary: Any) -> tuple[int, int]:
    """(lines whose output has every glossary term's English, lines whose Italian has a glossary term)."""
    used = [(line, hyp) for line, hyp in zip(lines, hyps, strict=True) if glossary.found_in(line.it)]
    return sum(not glossary.missing(line.it, hyp) for line, hyp in used), len(used)


def overflow_counts(lines: list[ParallelLine], hyps: list[str], pages_dir: Path) -> tuple[int, int, int]:
    """(balloons re-lettered, overflowing, lettered under 2.2 mm) when `hyps` go into the real balloons."""
    from PIL import Image

    from tools.translate.reletter import reletter_page

    by_page: dict[str, list[tuple[str, tuple[int, int, int, int], str, str]]] = {}
    for line, hyp in zip(lines, hyps, strict=True):
        if line.box is not None:
            by_page.setdefault(line.page, []).append((line.id, line.box, "speech", hyp))
    reports = []
    for page, balloons in by_page.items():
        with Image.open(pages_dir / f"{PREFIX}{page}.jpg") as image:
            reports += reletter_page(image, balloons, PAGE_HEIGHT_CM)[1]
    return len(reports), sum(r.overflow for r in reports), sum(r.undersize for r in reports)


def translators(llm: Any, glossary: Any) -> dict[str, Any]:
    from tools.translate.glossary import Glossary
    from tools.translate.translator import Translator

    return {
        "nuvola": Translator(llm, glossary),
        "bare": Translator(llm, Glossary(), examples=(), context=False),
    }


def outputs_for(method: str, lines: list[ParallelLine], translator: Any) -> list[str]:
    from tools.translate.context import TranslationUnit

    if method == "copy":
        return [line.it for line in lines]
    if method == "official":
        return [line.en for line in lines]
    units = [
        TranslationUnit(line.id, line.it, "speech" if line.box else "caption", page=line.page)
        for line in lines
    ]
    return [t.text for t in translator.translate_all(units)]


def score_method(
    split: str, method: str, lines: list[ParallelLine], translator: Any, glossary: Any, pages_dir: Path
) -> MethodScore:
    started = time.perf_counter()
    hyps = outputs_for(method, lines, translator)
    elapsed = time.perf_counter() - started
    refs = [line.en for line in lines]
    result = MethodScore(split, method, len(lines), seconds_per_line=round(elapsed / max(1, len(lines)), 2))
    if method != "official":
        result.chrf, result.bleu = text_scores(hyps, refs)
        result.chrf_ci = chrf_interval(hyps, refs)
    result.glossary_kept, result.glossary_lines = glossary_adherence(lines, hyps, glossary)
    result.balloons, result.overflow, result.undersize = overflow_counts(lines, hyps, pages_dir)
    result.outputs = [
        {"id": line.id, "it": line.it, "en": line.en, "out": hyp}
        for line, hyp in zip(lines, hyps, strict=True)
    ]
    return result


def run_eval(
    model: str,
    pages_dir: Path,
    *,
    splits: tuple[str, ...] = ("dev", "frozen"),
    methods: tuple[str, ...] = METHODS,
    progress: Any = None,
) -> dict[str, Any]:
    """Every method on every split; the report as a dict (see `format_report`)."""
    from tools.models import get_llm
    from tools.translate.glossary import load_glossary_file

    lines = load_parallel(pages_dir)
    glossary = load_glossary_file(gt_dir() / "glossary.yaml")
    llm = get_llm(model) if {"nuvola", "bare"} & set(methods) else None
    scores = []
    for split in splits:
        chosen = [line for line in lines if line.split == split]
        for method in methods:
            translator = translators(llm, glossary).get(method) if llm is not None else None
            scores.append(score_method(split, method, chosen, translator, glossary, pages_dir))
            if progress is not None:
                progress(scores[-1])
    return {
        "model": model,
        "set": "Pepper&Carrot ep. 1-3, it->en (evals/gt/translation)",
        "frozen_provenance": "E03P04-P07, official English text layer (CC BY 4.0); never tuned on",
        "scores": [asdict(s) for s in scores],
    }


def format_report(report: dict[str, Any]) -> str:
    rows = [
        f"model: {report['model']}   set: {report['set']}",
        f"{'split':7} {'method':9} {'n':>3} {'chrF':>6} {'95% CI':>13} {'BLEU':>6} {'glossary':>9} "
        f"{'overflow':>9} {'<2.2mm':>7} {'s/line':>7}",
    ]
    for s in report["scores"]:
        chrf = f"{s['chrf']:6.1f}" if s["chrf"] is not None else "     -"
        ci = f"[{s['chrf_ci'][0]:5.1f},{s['chrf_ci'][1]:5.1f}]" if s["chrf_ci"] else "            -"
        bleu = f"{s['bleu']:6.1f}" if s["bleu"] is not None else "     -"
        rows.append(
            f"{s['split']:7} {s['method']:9} {s['n']:>3} {chrf} {ci:>13} {bleu} "
            f"{s['glossary_kept']:>4}/{s['glossary_lines']:<4} {s['overflow']:>4}/{s['balloons']:<4} "
            f"{s['undersize']:>7} {s['seconds_per_line']:>7.2f}"
        )
    rows.append(f"frozen: {report['frozen_provenance']}")
    return "\n".join(rows)
