"""Prefill and decode speed of the packaged Gemma: raw llama-cpp-python vs the Nuvola model seam.

Prints one table; the target is seam overhead ≤ 1.05 (seam time / raw time for the same work).
Usage: python benchmarks/llm.py [--runs 3] [--tokens 64]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterable

from rich.console import Console
from rich.table import Table

from tools.models import get_llm
from tools.models.llamacpp import LlamaCppLLM, native_stderr_silenced, packaged_model_path

PROMPT = (
    "Didascalie di un fumetto western italiano.\n"
    "DIDASCALIA: AL TRAMONTO, I DUE PARDS RAGGIUNGONO IL VECCHIO FORTE ABBANDONATO SUL RIO PECOS.\n"
    "DIDASCALIA: INTANTO, A TUCSON, UN UOMO DAL CAPPELLO NERO ENTRA NEL SALOON.\n"
    "DIDASCALIA: LA NOTTE CALA SUL DESERTO. ATTORNO AL FUOCO, I NAVAJOS ATTENDONO.\n" * 4 + "DIDASCALIA:"
)


def timed_stream(chunks: Iterable[str]) -> tuple[float, float, int]:
    """(seconds to first chunk, seconds after it, chunks after the first)."""
    start = time.perf_counter()
    first = None
    count = 0
    for _ in chunks:
        now = time.perf_counter()
        if first is None:
            first = now
        else:
            count += 1
    end = time.perf_counter()
    return (first or end) - start, end - (first or end), count


def measure(
    paths: dict[str, Callable[[], Iterable[str]]], runs: int
) -> dict[str, tuple[float, float, float]]:
    """Median (prefill s, decode tok/s, total s) per path; paths alternate run by run, so drifting
    background load falls on both alike."""
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in paths}
    for _ in range(runs):
        for name, run in paths.items():
            first, rest, n = timed_stream(run())
            samples[name].append((first, n / rest if rest > 0 else 0.0, first + rest))
    return {
        name: tuple(statistics.median(col) for col in zip(*rows, strict=True))
        for name, rows in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()

    seam = get_llm("llamacpp:gemma3-270m")
    assert isinstance(seam, LlamaCppLLM)
    from llama_cpp import Llama

    with native_stderr_silenced():
        raw = Llama(
            model_path=str(packaged_model_path("gemma3-270m")), n_ctx=seam.n_ctx, seed=0, verbose=False
        )
    n_prompt = len(raw.tokenize(PROMPT.encode()))
    params = {
        "max_tokens": args.tokens,
        "temperature": 0.0,
        "seed": 0,
        "top_p": seam.top_p,
        "repeat_penalty": seam.repeat_penalty,
    }

    def raw_run() -> Iterable[str]:
        raw.reset()  # no prompt cache between runs: measure real prefill
        for part in raw.create_completion(PROMPT, stream=True, **params):
            yield part["choices"][0]["text"]

    def seam_run() -> Iterable[str]:
        seam.client.reset()
        yield from seam.stream(PROMPT, **params)

    _ = seam.client  # load before timing
    rows = measure({"raw llama-cpp-python": raw_run, "Nuvola seam": seam_run}, args.runs)

    table = Table(
        title=f"LLM speed: packaged Gemma 3 270M, prompt {n_prompt} tokens, {args.tokens} new tokens"
    )
    for col in ("path", "prefill tok/s", "decode tok/s", "total s"):
        table.add_column(col, justify="right")
    for name, (prefill, decode, total) in rows.items():
        table.add_row(name, f"{n_prompt / prefill:.0f}", f"{decode:.1f}", f"{total:.2f}")
    overhead = rows["Nuvola seam"][2] / rows["raw llama-cpp-python"][2]
    table.add_row("overhead (seam / raw)", "", "", f"{overhead:.3f} {'≤' if overhead <= 1.05 else '>'} 1.05")
    Console().print(table)


if __name__ == "__main__":
    main()
