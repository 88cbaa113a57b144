"""What `nuvola concept stylize` leaves in its output folder.

panels/<name>.png     the restyled panels (after consistency fine-tuning or best-of-N selection)
before/<name>.png     the same sketches through the un-fine-tuned network (or the first candidate)
report.json           per-element consistency before and after, p̂, the run's settings
losses.png            loss curves of the fine-tuning
strip.png             sketch | before | after for the first panels
script.json           (when the priors came from a script) the script with art_path set to panels/
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools.atomic import write_text_atomic
from tools.comic_script import IssueScript
from tools.concept.images import save_gray
from tools.concept.metrics import ConsistencyReport
from tools.concept.plots import image_strip, plot_losses


@dataclass
class StylizedSet:
    """Sketches and their restylings before/after, with the consistency reports and loss history."""

    names: list[str]
    sketches: list[np.ndarray]
    before: list[np.ndarray]
    after: list[np.ndarray]
    prior: np.ndarray
    before_report: ConsistencyReport
    after_report: ConsistencyReport
    backend: str
    history: dict[str, list[float]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def write_stylized(
    result: StylizedSet,
    out: Path,
    strip_rows: int = 6,
    script: tuple[IssueScript, dict[str, str]] | None = None,
) -> dict[str, Path]:
    """Write panels, report, plots and strip; `script` = (script, panel id -> output name) to re-point art."""
    paths: dict[str, Path] = {}
    for name, before, after in zip(result.names, result.before, result.after, strict=True):
        save_gray(out / "before" / f"{name}.png", before)
        save_gray(out / "panels" / f"{name}.png", after)
    paths["report"] = write_text_atomic(out / "report.json", json.dumps(report_dict(result), indent=1))
    if result.history:
        title = (
            "Comic Book Loss fine-tuning"
            if result.backend == "style-net"
            else "best-of-N: kept candidate's BCE"
        )
        paths["losses"] = plot_losses(result.history, out / "losses.png", title)
    rows = [[s, b, a] for s, b, a in zip(result.sketches, result.before, result.after, strict=True)][
        :strip_rows
    ]
    paths["strip"] = image_strip(rows, ["sketch", "before", "after"], out / "strip.png")
    if script is not None:
        paths["script"] = write_script(script[0], script[1], out)
    return paths


def report_dict(result: StylizedSet) -> dict[str, Any]:
    return {
        "backend": result.backend,
        "panels": result.names,
        "settings": result.settings,
        "prior": result.prior.astype(int).tolist(),
        "before": result.before_report.to_dict(),
        "after": result.after_report.to_dict(),
        "history": {k: [round(v, 6) for v in values] for k, values in result.history.items()},
    }


def write_script(script: IssueScript, names: dict[str, str], out: Path) -> Path:
    """A copy of the script whose panels' art_path points at the restyled panels (absolute paths)."""
    updated = script.model_copy(deep=True)
    for page in updated.pages:
        for tier in page.tiers:
            for panel in tier.panels:
                if panel.id in names:
                    panel.art_path = str((out / "panels" / f"{names[panel.id]}.png").resolve())
    return write_text_atomic(out / "script.json", updated.model_dump_json(indent=1))


def summary_rows(before: ConsistencyReport, after: ConsistencyReport) -> list[Sequence[str]]:
    """Rows (element, p present before→after, p absent before→after, feature distance before→after)."""

    def fmt(a: float | None, b: float | None) -> str:
        return "n/a" if a is None or b is None else f"{a:.3f} → {b:.3f}"

    rows = []
    for eb in before.elements:
        ea = after.element(eb.element)
        rows.append(
            (
                eb.element,
                fmt(eb.mean_p_present, ea.mean_p_present),
                fmt(eb.mean_p_absent, ea.mean_p_absent),
                fmt(eb.feature_distance, ea.feature_distance),
            )
        )
    rows.append(("all (mean BCE)", fmt(before.mean_bce, after.mean_bce), "", ""))
    return rows
