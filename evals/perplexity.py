"""Perplexity of texts under a language model named through the model seam (optionally with a LoRA).

    llamacpp:gemma3-270m                       the packaged Gemma
    llamacpp:gemma3-270m?adapter=style:tex     with a registered LoRA adapter (or ?lora=/path.gguf)
    hf:/path/to/model?adapter=/peft/dir        a transformers model

Lower is better: the model finds the text more predictable. Texts are scored in windows of `window`
tokens, each starting afresh with the model's BOS token; perplexity = exp(mean negative log-likelihood).
Only the first `max_tokens` tokens of a text are scored (a novel would take minutes on two cores).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from tools.errors import ModelLoadError, NuvolaError

DEFAULT_WINDOW = 256
DEFAULT_MAX_TOKENS = 4096


class PerplexityError(NuvolaError):
    """The named model cannot score text (a backend without token log-probabilities)."""


class TextPerplexity(BaseModel):
    perplexity: float | None
    tokens: int
    mean_nll: float | None


def log_softmax_rows(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=1, keepdims=True)
    shifted = logits - top
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def summarise(nll: Sequence[float]) -> TextPerplexity:
    if not nll:
        return TextPerplexity(perplexity=None, tokens=0, mean_nll=None)
    mean = float(np.mean(nll))
    return TextPerplexity(perplexity=round(math.exp(mean), 4), tokens=len(nll), mean_nll=round(mean, 5))


@dataclass
class LlamaCppScorer:
    """Token log-likelihoods from llama.cpp (a second, logits-keeping instance of the seam's GGUF)."""

    model_path: str
    lora_path: str | None = None
    window: int = DEFAULT_WINDOW
    max_tokens: int = DEFAULT_MAX_TOKENS
    _llama: Any = None

    def _client(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            from tools.models.llamacpp import native_stderr_silenced, quiet_llama_logs

            quiet_llama_logs()
            if self.lora_path and not Path(self.lora_path).is_file():
                raise ModelLoadError(f"{self.lora_path}: LoRA adapter file not found")
            try:
                with native_stderr_silenced(True):
                    self._llama = Llama(
                        model_path=self.model_path,
                        lora_path=self.lora_path,
                        n_ctx=self.window,
                        n_batch=self.window,
                        logits_all=True,
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise ModelLoadError(f"{self.model_path}: llama.cpp could not load it ({exc})") from exc
        return self._llama

    def token_nll(self, text: str) -> list[float]:
        """Negative log-likelihood of each token of `text` after the first, window by window."""
        llama = self._client()
        tokens = llama.tokenize(text.encode("utf-8"), add_bos=False)[: self.max_tokens]
        bos = llama.token_bos()
        out: list[float] = []
        step = self.window - 1
        for start in range(0, len(tokens), step):
            piece = [bos, *tokens[start : start + step]]
            llama.reset()
            llama.eval(piece)
            logprobs = log_softmax_rows(np.asarray(llama.scores[: len(piece) - 1], dtype=np.float64))
            out += (-logprobs[np.arange(len(piece) - 1), piece[1:]]).tolist()
        return out


@dataclass
class HFScorer:
    """Token log-likelihoods from a transformers causal LM (with its peft adapter, if any)."""

    path: str
    adapter: str | None = None
    gguf_file: str | None = None
    window: int = DEFAULT_WINDOW
    max_tokens: int = DEFAULT_MAX_TOKENS
    _loaded: Any = None

    def token_nll(self, text: str) -> list[float]:
        import torch

        from tools.models.hf import load_causal_lm

        if self._loaded is None:
            self._loaded = load_causal_lm(self.path, self.gguf_file, self.adapter)
        tokenizer, model = self._loaded
        ids = tokenizer(text, add_special_tokens=False)["input_ids"][: self.max_tokens]
        bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        out: list[float] = []
        step = self.window - 1
        for start in range(0, len(ids), step):
            piece = torch.tensor([[bos, *ids[start : start + step]]])
            with torch.no_grad():
                logits = model(piece).logits[0, :-1].float()
            logprobs = torch.log_softmax(logits, dim=-1)
            out += (-logprobs[torch.arange(piece.shape[1] - 1), piece[0, 1:]]).tolist()
        return out


def scorer_for(
    name: str, window: int = DEFAULT_WINDOW, max_tokens: int = DEFAULT_MAX_TOKENS
) -> LlamaCppScorer | HFScorer:
    """A scorer for a seam model name; the seam resolves packaged aliases, paths and adapters."""
    from tools.models import get_llm
    from tools.models.hf import HFLLM
    from tools.models.llamacpp import LlamaCppLLM

    llm = get_llm(name)
    if isinstance(llm, LlamaCppLLM):
        return LlamaCppScorer(llm.model_path, llm.lora_path, window, max_tokens)
    if isinstance(llm, HFLLM):
        return HFScorer(llm.path, llm.adapter, llm.gguf_file, window, max_tokens)
    raise PerplexityError(
        f"{name!r}: perplexity needs token log-probabilities, from a llamacpp: or hf: model"
    )


def perplexities(
    name: str, texts: Sequence[str], window: int = DEFAULT_WINDOW, max_tokens: int = DEFAULT_MAX_TOKENS
) -> list[TextPerplexity]:
    """Perplexity of (the first `max_tokens` tokens of) each text under the model `name`."""
    scorer = scorer_for(name, window, max_tokens)
    return [summarise(scorer.token_nll(t)) for t in texts]
