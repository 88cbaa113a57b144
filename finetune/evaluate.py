"""Before/after measures of an adapter: held-out perplexity (transformers, with the adapter switched off
and on), generations through the runtime's own llama.cpp seam with and without the GGUF LoRA, and the
character error rate of OCR cleaning.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finetune.encode import IGNORE, count_label_tokens


@dataclass(frozen=True)
class Perplexity:
    """Mean negative log-likelihood per held-out token, and its exponential."""

    nll: float
    tokens: int

    @property
    def value(self) -> float:
        return math.exp(self.nll)


def spread(items: Sequence[Any], limit: int) -> list[Any]:
    """At most `limit` items taken evenly across `items` (a held-out novel is sampled end to end)."""
    if len(items) <= limit:
        return list(items)
    return (
        [items[round(i * (len(items) - 1) / (limit - 1))] for i in range(limit)] if limit > 1 else [items[0]]
    )


def perplexity(
    model: Any, tokenizer: Any, features: Sequence[dict[str, list[int]]], batch_size: int = 4
) -> Perplexity:
    """Perplexity of `model` on encoded features (labels -100 are not scored)."""
    import torch
    from transformers import DataCollatorForSeq2Seq

    collate = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(features), batch_size):
            part = list(features[start : start + batch_size])
            batch = {k: v.to(model.device) for k, v in collate(part).items()}
            n = count_label_tokens(part)  # the loss is their mean
            total += float(model(**batch).loss) * n
            count += n
    model.train(was_training)
    return Perplexity(total / max(1, count), count)


def before_after_perplexity(
    model: Any, tokenizer: Any, features: Sequence[dict[str, list[int]]]
) -> dict[str, float]:
    """Held-out perplexity of the base (adapter disabled) and of base + adapter."""
    with model.disable_adapter():
        before = perplexity(model, tokenizer, features)
    after = perplexity(model, tokenizer, features)
    return {
        "heldout_tokens": before.tokens,
        "ppl_before": round(before.value, 3),
        "ppl_after": round(after.value, 3),
        "ppl_change": round(after.value / before.value - 1.0, 4),
    }


def generate(
    model_name: str, prompts: Sequence[str], *, max_tokens: int, seed: int, stop: Sequence[str] = ()
) -> list[str]:
    """Completions from the runtime model seam (fresh instance: nothing cached between with/without)."""
    from tools.models import get_llm

    llm = get_llm(model_name, fresh=True)
    return [
        llm.invoke(p, max_tokens=max_tokens, temperature=0.0, seed=seed, stop=list(stop) or None).strip()
        for p in prompts
    ]


def timed_load(model_name: str) -> float:
    """Seconds the seam takes to load `model_name` and produce one token (proves the LoRA loads)."""
    from tools.models import get_llm

    start = time.perf_counter()
    get_llm(model_name, fresh=True).invoke("Tex", max_tokens=1, temperature=0.0)
    return time.perf_counter() - start


def cer(hypotheses: Sequence[str], truths: Sequence[str]) -> float:
    """Character error rate over many balloons (edits / reference characters)."""
    from tools.ocr.metrics import ErrorCounts

    counts = ErrorCounts()
    for hypothesis, truth in zip(hypotheses, truths, strict=True):
        counts.add(hypothesis, truth)
    return round(counts.cer, 4)


def cleaner_outputs(model_name: str, readings: Sequence[str]) -> tuple[list[str], int]:
    """The runtime OCR cleaner (tools/ocr/cleaner.py, small lexicon-checked edits) with this model:
    the texts it keeps and how many corrections it accepted."""
    from tools.models import get_llm
    from tools.ocr.cleaner import OcrCleaner

    cleaner = OcrCleaner(get_llm(model_name, fresh=True))
    results = [cleaner.clean(reading) for reading in readings]
    return [r.text for r in results], sum(r.accepted for r in results)


def llamacpp_logits(gguf: str, ids: Sequence[int], lora: str | None = None) -> Any:
    """llama.cpp's logits (numpy, one row per position) for token ids, with or without a GGUF LoRA."""
    import numpy as np
    from llama_cpp import Llama

    llm = Llama(
        model_path=gguf, lora_path=lora, logits_all=True, n_ctx=max(64, len(ids) + 8), verbose=False, seed=0
    )
    llm.eval(list(ids))
    return np.array(llm.scores[: len(ids)])
