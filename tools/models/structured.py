"""Validated model output: JSON-schema-constrained generation with bounded repair, or line formats.

Small models are slow under JSON grammars (~64 ms/token for the packaged Gemma) and often drift; callers
can instead ask for a few-shot line format (`TEX: ...`) and a parser. Every result is validated; after the
allowed repairs a StructuredOutputError says what the model produced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.language_models import BaseLLM
from pydantic import BaseModel, ValidationError

from tools.errors import StructuredOutputError

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

REPAIR_SUFFIX = (
    "\n\nThe previous answer was invalid ({error}). Answer again with only a JSON object matching the schema "
    "{schema}.\nJSON:"
)


def json_grammar(llm: BaseLLM, schema: type[BaseModel]) -> Any | None:
    """A llama.cpp grammar for `schema` when `llm` is a llama.cpp model, else None."""
    from tools.models.llamacpp import LlamaCppLLM

    if not isinstance(llm, LlamaCppLLM):
        return None
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(json.dumps(schema.model_json_schema()), verbose=False)


def extract_json(text: str) -> Any:
    """The first JSON object or array in `text`; raw newlines/tabs inside strings are escaped first."""
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ValueError("no JSON object in the output")
    decoder = json.JSONDecoder(strict=False)  # tolerates control characters inside strings
    value, _ = decoder.raw_decode(text[start:])
    return value


def generate_structured(
    llm: BaseLLM,
    prompt: str,
    schema: type[T],
    *,
    retries: int = 2,
    use_grammar: bool = True,
    max_tokens: int = 256,
    **kwargs: Any,
) -> T:
    """Generate an instance of `schema`: grammar-constrained where possible, validated, repaired ≤ `retries`."""
    grammar = json_grammar(llm, schema) if use_grammar else None
    extra = {"grammar": grammar} if grammar is not None else {}
    schema_text = json.dumps(schema.model_json_schema(), ensure_ascii=False)
    attempt_prompt, last_output, last_error = prompt, "", ""
    for _ in range(retries + 1):
        last_output = llm.invoke(attempt_prompt, max_tokens=max_tokens, **extra, **kwargs)
        try:
            return schema.model_validate(extract_json(last_output))
        except (ValueError, ValidationError) as exc:
            last_error = _short_error(exc)
            attempt_prompt = prompt + last_output + REPAIR_SUFFIX.format(error=last_error, schema=schema_text)
    raise StructuredOutputError(
        f"the model did not produce a valid {schema.__name__} after {retries + 1} attempts "
        f"(last error: {last_error}; last output: {last_output[:200]!r})"
    )


def generate_parsed(
    llm: BaseLLM,
    prompt: str,
    parse: Callable[[str], R],
    *,
    retries: int = 2,
    what: str = "answer",
    reseed: bool = True,
    settled: Callable[[str], bool] | None = None,
    **kwargs: Any,
) -> R:
    """Generate text and `parse` it (a line-format parser that raises ValueError); retry with new seeds.

    With `settled`, the completion is streamed and stopped as soon as `settled(text so far)` says that more
    text cannot change what `parse` returns (the parser already has all it keeps, or it will stop at a line
    already written), so no tokens are decoded only to be thrown away."""
    last_output, last_error = "", ""
    base_seed = int(kwargs.pop("seed", 0))
    for attempt in range(retries + 1):
        seed = base_seed + attempt if reseed else base_seed
        if settled is None:
            last_output = llm.invoke(prompt, seed=seed, **kwargs)
        else:
            last_output = stream_until(llm, prompt, settled, seed=seed, **kwargs)
        try:
            return parse(last_output)
        except (ValueError, ValidationError) as exc:
            last_error = _short_error(exc)
    raise StructuredOutputError(
        f"the model did not produce a usable {what} after {retries + 1} attempts "
        f"(last error: {last_error}; last output: {last_output[:200]!r})"
    )


def at_line_ends(decide: Callable[[str], bool]) -> Callable[[str], bool]:
    """A `settled` check for `decide`, which reads complete lines only: asked again only when a line has
    ended, since the stream asks after every chunk."""
    last: dict[str, bool] = {}

    def settled(text: str) -> bool:
        complete = text.rpartition("\n")[0]
        if complete not in last:
            last.clear()
            last[complete] = decide(text)
        return last[complete]

    return settled


def stream_until(llm: BaseLLM, prompt: str, settled: Callable[[str], bool], **kwargs: Any) -> str:
    """The completion of `prompt`, streamed and cut short once `settled(text so far)` is true (asked after
    every chunk: a line that already fails may stop before it ends)."""
    text = ""
    chunks = llm.stream(prompt, **kwargs)
    try:
        for chunk in chunks:
            text += chunk
            if settled(text):
                break
    except ValueError:
        if text:
            raise
        return llm.invoke(prompt, **kwargs)  # a server that answers but does not stream
    finally:
        chunks.close()  # stops the model's decoding (llama.cpp's generator is closed with it)
    return text


LINE_RE = re.compile(r"^\s*([A-ZÀ-Ýa-zà-ý][\w' .À-ÿ-]{0,40}?)\s*:\s*(.+?)\s*$")


def parse_labelled_lines(text: str, labels: set[str] | None = None) -> list[tuple[str, str]]:
    """`LABEL: text` lines -> [(LABEL, text)]; other lines are ignored; ValueError when none is found."""
    pairs = []
    for line in text.splitlines():
        match = LINE_RE.match(line)
        if not match:
            continue
        label, value = match.group(1).strip(), match.group(2).strip()
        if labels is None or label.upper() in {lab.upper() for lab in labels}:
            pairs.append((label, value))
    if not pairs:
        raise ValueError("no 'LABEL: text' line in the output")
    return pairs


def _short_error(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]
