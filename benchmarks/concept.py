"""Concept-art consistency benchmark: does Comic Book Loss fine-tuning make elements recognisable where the
script puts them, and absent where it does not, versus the un-fine-tuned style network?

    .venv/bin/python benchmarks/concept.py [--quick] [--work /tmp/concept-bench] [--strip docs/img/concept-strip.png]

Generates an ink corpus with two recurring elements (tex, tiger), trains the element classifier used in the
loss ("guide"), a second net on its own corpus ("judge", another seed and width) and an "auditor" of another
family (logistic regression on pooled pixels and edges, its own corpus: never used in a loss or to pick
anything), and the style network. Then, for every run seed of evals/data/concept_frozen.yaml, fine-tunes with
the Comic Book Loss on that seed's sketches and scores before -> after on:
- dev: the sketches fine-tuned on, and the held-out set the benchmark was developed on (seed 23);
- frozen: held-out scenes from that seed's frozen scene seed, never rendered while the code was changed.
The table gives, per scorer, the separation (mean p where the script puts an element minus mean p where it
does not, averaged over elements) before -> after and its change with a 95 % t-interval over the run seeds.
Trained networks are cached in --work; pass --fresh to retrain.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch.nn import functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from finetune.concept.consistency import ConsistencyConfig, finetune_consistency  # noqa: E402
from finetune.concept.elements import ElementTrainConfig, load_labelled, train_elements  # noqa: E402
from finetune.concept.style import StyleTrainConfig, train_style  # noqa: E402
from tools.atomic import write_text_atomic  # noqa: E402
from tools.concept.images import letterbox, load_gray  # noqa: E402
from tools.concept.labels import load_labels, load_priors  # noqa: E402
from tools.concept.metrics import consistency  # noqa: E402
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

SPLITS = yaml.safe_load((REPO / "evals" / "data" / "concept_frozen.yaml").read_text("utf-8"))
ELEMENTS = list(SPLITS["elements"])
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}  # t(0.975, n - 1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="48 px, small corpora, 40 steps (make bench)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/concept-bench"))
    parser.add_argument("--size", type=int, default=64, help="working resolution (square side)")
    parser.add_argument("--pages", type=int, default=40, help="corpus pages (6 panels each), per classifier")
    parser.add_argument("--panels", type=int, default=24, help="concept sketches to fine-tune on, per seed")
    parser.add_argument("--held-out", type=int, default=24, help="held-out sketches per set")
    parser.add_argument("--classifier-epochs", type=int, default=25)
    parser.add_argument("--style-epochs", type=int, default=25)
    parser.add_argument("--style-weight", type=float, default=0.5, help="Gram term weight in S_j")
    parser.add_argument("--steps", type=int, default=100, help="consistency fine-tuning steps per seed")
    parser.add_argument("--lam", type=float, default=1.0)
    parser.add_argument("--strip", type=Path, help="write the before/after strip PNG (first seed) here")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy CPU)")
    parser.add_argument("--fresh", action="store_true", help="retrain everything")
    args = parser.parse_args()
    if args.quick:
        args.size, args.pages, args.panels, args.held_out = 48, 20, 12, 12
        args.classifier_epochs, args.style_epochs, args.steps = 12, 12, 40
    return args


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


@dataclass
class Batch:
    """Sketches letterboxed to the working size, their boxes, the prior p̂ (J, I) and their labels."""

    tensor: torch.Tensor
    boxes: list
    prior: np.ndarray
    labels: Any
    reference: Path


def concept_batch(out: Path, panels: int, seed: int, size: int) -> Batch:
    """Draw (or reuse) a concept set of `panels` sketches from `seed` and load it."""
    paths = write_concept_set(out, panels, ELEMENTS, size, seed=seed)
    labels, _ = load_priors(paths.script, paths.sketches, ELEMENTS)
    batch = prepare_sketches([Path(p.image) for p in labels.panels], size)
    return Batch(batch.tensor, batch.boxes, labels.matrix(), labels, paths.reference)


def pooled_features(images: torch.Tensor, side: int = 24) -> np.ndarray:
    """Pixels and edge strength, each average-pooled to side x side: the auditor's input."""
    x = images.float()
    gx = F.pad((x[..., :, 1:] - x[..., :, :-1]).abs(), (0, 1))
    gy = F.pad((x[..., 1:, :] - x[..., :-1, :]).abs(), (0, 0, 0, 1))
    pooled = [F.adaptive_avg_pool2d(t, side).flatten(1) for t in (x, gx + gy)]
    return torch.cat(pooled, dim=1).numpy()


