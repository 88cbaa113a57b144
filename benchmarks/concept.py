"""Concept-art consistency benchmark: does Comic Book Loss fine-tuning make elements recognisable where the
script puts them, and absent where it does not, versus the un-fine-tuned style network?

    .venv/bin/python benchmarks/concept.py [--work /tmp/concept-bench] [--strip docs/img/concept-strip.png]

Generates an ink corpus with two recurring elements (tex, tiger) and two sets of pencil concept sketches
(one to fine-tune on, one held out), trains the element classifiers ("guide", used in the loss) and an
independent "judge" (another seed and width, its own corpus, never used in the loss), the style network,
then fine-tunes with the Comic Book Loss and prints the consistency figures before -> after.
Trained networks are cached in --work; pass --fresh to retrain.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from finetune.concept.consistency import ConsistencyConfig, finetune_consistency  # noqa: E402
from finetune.concept.elements import ElementTrainConfig, load_labelled, train_elements  # noqa: E402
from finetune.concept.style import StyleTrainConfig, train_style  # noqa: E402
from tools.atomic import write_text_atomic  # noqa: E402
from tools.concept.images import letterbox, load_gray  # noqa: E402
from tools.concept.labels import load_labels, load_priors  # noqa: E402
from tools.concept.metrics import ConsistencyReport, consistency  # noqa: E402
from tools.concept.nets import (  # noqa: E402
    ElementNet,
    limit_threads,
    load_elements,
    load_style,
    save_elements,
    save_style,
)
from tools.concept.plots import image_strip  # noqa: E402
from tools.concept.stylize import panel_images, prepare_sketches, run_style_net  # noqa: E402
from tools.concept.synthetic import write_concept_set, write_corpus  # noqa: E402

ELEMENTS = ["tex", "tiger"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/concept-bench"))
    parser.add_argument("--size", type=int, default=96, help="working resolution (square side)")
    parser.add_argument("--pages", type=int, default=50, help="corpus pages (6 panels each)")
    parser.add_argument("--panels", type=int, default=24, help="concept sketches to fine-tune on")
    parser.add_argument("--held-out", type=int, default=24, help="concept sketches never fine-tuned on")
    parser.add_argument("--concept-seed", type=int, default=11, help="seed of the sketches to fine-tune on")
    parser.add_argument("--classifier-epochs", type=int, default=30)
    parser.add_argument("--style-epochs", type=int, default=30)
    parser.add_argument("--style-weight", type=float, default=0.5, help="Gram term weight in S_j")
    parser.add_argument("--steps", type=int, default=150, help="consistency fine-tuning steps")
    parser.add_argument("--lam", type=float, default=1.0)
    parser.add_argument("--strip", type=Path, help="write the before/after strip PNG here")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy CPU)")
    parser.add_argument("--fresh", action="store_true", help="retrain everything")
    return parser.parse_args()


def cached(path: Path, fresh: bool) -> bool:
    return path.is_file() and not fresh


def classifier(
    work: Path, name: str, labels_path: Path, size: int, epochs: int, width: int, seed: int, fresh: bool
) -> tuple[ElementNet, dict]:
    """Train (or load) an element classifier; returns it with its held-out report."""
    path = work / f"{name}.pt"
    if cached(path, fresh):
        return load_elements(path), json.loads(path.with_suffix(".json").read_text())
    labels = load_labels(labels_path)
    images, targets, _ = load_labelled(labels, labels_path.parent, size)
    result = train_elements(
        images, targets, labels.elements, ElementTrainConfig(size=size, epochs=epochs, width=width, seed=seed)
    )
    save_elements(result.net, path, result.report())
    write_text_atomic(path.with_suffix(".json"), json.dumps(result.report(), indent=1))
    return result.net, result.report()


def style(
    work: Path, labels_path: Path, features: ElementNet, size: int, epochs: int, weight: float, fresh: bool
):
    path = work / "style.pt"
    if cached(path, fresh):
        return load_style(path)
    paths = load_labels(labels_path).resolve(labels_path.parent)
    panels = [letterbox(load_gray(p), size)[0] for p in paths]
    bundle = train_style(panels, features, StyleTrainConfig(size=size, epochs=epochs, style_weight=weight))
    save_style(bundle, path)
    return bundle


def row(tag: str, element: str, before: ConsistencyReport, after: ConsistencyReport) -> list[str]:
    b, a = before.element(element), after.element(element)

    def arrow(x: float | None, y: float | None, better: str) -> str:
        if x is None or y is None:
            return "n/a"
        ok = (y > x) if better == "up" else (y < x)
        return f"{x:.3f} → {y:.3f} {'✓' if ok else '✗'}"

    return [
        tag,
        element,
        arrow(b.mean_p_present, a.mean_p_present, "up"),
        arrow(b.mean_p_absent, a.mean_p_absent, "down"),
        arrow(b.feature_distance, a.feature_distance, "down"),
    ]


def print_table(rows: list[list[str]]) -> None:
    head = ["set / judged by", "element", "mean p where p̂=1 (↑)", "mean p where p̂=0 (↓)", "feature dist (↓)"]
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    args = parse_args()
    limit_threads(args.threads)
    work = args.work
    start = time.perf_counter()
    corpus = write_corpus(work / "corpus", args.pages, ELEMENTS, args.size, seed=0)
    judge_corpus = write_corpus(work / "judge-corpus", args.pages, ELEMENTS, args.size, seed=7)
    tune = write_concept_set(
        work / f"concept-{args.concept_seed}", args.panels, ELEMENTS, args.size, seed=args.concept_seed
    )
    held = write_concept_set(work / "held-out", args.held_out, ELEMENTS, args.size, seed=23)
    guide, guide_report = classifier(
        work, "guide", corpus.labels, args.size, args.classifier_epochs, 16, 0, args.fresh
    )
    judge, judge_report = classifier(
        work, "judge", judge_corpus.labels, args.size, args.classifier_epochs, 24, 1, args.fresh
    )
    bundle = style(work, corpus.labels, guide, args.size, args.style_epochs, args.style_weight, args.fresh)
    trained = time.perf_counter()

    tune_labels, _ = load_priors(tune.script, tune.sketches, ELEMENTS)
    tune_batch = prepare_sketches([Path(p.image) for p in tune_labels.panels], args.size)
    config = ConsistencyConfig(steps=args.steps, lam=args.lam, style_weight=args.style_weight)
    result = finetune_consistency(bundle, guide, tune_batch.tensor, tune_labels.matrix(), config)
    tuned = time.perf_counter()

    held_labels, _ = load_priors(held.script, held.sketches, ELEMENTS)
    held_batch = prepare_sketches([Path(p.image) for p in held_labels.panels], args.size)
    held_before = run_style_net(bundle.net, held_batch.tensor)
    held_after = run_style_net(result.bundle.net, held_batch.tensor)

    reports = {
        "fine-tuned set / guide": (result.before_report, result.after_report),
        "fine-tuned set / judge": (
            consistency(judge, result.before, tune_labels.matrix()),
            consistency(judge, result.after, tune_labels.matrix()),
        ),
        "held-out set / guide": (
            consistency(guide, held_before, held_labels.matrix()),
            consistency(guide, held_after, held_labels.matrix()),
        ),
        "held-out set / judge": (
            consistency(judge, held_before, held_labels.matrix()),
            consistency(judge, held_after, held_labels.matrix()),
        ),
    }
    rows = [row(tag, e, b, a) for tag, (b, a) in reports.items() for e in ELEMENTS]
    bce_first, bce_last = result.history.mean_first_last("bce", k=10)
    print(
        f"\nConcept-art consistency at {args.size}px: corpus {args.pages} pages, fine-tune on {args.panels} "
        f"sketches, {args.held_out} held out, {args.steps} steps, λ={args.lam}"
    )
    print(
        f"classifiers (held-out on their corpus): guide {fmt_scores(guide_report)}; judge {fmt_scores(judge_report)}"
    )
    print(f"style net L1: {bundle.history['l1'][0]:.4f} → {np.mean(bundle.history['l1'][-10:]):.4f}")
    print(f"BCE term during fine-tuning (mean of first/last 10 steps): {bce_first:.3f} → {bce_last:.3f}\n")
    print_table(rows)
    for tag, (b, a) in reports.items():
        print(
            f"{tag}: mean BCE {b.mean_bce:.3f} → {a.mean_bce:.3f}, agreement with p̂ {b.agreement:.2f} → {a.agreement:.2f}"
        )
    print(
        f"\ntime: training {trained - start:.0f}s, fine-tuning {tuned - trained:.0f}s "
        f"({(tuned - trained) / args.steps:.2f}s/step)"
    )
    out = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "bce_first_last": [bce_first, bce_last],
        "reports": {k: {"before": b.to_dict(), "after": a.to_dict()} for k, (b, a) in reports.items()},
        "classifiers": {"guide": guide_report, "judge": judge_report},
        "consistency": asdict(config),
    }
    write_text_atomic(work / "results.json", json.dumps(out, indent=1))
    if args.strip:
        write_strip(args.strip, tune_batch, result, tune.reference, tune_labels)
        print(f"strip: {args.strip} ({args.strip.stat().st_size // 1024} KB)")


def change(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Where fine-tuning changed the panel: |after - before| x 4, dark on white."""
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)) * 4
    return (255 - np.clip(diff, 0, 255)).astype(np.uint8)


