"""Examples -> token blocks for the trainer: packed language-model blocks, or prompt-masked pairs.

Every block starts with BOS, as llama.cpp's prompts do, so the adapter learns the context it runs in.
Labels are -100 where no loss is taken (the prompt, padding).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finetune.data.examples import TextExample

IGNORE = -100


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []


def _bos(tokenizer: Any) -> list[int]:
    return [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []


def pack_texts(tokenizer: Any, texts: Sequence[str], block_size: int) -> list[dict[str, list[int]]]:
    """Texts joined by EOS and cut into full blocks of `block_size` tokens (BOS + text), all learned."""
    stream: list[int] = []
    for text in texts:
        stream += _ids(tokenizer, text) + [tokenizer.eos_token_id]
    bos = _bos(tokenizer)
    step = block_size - len(bos)
    blocks = [bos + stream[i : i + step] for i in range(0, len(stream) - step + 1, step)]
    if not blocks and stream:  # a short text still gives one (shorter) block
        blocks = [bos + stream]
    return [{"input_ids": b, "attention_mask": [1] * len(b), "labels": list(b)} for b in blocks]


def encode_pair(tokenizer: Any, example: TextExample, max_length: int) -> dict[str, list[int]]:
    """BOS + prompt + completion + EOS; the loss covers the completion and EOS; long prompts lose their start."""
    completion = _ids(tokenizer, example.completion) + [tokenizer.eos_token_id]
    completion = completion[: max(1, max_length - 1)]
    prompt = _ids(tokenizer, example.prompt)
    room = max_length - len(_bos(tokenizer)) - len(completion)
    prompt = prompt[-room:] if room > 0 else []
    ids = _bos(tokenizer) + prompt + completion
    labels = [IGNORE] * (len(ids) - len(completion)) + completion
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}


def encode_examples(
    tokenizer: Any, examples: Sequence[TextExample], block_size: int
) -> list[dict[str, list[int]]]:
    """Packed blocks when no example has a prompt (style), otherwise one masked sequence per example."""
    if all(not e.prompt for e in examples):
        return pack_texts(tokenizer, [e.completion for e in examples], block_size)
    return [encode_pair(tokenizer, e, block_size) for e in examples]


def count_label_tokens(features: Sequence[dict[str, list[int]]]) -> int:
    """Tokens that carry a loss (what held-out perplexity averages over)."""
    return sum(sum(1 for t in f["labels"][1:] if t != IGNORE) for f in features)
