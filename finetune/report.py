"""An adapter's report: JSON with every figure, a short Markdown summary, the loss-curve PNG and step log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.atomic import atomic_path, write_text_atomic


def plot_loss(log: Sequence[dict[str, float]], path: Path, title: str) -> Path:
    """Training loss per step (and a moving average) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [row["step"] for row in log]
    losses = [row["loss"] for row in log]
    window = max(1, len(losses) // 10)
    smooth = [
        sum(losses[max(0, i - window + 1) : i + 1]) / len(losses[max(0, i - window + 1) : i + 1])
        for i in range(len(losses))
    ]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=110)
    ax.plot(steps, losses, alpha=0.35, label="loss")
    ax.plot(steps, smooth, label=f"mean of {window}")
    ax.set(xlabel="step", ylabel="training loss", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path


def write_json(path: Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _figure_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    ppl = report.get("perplexity") or {}
    if ppl:
        lines.append(
            f"- held-out perplexity: {ppl['ppl_before']} -> {ppl['ppl_after']} "
            f"({ppl['ppl_change'] * 100:+.1f}%, {ppl['heldout_tokens']} tokens)"
        )
    style = report.get("style") or {}
    if style:
        lines.append(
            f"- style score: {style.get('status', '')} {json.dumps(style.get('scores', {}), ensure_ascii=False)}"
        )
    ocr = report.get("ocr") or {}
    if ocr:
        lines.append(
            f"- CER on {ocr['balloons']} held-out balloons: uncleaned {ocr['cer_uncleaned']}; runtime cleaner with "
            f"the base {ocr['cer_base']} ({ocr['accepted_base']} edits kept), with the adapter {ocr['cer_adapter']} "
            f"({ocr['accepted_adapter']} kept); adapter's raw output {ocr['cer_adapter_raw']}"
        )
    if report.get("gguf_load_seconds") is not None:
        lines.append(f"- GGUF LoRA loaded by llama.cpp with the base in {report['gguf_load_seconds']:.2f} s")
    return lines


def _sample_lines(samples: Sequence[dict[str, str]]) -> list[str]:
    out = ["", "## Samples (greedy, same prompt)", ""]
    for s in samples:
        out += [
            f"**Prompt:** {s['prompt'][-160:]!r}",
            "",
            f"- base: {s['base']!r}",
            f"- adapter: {s['adapter']!r}",
            "",
        ]
    return out


def markdown(report: dict[str, Any]) -> str:
    """A one-screen summary of the report."""
    train = report["training"]
    lines = [
        f"# Adapter {report['name']} ({report['kind']})",
        "",
        f"- base: `{report['base']}`; data: {report['dataset']['train_examples']} training / "
        f"{report['dataset']['heldout_examples']} held-out examples",
        f"- training: {train['steps']} steps in {train['seconds']:.0f} s wall ({train['cpu_seconds']:.0f} s of CPU "
        f"time, all threads) on {train['device']}, {train['precision']} "
        f"({train['tokens_per_second']:.0f} tokens/s), final loss {train['final_loss']}",
        *_figure_lines(report),
    ]
    if report.get("samples"):
        lines += _sample_lines(report["samples"])
    return "\n".join(lines) + "\n"


def write_report(folder: Path, report: dict[str, Any], log: Sequence[dict[str, float]]) -> Path:
    """`report.json`, `report.md`, `train_log.json` and (with a log) `loss.png` in `folder`."""
    write_json(folder / "train_log.json", list(log))
    if log:
        plot_loss(log, folder / "loss.png", f"{report['name']} on {report['base']}")
    write_text_atomic(folder / "report.md", markdown(report))
    return write_json(folder / "report.json", report)
