"""report.md, report.html and report.json for `nuvola eval all`, with matplotlib plots beside them.

Plots: the style scores of each candidate, its format distributions against the reference, the voice
confusion matrix, and (when run) attribution accuracy per author and its confusion matrix.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from evals.comic_format import format_distributions
from evals.samples import TextSample
from evals.suite import SuiteContext, SuiteOptions, SuiteResult
from tools.atomic import atomic_path, write_text_atomic

PLOTS = "plots"
TITLES = {
    "style": "Style",
    "voices": "Voices",
    "ocr": "OCR",
    "panels": "Panels",
    "attribution": "Attribution",
}
HTML_STYLE = """body{font-family:DejaVu Sans,Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:left}
th{background:#eee}img{max-width:100%}pre{background:#f6f6f6;padding:1em;overflow:auto}"""


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, target: Path) -> Path:
    """Write a matplotlib figure as PNG atomically and close it."""
    plt = _pyplot()
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return target


def plot_confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]], title: str, target: Path) -> Path:
    """A confusion matrix, each row normalised to shares (rows: true, columns: attributed)."""
    plt = _pyplot()
    counts = np.asarray(matrix, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.35 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("attributed to")
    ax.set_ylabel("true")
    ax.set_title(title)
    if len(labels) <= 12:
        for (i, j), n in np.ndenumerate(counts):
            if n:
                ax.text(
                    j,
                    i,
                    str(int(n)),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="black" if shares[i, j] < 0.6 else "white",
                )
    return save_figure(fig, target)


def plot_style_scores(style: dict[str, Any], target: Path) -> Path:
    """Each candidate's (and baseline's) style probability, cosine Delta and format fidelity."""
    plt = _pyplot()
    rows = [("", c) for c in style["candidates"]] + [("baseline: ", c) for c in style["baseline"]]
    names = [side + c["name"] for side, c in rows]
    measures = {
        "P(reference)": [
            c["style_probability"]["probability"] if c["style_probability"] else np.nan for _, c in rows
        ],
        "Burrows Δ": [c["burrows_delta"] for _, c in rows],
        "format fidelity": [
            c["format"]["fidelity"] if c["format"]["fidelity"] is not None else np.nan for _, c in rows
        ],
    }
    measures = {k: v for k, v in measures.items() if not np.all(np.isnan(np.asarray(v, dtype=float)))}
    fig, axes = plt.subplots(
        1, len(measures), figsize=(4 * len(measures), 0.5 * len(names) + 2), squeeze=False
    )
    for ax, (label, values) in zip(axes[0], measures.items(), strict=True):
        ax.barh(names, values, color="#4a7ab5")
        ax.set_title(label)
        ax.invert_yaxis()
        if label != "Burrows Δ":
            ax.set_xlim(0, 1)
    return save_figure(fig, target)


def plot_chunk_probabilities(style: dict[str, Any], target: Path) -> Path | None:
    """The distribution of P(reference) over 100-word chunks, per candidate and baseline text."""
    rows = [("", c) for c in style["candidates"]] + [("baseline: ", c) for c in style["baseline"]]
    rows = [(side, c) for side, c in rows if c["style_probability"] and c["style_probability"]["per_chunk"]]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    bins = np.linspace(0, 1, 21)
    for side, c in rows:
        ax.hist(c["style_probability"]["per_chunk"], bins=bins, alpha=0.5, label=side + c["name"])
    ax.axvline(0.5, color="grey", linestyle=":")
    ax.set_xlabel("P(reference) of each chunk")
    ax.set_ylabel("chunks")
    ax.legend(fontsize=7)
    return save_figure(fig, target)


def plot_format(reference: TextSample, candidates: Sequence[TextSample], target: Path) -> Path:
    """Distributions of words per balloon and upper-case share: reference against each candidate."""
    plt = _pyplot()
    ref = format_distributions(reference)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, metric in zip(axes, ("words_per_balloon", "uppercase_share"), strict=True):
        bins = np.histogram_bin_edges(
            np.concatenate([ref[metric], *[format_distributions(c)[metric] for c in candidates]]), bins=20
        )
        ax.hist(ref[metric], bins=bins, density=True, alpha=0.5, label=f"reference ({reference.name})")
        for c in candidates:
            ax.hist(format_distributions(c)[metric], bins=bins, density=True, alpha=0.5, label=c.name)
        ax.set_title(metric.replace("_", " "))
        ax.legend(fontsize=7)
    return save_figure(fig, target)


def plot_attribution(data: dict[str, Any], target: Path) -> Path:
    """Top-1 accuracy per author for the style score and each baseline."""
    plt = _pyplot()
    methods = list(data["methods"])
    authors = sorted(data["per_author"])
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(authors) + 2), 4))
    width = 0.8 / len(methods)
    for k, method in enumerate(methods):
        values = [data["methods"][method]["per_author"][a]["accuracy"] for a in authors]
        total = data["methods"][method]["accuracy"]
        ax.bar(np.arange(len(authors)) + k * width, values, width, label=f"{method} ({total:.1%})")
    ax.set_xticks(np.arange(len(authors)) + 0.4 - width / 2, authors, rotation=75, fontsize=7)
    ax.set_ylabel("top-1 accuracy")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title(f"attribution, {data['chunk_words']}-word chunks")
    return save_figure(fig, target)


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return "-" if value is None else pattern.format(value)


