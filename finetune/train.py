"""LoRA training with transformers' Trainer and peft: CPU-budget defaults, GPU when present, seeded,
resumable from its checkpoints, a step log for the loss curve, and an optional wall-time budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.errors import NuvolaError

ALL_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainingError(NuvolaError):
    """Training could not start or run (no data, bad options)."""


@dataclass
class TrainConfig:
    """Hyper-parameters; the defaults fit ~15 minutes of a 2-core CPU on the 270M Gemma."""

    steps: int = 60
    rank: int = 8
    alpha: float = 16.0
    lr: float = 1e-3
    batch_size: int = 4
    grad_accum: int = 1
    block_size: int = 256
    warmup_steps: int = 4
    seed: int = 0
    dropout: float = 0.0
    target_modules: tuple[str, ...] = ALL_PROJECTIONS
    save_every: int = 10
    max_minutes: float | None = None
    bf16: bool | None = None  # None: where the hardware computes bf16 natively (CUDA, AVX512-BF16/AMX CPUs)

    def fingerprint(self) -> dict[str, Any]:
        """What must match for a checkpoint to be resumed (the budget may change between runs)."""
        data = asdict(self)
        data.pop("max_minutes")
        data.pop("steps")
        data.pop("bf16")
        data["target_modules"] = list(self.target_modules)
        return data


@dataclass(frozen=True)
class StepEvent:
    """Progress after one optimiser step, for a progress bar."""

    step: int
    max_steps: int
    loss: float
    learning_rate: float
    tokens: int
    elapsed: float
    tokens_per_second: float
    eta_seconds: float


@dataclass
class TrainResult:
    """What a training run left: the saved adapter, its step log and how long it took."""

    peft_dir: Path
    steps: int
    log: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    tokens: int = 0
    resumed_from: int | None = None
    stopped_by_budget: bool = False

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def device_name() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def native_bf16() -> bool:
    """Whether bf16 matmuls run natively here (about 4x the fp32 speed on an AVX512-BF16 CPU)."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def wrap_lora(model: Any, config: TrainConfig) -> Any:
    """The model with fresh LoRA adapters on the projections it has (seeded)."""
    from peft import LoraConfig, get_peft_model
    from transformers import set_seed

    names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    targets = [m for m in config.target_modules if m in names]
    if not targets:
        raise TrainingError(f"the model has none of the target modules {', '.join(config.target_modules)}")
    set_seed(config.seed)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


class _ListDataset:
    """The encoded features as a map-style dataset."""

    def __init__(self, features: Sequence[dict[str, list[int]]]) -> None:
        self.features = list(features)

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.features[index]


def _callback(config: TrainConfig, on_step: Callable[[StepEvent], None] | None) -> Any:
    from transformers import TrainerCallback

    class StepReporter(TrainerCallback):
        """Reports each logged step (speed counted from this session's start) and enforces the time budget."""

        start = 0.0
        initial_step = 0
        initial_tokens = 0
        stopped_by_budget = False

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.start = time.monotonic()
            self.initial_step, self.initial_tokens = state.global_step, int(state.num_input_tokens_seen)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if config.max_minutes is not None and time.monotonic() - self.start > config.max_minutes * 60:
                self.stopped_by_budget = True
                control.should_training_stop = True
                control.should_save = True

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any
        ) -> None:
            if not logs or "loss" not in logs or on_step is None:
                return
            elapsed = time.monotonic() - self.start
            tokens = int(logs.get("num_input_tokens_seen", state.num_input_tokens_seen))
            per_step = elapsed / max(1, state.global_step - self.initial_step)
            on_step(
                StepEvent(
                    step=state.global_step,
                    max_steps=state.max_steps,
                    loss=float(logs["loss"]),
                    learning_rate=float(logs.get("learning_rate", 0.0)),
                    tokens=tokens,
                    elapsed=elapsed,
                    tokens_per_second=(tokens - self.initial_tokens) / elapsed if elapsed else 0.0,
                    eta_seconds=per_step * max(0, state.max_steps - state.global_step),
                )
            )

    return StepReporter()


def uses_bf16(config: TrainConfig) -> bool:
    return native_bf16() if config.bf16 is None else config.bf16


def training_arguments(config: TrainConfig, output_dir: Path) -> Any:
    """transformers TrainingArguments for a LoRA run (no hub, no tqdm, one step per log line)."""
    import torch
    from transformers import TrainingArguments

    cuda = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=str(output_dir),
        max_steps=config.steps,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.lr,
        lr_scheduler_type="cosine",
        warmup_steps=config.warmup_steps,
        weight_decay=0.0,
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.save_every,
        save_total_limit=1,
        seed=config.seed,
        data_seed=config.seed,
        report_to="none",
        disable_tqdm=True,
        use_cpu=not cuda,
        bf16=uses_bf16(config),  # mixed precision: fp32 master weights, bf16 matmuls (autocast)
        dataloader_num_workers=0,
        remove_unused_columns=False,
        include_num_input_tokens_seen="non_padding",
    )


def last_checkpoint(output_dir: Path) -> Path | None:
    """The newest `checkpoint-N` folder the Trainer left, if any."""
    found = (
        [p for p in output_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
        if output_dir.is_dir()
        else []
    )
    return max(found, key=lambda p: int(p.name.split("-")[-1]), default=None)


def train_lora(
    model: Any,
    tokenizer: Any,
    features: Sequence[dict[str, list[int]]],
    config: TrainConfig,
    work_dir: Path,
    on_step: Callable[[StepEvent], None] | None = None,
) -> TrainResult:
    """Train the LoRA-wrapped `model` on `features`; resumes from `work_dir/checkpoints` when one is there."""
    from transformers import DataCollatorForSeq2Seq, PrinterCallback, Trainer

    if not features:
        raise TrainingError("the training set is empty after tokenisation")
    checkpoints = work_dir / "checkpoints"
    resume = last_checkpoint(checkpoints)
    reporter = _callback(config, on_step)
    trainer = Trainer(
        model=model,
        args=training_arguments(config, checkpoints),
        train_dataset=_ListDataset(features),
        data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100),
        callbacks=[reporter],
    )
    trainer.remove_callback(PrinterCallback)  # progress goes through `on_step`, not print()
    start, cpu_start = time.monotonic(), time.process_time()
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds, cpu_seconds = time.monotonic() - start, time.process_time() - cpu_start
    peft_dir = work_dir / "peft"
    model.save_pretrained(str(peft_dir))
    log = [_log_row(row) for row in trainer.state.log_history if "loss" in row]
    return TrainResult(
        peft_dir=peft_dir,
        steps=trainer.state.global_step,
        log=log,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        tokens=int(trainer.state.num_input_tokens_seen) - reporter.initial_tokens,
        resumed_from=int(resume.name.split("-")[-1]) if resume else None,
        stopped_by_budget=reporter.stopped_by_budget,
    )


def _log_row(row: dict[str, Any]) -> dict[str, float]:
    keep = ("step", "loss", "learning_rate", "grad_norm", "epoch", "num_input_tokens_seen")
    return {
        k: float(row[k]) for k in keep if k in row and not (isinstance(row[k], float) and math.isnan(row[k]))
    }
