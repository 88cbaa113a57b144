"""Local transformers causal LMs (`hf:/path/to/dir`, optional `?adapter=/peft/dir`), CPU or GPU."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.llms import LLM
from langchain_core.outputs import GenerationChunk
from pydantic import PrivateAttr

from tools.errors import MissingDependencyError, ModelLoadError
from tools.models.spec import cut_at_stop
from tools.offline import forbid_downloads


def load_causal_lm(path: str, gguf_file: str | None = None, adapter: str | None = None) -> tuple[Any, Any]:
    """(tokenizer, model) from a local directory, a GGUF inside it, and an optional peft adapter."""
    forbid_downloads()
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise MissingDependencyError("the hf backend needs `pip install transformers torch`") from exc
    if not Path(path).exists():
        raise ModelLoadError(f"{path}: model directory not found")
    kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
        model = _auto_class(path, kwargs, AutoModelForCausalLM).from_pretrained(path, **kwargs)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path}: transformers could not load it ({exc})") from exc
    if adapter:
        try:
            from peft import PeftModel
        except ImportError as exc:
            raise MissingDependencyError("adapters need `pip install peft`") from exc
        model = PeftModel.from_pretrained(model, adapter)
    model.eval()
    return tokenizer, model


def _auto_class(path: str, kwargs: dict[str, Any], causal: Any) -> Any:
    """Seq2seq for encoder-decoder folders (MarianMT, T5: translation models), the causal class otherwise."""
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    config = AutoConfig.from_pretrained(path, **kwargs)
    return AutoModelForSeq2SeqLM if getattr(config, "is_encoder_decoder", False) else causal


class HFLLM(LLM):
    """A transformers causal LM as a langchain-core completion LLM, loaded lazily."""

    path: str
    adapter: str | None = None
    gguf_file: str | None = None
    device: str = "auto"
    max_tokens: int = 256
    temperature: float = 0.7
    seed: int = 0

    _tokenizer: Any = PrivateAttr(default=None)
    _model: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "hf"

    def _ensure(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                import torch

                tokenizer, model = load_causal_lm(self.path, self.gguf_file, self.adapter)
                device = self.device
                if device == "auto":
                    device = "cuda" if torch.cuda.is_available() else "cpu"
                self._tokenizer, self._model = tokenizer, model.to(device)
        return self._tokenizer, self._model

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        import torch

        tokenizer, model = self._ensure()
        torch.manual_seed(int(kwargs.get("seed", self.seed)))
        inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
        temperature = float(kwargs.get("temperature", self.temperature))
        with torch.no_grad():
            output = model.generate(
                **inputs,
                max_new_tokens=int(kwargs.get("max_tokens", self.max_tokens)),
                do_sample=temperature > 0,
                temperature=temperature if temperature > 0 else None,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
        start = (
            0 if model.config.is_encoder_decoder else inputs["input_ids"].shape[1]
        )  # seq2seq: no prompt echo
        text = tokenizer.decode(output[0, start:], skip_special_tokens=True)
        return cut_at_stop(text, stop)

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        yield GenerationChunk(text=self._call(prompt, stop, run_manager, **kwargs))