def style_section(data: dict[str, Any], plots: list[str]) -> list[str]:
    ref = data["reference"]
    self_delta = data["config"].get("reference_self_delta")
    out = [
        f"Reference: `{ref['source']}` ({ref['words']} words, {ref['balloons']} balloons); its own chunks lie at "
        f"Burrows Δ {fmt(self_delta)} from its profile (read the candidates' Δ against that)."
    ]
    rows = []
    for side, c in [("", c) for c in data["candidates"]] + [("baseline: ", c) for c in data["baseline"]]:
        ppl = " / ".join(fmt(p["perplexity"], "{:.1f}") for p in c["perplexity"].values()) or "-"
        prob = c["style_probability"]["probability"] if c["style_probability"] else None
        rank = f"{c['style_score']['rank']}/{c['style_score']['profiles']}" if c.get("style_score") else "-"
        judge = c["judge"]["overall"] if c["judge"] else None
        rows.append(
            [
                side + c["name"],
                c["words"],
                fmt(c["burrows_delta"]),
                fmt(c["cosine_delta"]),
                fmt(prob, "{:.2f}"),
                rank,
                ppl,
                fmt(c["format"]["fidelity"], "{:.2f}"),
                fmt(judge, "{:.2f}"),
            ]
        )
    out.append(
        md_table(
            [
                "candidate",
                "words",
                "Burrows Δ",
                "cosine Δ",
                "P(reference)",
                "style rank",
                "perplexity",
                "format fidelity",
                "judge",
            ],
            rows,
        )
    )
    for c in data["candidates"]:
        measures = c["format"]["measures"]
        out.append(f"Format of `{c['name']}` against the reference (means and Wasserstein distance):")
        out.append(
            md_table(
                ["measure", "reference", "candidate", "W", "W / pooled spread"],
                [
                    [k, m["reference_mean"], m["candidate_mean"], m["wasserstein"], m["normalised"]]
                    for k, m in measures.items()
                ],
            )
        )
    if data["comparison"]:
        out.append(
            "Candidates minus baseline: " + ", ".join(f"{k} {v:+.3f}" for k, v in data["comparison"].items())
        )
    return out + [f"![{p}]({p})" for p in plots] + [f"- {n}" for n in data["notes"]]


def voices_section(data: dict[str, Any], plots: list[str]) -> list[str]:
    rows = [
        [name, c["lines"], f"{c['share']:.0%}", ", ".join(f"{k} {v}" for k, v in c["attributed"].items())]
        for name, c in data["per_character"].items()
    ]
    cv = data["reference_cv_macro_accuracy"]
    out = [
        f"Reference lines: {data['reference_source']} ({', '.join(f'{k} {v}' for k, v in data['reference_lines'].items())}).",
        md_table(["character", "lines", "sounds like self", "attributed to"], rows),
        f"Macro accuracy **{data['macro_accuracy']:.1%}** (chance {data['chance']:.1%}); the reference voices themselves "
        f"separate at {fmt(cv, '{:.1%}')} (cross-validated). Copied lines left out: {data['copied_lines']}.",
    ]
    return out + [f"![{p}]({p})" for p in plots] + [f"- {n}" for n in data["notes"]]


def ocr_section(data: dict[str, Any]) -> list[str]:
    rows = [
        [name, f"{r['cer']:.2%}", f"{r['wer']:.2%}", f"{r['raw_cer']:.2%}"]
        for name, r in data.get("engines", {}).items()
    ]
    out = [
        f"Set `{data.get('set')}`, {data.get('balloons')} balloons.",
        md_table(["engine", "CER", "WER", "raw CER"], rows),
    ]
    pepper = data.get("peppercarrot") or {}
    if pepper.get("engines"):
        cers = ", ".join(f"{name} {row['cer']:.2%}" for name, row in pepper["engines"].items())
        out.append(f"Real lettering (Pepper&Carrot): CER {cers}.")
    elif pepper.get("skipped"):
        out.append(f"Real lettering (Pepper&Carrot): skipped ({pepper['skipped']}).")
    targets = data.get("targets", {})
    if targets:
        out.append(
            md_table(
                ["target", "value", "met"],
                [[t["what"], f"{t['value']:.4f}", "yes" if t["met"] else "no"] for t in targets.values()],
            )
        )
    return out


