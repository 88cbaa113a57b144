"""Fine-tuning figures against their targets.

    .venv/bin/python benchmarks/finetune.py            # the tiny chain + the adapters registered in NUVOLA_HOME
    .venv/bin/python benchmarks/finetune.py --real     # also time training steps of the packaged Gemma 270M
    .venv/bin/python benchmarks/finetune.py --quick    # make bench: 24 balloons a split for adapter CER

Quality is printed in dev and frozen columns. dev: what training held out and was tuned on (the held-out text
of each adapter, the `generated` OCR set). frozen: the `generated-frozen` OCR split (benchmarks/ocr.py: a
story and lettering hands no code or training saw). The style adapters' frozen figures are the attribution
benchmark's (benchmarks/attribution.py). The default ocr-clean training set is also checked against both
OCR splits for copied or near-copied sentences (evals/overlap.py).

The tiny chain builds a random Gemma 3, trains a LoRA, exports it to GGUF and checks llama.cpp against
transformers + peft. `--real` times batch 4 x 256 steps of the packaged Gemma (the cached dequantised base is
created on first use). Wall times depend on what else the machine runs; CPU seconds are given beside them.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

Row = tuple[str, str, str, bool | None]
QualityRow = tuple[str, str, str, str, bool | None]  # figure, dev, frozen, target, ok


def _timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), time.process_time()
    value = func(*args, **kwargs)
    return value, time.perf_counter() - start, time.process_time() - cpu


def tiny_chain(folder: Path) -> list[Row]:
    """Build, train 8 steps, export, load in llama.cpp; compare the logits."""
    import torch

    from finetune.base import load_base, resolve_base
    from finetune.data.examples import TextExample
    from finetune.encode import encode_examples
    from finetune.evaluate import llamacpp_logits
    from finetune.export import export_gguf_lora
    from finetune.tiny import build_tiny_gemma3
    from finetune.train import TrainConfig, train_lora, wrap_lora

    _, build_s, _ = _timed(build_tiny_gemma3, folder / "tiny")
    tokenizer, model = load_base(resolve_base(f"hf:{folder / 'tiny'}"))
    config = TrainConfig(steps=8, batch_size=2, block_size=32, lr=5e-2, warmup_steps=0)
    features = encode_examples(tokenizer, [TextExample("", "Tex galoppa nella prateria. " * 40)], 32)
    model = wrap_lora(model, config)
    result, train_s, _ = _timed(train_lora, model, tokenizer, features, config, folder / "work")
    gguf, export_s, _ = _timed(
        export_gguf_lora, result.peft_dir, model.get_base_model().config.to_dict(), folder / "a.gguf"
    )
    ids = tokenizer("Tex galoppa verso il forte.").input_ids
    with torch.no_grad():
        adapted = model(torch.tensor([ids])).logits[0].numpy()
        with model.disable_adapter():
            base = model(torch.tensor([ids])).logits[0].numpy()
    llama_base = llamacpp_logits(str(folder / "tiny" / "tiny.gguf"), ids)
    llama_adapted, load_s, _ = _timed(llamacpp_logits, str(folder / "tiny" / "tiny.gguf"), ids, str(gguf))
    shift = float(abs(adapted - base).max())
    error = float(abs((llama_adapted - llama_base) - (adapted - base)).max()) / shift
    return [
        ("tiny: build model + GGUF base (s)", f"{build_s:.1f}", "-", None),
        ("tiny: 8 training steps (s)", f"{train_s:.1f}", "-", None),
        ("tiny: GGUF LoRA export (s)", f"{export_s:.2f}", "< 1", export_s < 1),
        ("tiny: llama.cpp load base + LoRA, eval (s)", f"{load_s:.2f}", "< 1", load_s < 1),
        ("tiny: llama.cpp vs peft LoRA effect, max error", f"{error:.2%}", "< 5% of the shift", error < 0.05),
    ]


def real_steps(folder: Path, steps: int) -> list[Row]:
    """Time `steps` training steps of the packaged Gemma at batch 4 x 256 tokens."""
    from finetune.base import load_base, resolve_base
    from finetune.data.examples import TextExample
    from finetune.encode import encode_examples
    from finetune.train import TrainConfig, train_lora, wrap_lora

    (tokenizer, model), load_s, _ = _timed(load_base, resolve_base("llamacpp:gemma3-270m"))
    config = TrainConfig(steps=steps, warmup_steps=0, save_every=1000)
    text = "Tex Willer galoppa nella prateria con Kit Carson, che brontola contro il caldo. " * 400
    features = encode_examples(tokenizer, [TextExample("", text)], config.block_size)
    result, wall, cpu = _timed(
        train_lora, wrap_lora(model, config), tokenizer, features, config, folder / "real"
    )
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    per_step = wall / steps
    return [
        ("gemma3-270m: load base (s, cached after the first run)", f"{load_s:.1f}", "-", None),
        (
            "gemma3-270m: s/step, batch 4 x 256 (wall)",
            f"{per_step:.1f}",
            "<= 15 (unshared 2 cores)",
            per_step <= 15,
        ),
        ("gemma3-270m: CPU s/step (all threads)", f"{cpu / steps:.1f}", "-", None),
        ("gemma3-270m: tokens/s", f"{result.tokens_per_second:.0f}", ">= 68", result.tokens_per_second >= 68),
        ("gemma3-270m: peak RSS (GB)", f"{peak_gb:.1f}", "<= 8", peak_gb <= 8),
    ]


def registered(home: Path) -> list[Row]:
    """Headline figures of every adapter registered under `home`."""
    from tools.models.adapters import list_adapters

    rows: list[Row] = []
    for record in list_adapters(home):
        m = record.metrics
        if "ppl_change" in m:
            target = "<= -10%" if record.kind == "style" else "< 0"
            ok = m["ppl_change"] <= -0.10 if record.kind == "style" else m["ppl_change"] < 0
            rows.append(
                (
                    f"{record.name}: held-out perplexity {m['ppl_before']} -> {m['ppl_after']}",
                    f"{m['ppl_change']:+.1%}",
                    target,
                    ok,
                )
            )
        if "cer_adapter" in m:
            rows.append(
                (
                    f"{record.name}: CER uncleaned -> adapter",
                    f"{m['cer_uncleaned']} -> {m['cer_adapter']}",
                    "lower",
                    m["cer_adapter"] < m["cer_uncleaned"],
                )
            )
        style = m.get("style") or {}
        if style:
            rows.append(
                (
                    f"{record.name}: style score base -> adapter",
                    f"{style['base']} -> {style['adapter']}",
                    "higher",
                    style["adapter"] > style["base"],
                )
            )
    return rows


def ocr_training_leaks() -> list[QualityRow]:
    """Sentences of the default ocr-clean training set found in the dev and frozen OCR splits."""
    from evals.overlap import ShingleIndex
    from finetune.data.ocr_clean import frozen_ocr_texts, generated_set_texts, ocr_clean_set

    splits = {"dev": generated_set_texts(), "frozen": frozen_ocr_texts()}
    rows = []
    for exclude in (True, False):
        dataset = ocr_clean_set(["story-bank"], engine=None, seed=0, heldout=10, exclude_evaluation=exclude)
        used = {e.completion.strip() for e in dataset.train + dataset.heldout}
        found = {
            name: len(ShingleIndex(("eval", t) for t in texts).overlaps(used))
            for name, texts in splits.items()
        }
        label = "default" if exclude else "without the exclusion (before issue 19)"
        rows.append(
            (
                f"ocr-clean {label}: training sentences found in the split (of {len(used)})",
                str(found["dev"]),
                str(found["frozen"]),
                "0",
                (found["dev"] == 0 and found["frozen"] == 0) if exclude else None,
            )
        )
    return rows


def adapter_cer(home: Path, limit: int | None) -> list[QualityRow]:
    """CER without and with the registered ocr-clean adapter on the dev and frozen generated OCR splits."""
    import importlib.util

    from tools.models.adapters import list_adapters
    from tools.settings import load_settings

    if not any(r.kind == "ocr-clean" and r.enabled for r in list_adapters(home)):
        return [("ocr-clean adapter: none registered (nuvola finetune ocr-clean)", "-", "-", "lower", None)]
    spec = importlib.util.spec_from_file_location("bench_ocr", Path(__file__).with_name("ocr.py"))
    bench_ocr = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench_ocr)  # type: ignore[union-attr]
    settings = load_settings(home=home)
    bench_ocr.ensure_frozen_set(settings)
    cells = {}
    for split, name in (("dev", bench_ocr.DEV_SET), ("frozen", bench_ocr.FROZEN_SET)):
        scores = bench_ocr.score_split(settings, name, True, limit)
        raw, cleaned = scores.cer("ensemble"), scores.cer("ensemble+cleaning")
        cells[split] = (
            f"{raw[0]:.2%} -> {cleaned[0]:.2%} [{cleaned[1]:.2%}, {cleaned[2]:.2%}]",
            cleaned[0] < raw[0],
        )
    return [
        (
            "ocr-clean adapter: CER uncleaned -> cleaned [95 % interval]",
            cells["dev"][0],
            cells["frozen"][0],
            "lower",
            cells["dev"][1] and cells["frozen"][1],
        )
    ]


def adapter_heldout(home: Path) -> list[QualityRow]:
    """Each registered adapter's held-out figures from its report (dev: the held-out part of its sources)."""
    rows = []
    for figure, measured, target, ok in registered(home):
        rows.append((figure, measured, "see benchmarks/attribution.py", target, ok))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real", action="store_true", help="also time the packaged Gemma 270M")
    parser.add_argument("--steps", type=int, default=3, help="steps to time with --real")
    parser.add_argument("--quick", action="store_true", help="24 balloons a split for the adapter CER")
    args = parser.parse_args()
    from transformers.utils import logging as hf_logging

    from tools.settings import load_settings

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    with tempfile.TemporaryDirectory(prefix="nuvola-bench-ft-") as tmp:
        rows = tiny_chain(Path(tmp))
        if args.real:
            rows += real_steps(Path(tmp), args.steps)
    home = load_settings().home
    quality = ocr_training_leaks() + adapter_cer(home, 24 if args.quick else None) + adapter_heldout(home)
    table = Table(title="Fine-tuning: speed and the tiny chain")
    for column in ("figure", "measured", "target", "ok"):
        table.add_column(column)
    for figure, measured, target, ok in rows:
        table.add_row(figure, measured, target, _ok(ok))
    console = Console()
    console.print(table)
    table = Table(title=f"Fine-tuning quality, dev and frozen (adapters in {home})")
    for column in ("figure", "dev", "frozen", "target", "ok"):
        table.add_column(column)
    for figure, dev, frozen, target, ok in quality:
        table.add_row(figure, dev, frozen, target, _ok(ok))
    console.print(table)


def _ok(ok: bool | None) -> str:
    return "-" if ok is None else "[green]yes[/]" if ok else "[red]no[/]"


if __name__ == "__main__":
    main()