@dataclass
class Auditor:
    """One logistic regression per element on pooled pixels and edges (scikit-learn): another model family
    than the nets, trained on its own corpus, never used in a loss or to choose anything."""

    models: list
    report: dict

    def probabilities(self, images: torch.Tensor) -> np.ndarray:
        features = pooled_features(images)
        return np.stack([m.predict_proba(features)[:, 1] for m in self.models], axis=1)


def train_auditor(labels_path: Path, size: int, seed: int = 41) -> Auditor:
    """Fit the auditor; its report holds accuracy and AUC on a fifth of its corpus held out."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    labels = load_labels(labels_path)
    images, targets, _ = load_labelled(labels, labels_path.parent, size)
    features = pooled_features(images)
    order = np.random.default_rng(seed).permutation(len(features))
    train, test = order[: int(len(order) * 0.8)], order[int(len(order) * 0.8) :]
    models, scores = [], []
    for i, element in enumerate(labels.elements):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=3000))
        p = model.fit(features[train], targets[train, i]).predict_proba(features[test])[:, 1]
        y = targets[test, i]
        auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
        scores.append({"element": element, "accuracy": float(((p > 0.5) == (y > 0.5)).mean()), "auc": auc})
        models.append(model.fit(features, targets[:, i]))  # refit on the whole corpus for scoring
    return Auditor(models, {"scores": scores})


def separation(p: np.ndarray, prior: np.ndarray) -> float:
    """Mean over elements of (mean p where p̂ = 1) - (mean p where p̂ = 0); elements lacking either skipped."""
    gaps = [
        p[prior[:, i] > 0.5, i].mean() - p[prior[:, i] <= 0.5, i].mean()
        for i in range(prior.shape[1])
        if 0 < (prior[:, i] > 0.5).sum() < len(prior)
    ]
    return float(np.mean(gaps)) if gaps else float("nan")


def probabilities(scorer: ElementNet | Auditor, images: torch.Tensor, prior: np.ndarray) -> np.ndarray:
    if isinstance(scorer, Auditor):
        return scorer.probabilities(images)
    return np.asarray(consistency(scorer, images, prior).probabilities)


def t_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95 % t-interval over run seeds."""
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if len(data) < 2:
        return mean, float("nan"), float("nan")
    half = T95.get(len(data) - 1, 1.96) * float(data.std(ddof=1)) / np.sqrt(len(data))
    return mean, mean - half, mean + half


