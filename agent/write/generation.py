"""Model calls of the writers: line-format completion, parsed and validated, timed and logged.

Every call goes through `generate_parsed` (bounded retries with fresh seeds); the run log gets the role,
the seconds spent in the model (`seconds`) and in the whole call with parsing (`call_seconds`), tokens and
attempts, so benchmarks can split LLM time from graph, parsing and tool time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseLLM

from agent.write.context import WriteContext
from tools.errors import StructuredOutputError
from tools.models import generate_parsed

R = TypeVar("R")


class TokenCounter(BaseCallbackHandler):
    """Counts streamed tokens (llama.cpp streams one token per chunk) and the seconds spent in the model."""

    def __init__(self) -> None:
        self.tokens = 0
        self.model_seconds = 0.0
        self._started: float | None = None

    def on_llm_start(self, serialized: Any, prompts: Any, **kwargs: Any) -> None:
        self._started = time.perf_counter()

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        if self._started is not None:
            self.model_seconds += time.perf_counter() - self._started
            self._started = None

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        """A stream cut short (`settled`) ends as an error of the stream: its seconds count all the same."""
        self.on_llm_end(None)

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self.tokens += 1


class _Tracked(Generic[R]):
    """Wraps a parser to remember how many outputs it saw and the last raw text."""

    def __init__(self, parse: Callable[[str], R]):
        self.parse = parse
        self.attempts = 0
        self.last = ""

    def __call__(self, text: str) -> R:
        self.attempts += 1
        self.last = text
        return self.parse(text)


def generate_lines(
    ctx: WriteContext,
    role: str,
    prompt: str,
    parse: Callable[[str], R],
    *,
    what: str,
    seed: int,
    max_tokens: int = 160,
    stop: list[str] | None = None,
    temperature: float = 0.7,
    retries: int = 2,
    llm: BaseLLM | None = None,
    settled: Callable[[str], bool] | None = None,
    **decoding: Any,
) -> R:
    """Complete `prompt` with the role's model and parse it; StructuredOutputError after `retries` repairs.
    `decoding` reaches the model as is (`logit_bias`, `repeat_penalty` for llama.cpp); `settled` stops a
    completion early once more text could not change the parse (tools.models.generate_parsed)."""
    model = llm or ctx.llm(role)
    counter, tracked = TokenCounter(), _Tracked(parse)
    start = time.perf_counter()
    status, error = "ok", ""
    try:
        return generate_parsed(
            model,
            prompt,
            tracked,
            retries=retries,
            what=what,
            seed=seed,
            max_tokens=max_tokens,
            stop=stop or ["\n\n"],
            temperature=temperature,
            config={"callbacks": [counter]},
            settled=settled,
            **decoding,
        )
    except StructuredOutputError as exc:
        status, error = "failed", str(exc)[:300]
        raise
    finally:
        tokens = counter.tokens or _estimate_tokens(model, tracked.last) * max(1, tracked.attempts)
        ctx.log.event(
            "llm",
            role=role,
            what=what,
            seconds=round(counter.model_seconds, 4),
            call_seconds=round(time.perf_counter() - start, 4),
            tokens=tokens,
            prompt_chars=len(prompt),
            attempts=tracked.attempts,
            max_attempts=retries + 1,
            status=status,
            **({"error": error} if error else {}),
        )


def generate_candidates(
    ctx: WriteContext,
    role: str,
    prompt: str,
    parse: Callable[[str], R],
    *,
    what: str,
    seeds: list[int],
    wanted: int,
    **kwargs: Any,
) -> list[R]:
    """Up to `wanted` usable completions of `prompt`, one attempt per seed until enough are found
    (llama.cpp reuses the prompt's cache, so a further candidate costs only its own tokens).
    StructuredOutputError when no seed gave a usable one."""
    found: list[R] = []
    errors: list[str] = []
    for seed in seeds:
        try:
            found.append(generate_lines(ctx, role, prompt, parse, what=what, seed=seed, retries=0, **kwargs))
        except StructuredOutputError as exc:
            errors.append(str(exc))
            continue
        if len(found) >= wanted:
            break
    if not found:
        raise StructuredOutputError(f"{what}: no usable output in {len(seeds)} attempts ({errors[-1][:160]})")
    return found


def _estimate_tokens(model: BaseLLM, text: str) -> int:
    """Tokens of `text`: exact for llama.cpp, a word count otherwise (fakes, servers without streaming)."""
    counter = getattr(model, "count_tokens", None)
    if callable(counter) and text:
        try:
            return int(counter(text))
        except (RuntimeError, ValueError):
            pass
    return len(text.split())
