"""One fine-tuning job end to end: data -> LoRA training -> peft + GGUF export -> before/after report ->
registered adapter under NUVOLA_HOME/adapters/<slug>/.

Work files (data, checkpoints, the step log) stay in `<slug>/work/` so an interrupted run resumes; the
adapter is registered (its manifest written) only once every file is in place.
"""

from __future__ import annotations

import gc
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from finetune.base import BaseRef, architecture, load_base, resolve_base
from finetune.data.examples import TextExample, TrainingSet
from finetune.encode import encode_examples
from finetune.evaluate import before_after_perplexity, cer, cleaner_outputs, generate, spread, timed_load
from finetune.export import ExportError, export_gguf_lora
from finetune.report import write_json, write_report
from finetune.train import StepEvent, TrainConfig, TrainResult, device_name, train_lora, uses_bf16, wrap_lora
from tools.models.adapters import AdapterRecord, adapter_dir, register_adapter, with_adapter_path

Status = Callable[[str], None]
STYLE_PROMPT_CHARS = 400


@dataclass
class FinetuneJob:
    """What to train: the adapter's registry name and kind, the base model, and the hyper-parameters."""

    name: str
    kind: str
    base: str = "llamacpp:gemma3-270m"
    config: TrainConfig = field(default_factory=TrainConfig)
    eval_blocks: int = 24
    samples: int = 6
    sample_tokens: int = 100
    restart: bool = False
    contrast: tuple[Path, ...] = ()  # other styles the style score compares against


@dataclass
class FinetuneOutcome:
    """The registered adapter and its report."""

    record: AdapterRecord
    report: dict[str, Any]
    folder: Path