def print_table(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


Scores = dict[str, dict[str, list[tuple[float, float]]]]  # set -> scorer -> (before, after) per seed


def score_seed(scorers: dict[str, ElementNet | Auditor], sets: dict[str, tuple], results: Scores) -> None:
    """Separation before and after under every scorer, for every set of one run seed."""
    for set_name, (prior, before, after) in sets.items():
        for scorer_name, scorer in scorers.items():
            pair = (
                separation(probabilities(scorer, before, prior), prior),
                separation(probabilities(scorer, after, prior), prior),
            )
            results.setdefault(set_name, {}).setdefault(scorer_name, []).append(pair)


def print_results(results: Scores, scorers: list[str]) -> None:
    print(
        "separation = mean p where the script puts an element - mean p where it does not (higher is better)"
    )
    print("before -> after: means over run seeds; change: mean [95 % t-interval over run seeds]\n")
    rows = []
    for scorer_name in scorers:
        cells = []
        for set_name in results:
            pairs = results[set_name][scorer_name]
            b, a = float(np.nanmean([x for x, _ in pairs])), float(np.nanmean([y for _, y in pairs]))
            d, lo, hi = t_interval([y - x for x, y in pairs])
            cells.append(f"{b:.3f} -> {a:.3f} | {d:+.3f} [{lo:+.3f}, {hi:+.3f}]")
        rows.append([scorer_name, *cells])
    print_table(["scorer", *results], rows)


def main() -> None:
    args = parse_args()
    limit_threads(args.threads)
    work = args.work / f"s{args.size}-p{args.pages}-e{args.classifier_epochs}"
    start = time.perf_counter()
    corpora = {
        name: write_corpus(work / f"corpus-{name}", args.pages, ELEMENTS, args.size, seed=seed)
        for name, seed in SPLITS["corpus_seeds"].items()
    }
    guide, guide_report = classifier(
        work, "guide", corpora["guide"].labels, args.size, args.classifier_epochs, 16, 0, args.fresh
    )
    judge, judge_report = classifier(
        work, "judge", corpora["judge"].labels, args.size, args.classifier_epochs, 24, 1, args.fresh
    )
    auditor = train_auditor(corpora["auditor"].labels, args.size)
    bundle = style(
        work, corpora["guide"].labels, guide, args.size, args.style_epochs, args.style_weight, args.fresh
    )
    trained = time.perf_counter()
    scorers: dict[str, ElementNet | Auditor] = {
        "auditor": auditor,
        "judge": judge,
        "guide (in the loss)": guide,
    }
    dev_held = concept_batch(work / "dev-held-out", args.held_out, SPLITS["dev_held_out_seed"], args.size)
    results: Scores = {}
    for run_seed, frozen_seed in zip(SPLITS["run_seeds"], SPLITS["frozen_scene_seeds"], strict=True):
        tune = concept_batch(work / f"tune-{run_seed}", args.panels, 11 + 100 * run_seed, args.size)
        frozen = concept_batch(work / f"frozen-{frozen_seed}", args.held_out, frozen_seed, args.size)
        config = ConsistencyConfig(
            steps=args.steps, lam=args.lam, style_weight=args.style_weight, seed=run_seed
        )
        result = finetune_consistency(bundle, guide, tune.tensor, tune.prior, config)
        held = {"dev: held-out (seed 23)": dev_held, "frozen: held-out scenes": frozen}
        sets = {"dev: fine-tuned on": (tune.prior, result.before, result.after)}
        for name, batch in held.items():
            before, after = (
                run_style_net(bundle.net, batch.tensor),
                run_style_net(result.bundle.net, batch.tensor),
            )
            sets[name] = (batch.prior, before, after)
        score_seed(scorers, sets, results)
        print(
            f"run seed {run_seed}: {args.steps} steps, {time.perf_counter() - trained:.0f} s so far",
            flush=True,
        )
        if args.strip and run_seed == SPLITS["run_seeds"][0]:
            write_strip(args.strip, tune, result, tune.reference, tune.labels)
    print(
        f"\nConcept-art consistency at {args.size}px: corpora of {args.pages} pages, {args.panels} sketches "
        f"fine-tuned per seed, {args.held_out} per held-out set, {args.steps} steps, λ={args.lam}; run seeds "
        f"{SPLITS['run_seeds']}, frozen scene seeds {SPLITS['frozen_scene_seeds']} (evals/data/concept_frozen.yaml)"
    )
    print(
        f"scorers on a held-out fifth of their own corpus: guide {fmt_scores(guide_report)}; judge "
        f"{fmt_scores(judge_report)}; auditor {fmt_scores(auditor.report)}\n"
    )
    print_results(results, list(scorers))
    print(
        f"\ntime: training {trained - start:.0f} s, {len(SPLITS['run_seeds'])} seeds fine-tuned and scored "
        f"{time.perf_counter() - trained:.0f} s"
    )
    out = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "splits": SPLITS,
        "results": results,
        "classifiers": {"guide": guide_report, "judge": judge_report, "auditor": auditor.report},
    }
    write_text_atomic(work / "results.json", json.dumps(out, indent=1))


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