def panels_section(data: dict[str, Any]) -> list[str]:
    keys = ("precision", "recall", "f1", "reading_order", "seconds_per_page")
    rows = [[k, fmt(data.get(k))] for k in keys if k in data]
    return [f"Ground truth: {data.get('ground_truth', '-')}.", md_table(["measure", "value"], rows)]


def attribution_section(data: dict[str, Any], plots: list[str]) -> list[str]:
    rows = [
        [m, f"{r['accuracy']:.1%}", f"{r['macro_accuracy']:.1%}", r["n_chunks"], f"{r['seconds']:.0f}"]
        for m, r in data["methods"].items()
    ]
    out = [
        f"Leave-one-novel-out, {data['chunk_words']}-word chunks, {data['n_chunks']} chunks.",
        md_table(["method", "top-1", "mean per author", "chunks", "seconds"], rows),
    ]
    if data["skipped_authors"]:
        out.append("Skipped (no training text): " + ", ".join(data["skipped_authors"]))
    return out + [f"![{p}]({p})" for p in plots]


def make_plots(results: list[SuiteResult], ctx: SuiteContext) -> dict[str, list[str]]:
    """Plots per suite, as paths relative to the output folder."""
    folder = ctx.options.out_dir / PLOTS
    made: dict[str, list[str]] = {}
    by_name = {r.name: r for r in results if r.status == "ok"}
    if "style" in by_name and ctx.run_sample is not None and ctx.reference is not None:
        plot_style_scores(by_name["style"].data, folder / "style_scores.png")
        plot_format(ctx.reference, [ctx.run_sample], folder / "format.png")
        made["style"] = [f"{PLOTS}/style_scores.png", f"{PLOTS}/format.png"]
        if plot_chunk_probabilities(by_name["style"].data, folder / "style_chunks.png") is not None:
            made["style"].append(f"{PLOTS}/style_chunks.png")
    if "voices" in by_name:
        conf = by_name["voices"].data["confusion"]
        plot_confusion(
            conf["labels"], conf["matrix"], "voices: intended × attributed", folder / "voices_confusion.png"
        )
        made["voices"] = [f"{PLOTS}/voices_confusion.png"]
    if "attribution" in by_name:
        data = by_name["attribution"].data
        plot_attribution(data, folder / "attribution.png")
        conf = data["confusion"]
        plot_confusion(
            conf["labels"], conf["matrix"], "attribution (style score)", folder / "attribution_confusion.png"
        )
        made["attribution"] = [f"{PLOTS}/attribution.png", f"{PLOTS}/attribution_confusion.png"]
    return made


def render_markdown(results: list[SuiteResult], plots: dict[str, list[str]], config: dict[str, Any]) -> str:
    lines = [
        "# Nuvola eval report",
        "",
        f"Generated {config['generated']}. Every number below comes with the configuration at the end.",
        "",
    ]
    lines.append(
        md_table(
            ["suite", "status", "seconds", "note"],
            [[r.name, r.status, f"{r.seconds:.1f}", r.reason] for r in results],
        )
    )
    writers = {
        "style": lambda d: style_section(d, plots.get("style", [])),
        "voices": lambda d: voices_section(d, plots.get("voices", [])),
        "ocr": ocr_section,
        "panels": panels_section,
        "attribution": lambda d: attribution_section(d, plots.get("attribution", [])),
    }
    for r in results:
        if r.status == "ok":
            lines += ["", f"## {TITLES[r.name]}", "", *"\n\n".join(writers[r.name](r.data)).split("\n")]
    lines += [
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps(config, indent=1, ensure_ascii=False, default=str),
        "```",
        "",
    ]
    return "\n".join(lines)


def render_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(markdown)
    return f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Nuvola eval report</title><style>{HTML_STYLE}</style></head>\n<body>\n{body}</body></html>\n'


def report_config(options: SuiteOptions, settings: Any) -> dict[str, Any]:
    """The run's full configuration: options, models per role, seed, versions."""
    import sklearn

    return {
        "generated": datetime.now().isoformat(timespec="seconds"),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()},
        "models": settings.models.model_dump(),
        "series": settings.series,
        "seed": options.seed,
        "home": str(settings.home),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
    }


def write_report(results: list[SuiteResult], ctx: SuiteContext) -> dict[str, Path]:
    """Write report.json, report.md and report.html (and plots/) under the output folder."""
    out = ctx.options.out_dir
    config = report_config(ctx.options, ctx.settings)
    plots = make_plots(results, ctx)
    markdown = render_markdown(results, plots, config)
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    payload = {"config": config, "suites": [r.model_dump() for r in results]}
    write_text_atomic(paths["json"], json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n")
    write_text_atomic(paths["md"], markdown)
    write_text_atomic(paths["html"], render_html(markdown))
    return paths