def _dataset_digest(dataset: TrainingSet) -> str:
    text = json.dumps([asdict(e) for e in dataset.train], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepare_work(work: Path, job: FinetuneJob, dataset: TrainingSet, status: Status) -> None:
    """Keep checkpoints only when they belong to the same base, data and hyper-parameters."""
    identity = {"base": job.base, "data": _dataset_digest(dataset), "config": job.config.fingerprint()}
    stamp = work / "job.json"
    previous = json.loads(stamp.read_text("utf-8")) if stamp.is_file() else None
    if (job.restart or previous != identity) and (work / "checkpoints").exists():
        status(
            "starting afresh: "
            + ("--restart given" if job.restart else "data or settings changed since the checkpoint")
        )
        shutil.rmtree(work / "checkpoints")
    dataset.save(work / "data")
    write_json(stamp, identity)


def _install(source: Path, target: Path) -> None:
    """Move a finished file or folder over the adapter's previous one."""
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    shutil.move(str(source), str(target))


def export_files(
    folder: Path, result: TrainResult, base_config: dict[str, Any], status: Status
) -> tuple[str | None, str | None]:
    """Install the peft adapter and, when the architecture is supported, its GGUF LoRA; (gguf, peft) names."""
    write_json(result.peft_dir / "base_config.json", base_config)
    gguf: str | None = "adapter.gguf"
    try:
        export_gguf_lora(result.peft_dir, base_config, folder / "work" / "adapter.gguf")
        _install(folder / "work" / "adapter.gguf", folder / "adapter.gguf")
    except ExportError as exc:
        status(f"no GGUF export: {exc}")
        gguf = None
    _install(result.peft_dir, folder / "peft")
    return gguf, "peft"


def style_prompts(dataset: TrainingSet, count: int) -> list[str]:
    """Openings of held-out passages (cut at a word) for generations with and without the adapter."""
    openings = [e.completion[:STYLE_PROMPT_CHARS].rsplit(" ", 1)[0] for e in dataset.heldout if e.completion]
    return spread(openings, count)


def dialogue_prompts(dataset: TrainingSet, count: int) -> list[str]:
    """Held-out conversations cut after the last speaker's label, as the voice writer's prompt ends."""
    prompts = []
    for example in dataset.heldout:
        head, _, _ = example.completion.rpartition(": «")
        if head:
            prompts.append(head + ":")
    return spread(prompts, count)


def ocr_measures(dataset: TrainingSet, base_name: str, adapted: str) -> dict[str, Any]:
    """CER on the held-out balloons: uncleaned, the runtime cleaner with the base and with the adapter,
    and the adapter's raw corrections (no edit bound, no lexicon check)."""
    held = [e for e in dataset.heldout if e.original]
    readings, truths = [e.original for e in held], [e.completion.strip() for e in held]
    base_clean, base_accepted = cleaner_outputs(base_name, readings)
    mine_clean, mine_accepted = cleaner_outputs(adapted, readings)
    raw = generate(adapted, [e.prompt for e in held], max_tokens=96, seed=0, stop=["\n"])
    return {
        "balloons": len(held),
        "cer_uncleaned": cer(readings, truths),
        "cer_base": cer(base_clean, truths),
        "cer_adapter": cer(mine_clean, truths),
        "cer_adapter_raw": cer([r or x for r, x in zip(raw, readings, strict=True)], truths),
        "accepted_base": base_accepted,
        "accepted_adapter": mine_accepted,
    }


def runtime_measures(
    job: FinetuneJob, dataset: TrainingSet, base_name: str, record: AdapterRecord, status: Status
) -> dict[str, Any]:
    """Through the runtime seam: LoRA load time, generations with/without, and CER for OCR cleaning."""
    adapted = with_adapter_path(base_name, record)
    out: dict[str, Any] = {"gguf_load_seconds": round(timed_load(adapted), 3)}
    if job.kind == "ocr-clean":
        status("measuring CER of OCR cleaning on the held-out balloons")
        out["ocr"] = ocr_measures(dataset, base_name, adapted)
        return out
    if job.kind == "style":
        prompts = style_prompts(dataset, job.samples)
    elif job.kind == "dialogue":
        prompts = dialogue_prompts(dataset, job.samples)
    else:
        prompts = [e.prompt for e in spread(dataset.heldout, job.samples)]
    stop = [] if job.kind == "style" else ["»", "\n"] if job.kind == "dialogue" else ["\n"]
    status(f"generating {len(prompts)} samples with and without the adapter")
    base = generate(base_name, prompts, max_tokens=job.sample_tokens, seed=job.config.seed, stop=stop)
    mine = generate(adapted, prompts, max_tokens=job.sample_tokens, seed=job.config.seed, stop=stop)
    out["samples"] = [
        {"prompt": p, "base": b, "adapter": a} for p, b, a in zip(prompts, base, mine, strict=True)
    ]
    if job.kind == "style":
        from finetune.style_score import style_score_report

        heldout = "\n".join(e.completion for e in dataset.heldout)  # the target style, never trained on
        training = "\n".join(e.completion for e in dataset.train)  # only to find copied passages
        out["style"] = style_score_report([heldout], job.contrast, base, mine, training_texts=[training])
    return out


def _train(
    job: FinetuneJob,
    ref: BaseRef,
    dataset: TrainingSet,
    work: Path,
    on_step: Callable[[StepEvent], None] | None,
    status: Status,
) -> tuple[TrainResult, dict[str, Any], dict[str, Any]]:
    status(f"loading the base model {job.base}")
    tokenizer, model = load_base(ref)
    features = encode_examples(tokenizer, dataset.train, job.config.block_size)
    heldout = spread(encode_examples(tokenizer, dataset.heldout, job.config.block_size), job.eval_blocks)
    model = wrap_lora(model, job.config)
    status(f"training on {len(features)} sequences ({device_name()})")
    result = train_lora(model, tokenizer, features, job.config, work, on_step)
    status(f"held-out perplexity on {len(heldout)} sequences, without and with the adapter")
    ppl = before_after_perplexity(model, tokenizer, heldout)
    base_config = model.get_base_model().config.to_dict()
    base_config["model_type"] = architecture(model.get_base_model())
    del model
    gc.collect()
    return result, ppl, base_config


def run_finetune(
    home: Path,
    job: FinetuneJob,
    dataset: TrainingSet,
    on_step: Callable[[StepEvent], None] | None = None,
    status: Status = lambda message: None,
) -> FinetuneOutcome:
    """Train, export, measure and register the adapter `job.name`; returns the record and the report."""
    started = time.monotonic()
    folder = adapter_dir(home, job.name)
    work = folder / "work"
    ref = resolve_base(job.base)
    prepare_work(work, job, dataset, status)
    result, ppl, base_config = _train(job, ref, dataset, work, on_step, status)
    gguf, peft = export_files(folder, result, base_config, status)
    record = AdapterRecord(
        name=job.name,
        kind=job.kind,
        base=ref.name,
        gguf=gguf,
        peft=peft,
        rank=job.config.rank,
        alpha=job.config.alpha,
        target_modules=list(job.config.target_modules),
        steps=result.steps,
        report="report.md",
        directory=folder,
    )
    report = _report(job, dataset, ref, result, ppl)
    if gguf is not None or ref.backend == "hf":
        report.update(runtime_measures(job, dataset, ref.name, record, status))
    report["total_seconds"] = round(time.monotonic() - started, 1)
    write_report(folder, report, result.log)
    record = record.model_copy(update={"metrics": _headline(report)})
    return FinetuneOutcome(register_adapter(home, record), report, folder)


def _report(
    job: FinetuneJob, dataset: TrainingSet, ref: BaseRef, result: TrainResult, ppl: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": job.name,
        "kind": job.kind,
        "base": ref.name,
        "dataset": dataset.summary(),
        "config": {**asdict(job.config), "target_modules": list(job.config.target_modules)},
        "training": {
            "steps": result.steps,
            "seconds": round(result.seconds, 1),
            "cpu_seconds": round(result.cpu_seconds, 1),
            "tokens": result.tokens,
            "tokens_per_second": round(result.tokens_per_second, 1),
            "device": device_name(),
            "precision": "bf16 mixed" if uses_bf16(job.config) else "fp32",
            "resumed_from": result.resumed_from,
            "stopped_by_budget": result.stopped_by_budget,
            "final_loss": round(result.log[-1]["loss"], 4) if result.log else None,
        },
        "perplexity": ppl,
    }


def _headline(report: dict[str, Any]) -> dict[str, Any]:
    """The few figures `nuvola adapters list` shows."""
    out: dict[str, Any] = {k: report["perplexity"][k] for k in ("ppl_before", "ppl_after", "ppl_change")}
    if "ocr" in report:
        out.update({k: report["ocr"][k] for k in ("cer_uncleaned", "cer_adapter")})
    if "style" in report and report["style"].get("scores"):
        out["style"] = report["style"]["scores"]
    return out


def example_preview(examples: list[TextExample], count: int = 2) -> list[dict[str, str]]:
    """A couple of examples, for `--dry-run` output."""
    return [{"prompt": e.prompt[-200:], "completion": e.completion[:200]} for e in examples[:count]]
