"""OCR benchmark: Tesseract speed per core and the eval's quality targets on the generated validation set.

    .venv/bin/python benchmarks/ocr.py [--set NAME] [--limit N] [--no-clean]

Speed is counted in balloons per CPU-second of this process (OMP_THREAD_LIMIT=1), so other work on the
machine does not change it; wall-clock rate is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core: Tesseract would otherwise use OpenMP threads
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEED_TARGET = 10.0  # balloons/s per core, Tesseract path


def tesseract_speed(settings, set_name: str | None, count: int) -> tuple[float, float, int]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="set_name", default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-clean", action="store_true")
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from agent.cli.transcribe import print_report
    from evals.ocr import run_ocr_eval
    from tools.settings import load_settings

    settings = load_settings()
    per_cpu, per_wall, count = tesseract_speed(settings, args.set_name, 60)
    report = run_ocr_eval(settings, args.set_name, clean=not args.no_clean, limit=args.limit)
    print_report(report)
    table = Table(title="OCR benchmark vs targets")
    for column in ("measure", "value", "target", "met"):
        table.add_column(column)
    table.add_row(
        f"Tesseract balloons/s per core ({count} balloons)",
        f"{per_cpu:.1f} (wall {per_wall:.1f})",
        f">= {SPEED_TARGET:g}",
        "yes" if per_cpu >= SPEED_TARGET else "no",
    )
    for row in report["targets"].values():
        table.add_row(row["what"], f"{row['value']:.4f}", str(row["target"]), "yes" if row["met"] else "no")
    Console().print(table)


if __name__ == "__main__":
    main()