def fmt_scores(report: dict) -> str:
    return ", ".join(
        f"{s['element']} acc {s['accuracy']:.2f} AUC {s['auc']:.2f}"
        for s in report["scores"]
        if s["accuracy"] is not None and s["auc"] is not None
    )


def write_strip(path: Path, batch, result, reference_dir: Path, labels) -> None:
    """sketch | before | after | change | the same scene in ink, for panels with each element and neither."""
    sketches = panel_images(batch.tensor, batch.boxes)
    before, after = panel_images(result.before, batch.boxes), panel_images(result.after, batch.boxes)
    prior = labels.matrix()
    picks: list[int] = []
    for want in ([1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1]):
        for j in range(len(prior)):
            if prior[j].tolist() == want and j not in picks:
                picks.append(j)
                break
    rows = [
        [
            sketches[j],
            before[j],
            after[j],
            change(before[j], after[j]),
            load_gray(reference_dir / f"{labels.panels[j].name}.png"),
        ]
        for j in picks
    ]
    captions = [
        f"row {k + 1}: {'+'.join(labels.panels[j].elements) or 'neither'}" for k, j in enumerate(picks)
    ]
    image_strip(
        rows,
        ["concept sketch", "before", "after", "change x4", "ink reference"],
        path,
        cell=120,
        captions=captions,
    )


if __name__ == "__main__":
    main()
