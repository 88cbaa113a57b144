"""Tune the voice writer on the dev plot: the same outline and panels, the balloons written again per variant.

    .venv/bin/python benchmarks/write_voices.py --run RUN_DIR [--variant NAME:key=value,...]... [--json OUT]
    .venv/bin/python benchmarks/write_voices.py --floor

RUN_DIR is a finished `nuvola write-issue` run (NUVOLA_HOME/runs/<id>, e.g. of the demo plot): its
checkpointed state holds the narrator's outline and the director's panels. Each variant writes every
balloon again with the working tree's voice writer (agent.specialists.voice) under other decoding and
ranking settings, and the lines are measured as `nuvola eval script` measures them: perplexity per token
under the ELTeC novels' trigram model (real held-out dialogue: ~282), distinct-2, repeats, fallbacks,
words per line, the commonest content word's lines and seconds. Keys: temperature, top_p, min_p, repeat_penalty, candidates, attempts
(agent.specialists.voice Decoding), real_lines, own_lines (the examples the prompt shows), situation,
novelty, content, floor, wear (agent.write.rerank weights, fluency floor and word wear) and adapter (a registered adapter name or a GGUF LoRA file: every speaker's lines
are written by the voice model with it; without the key, by the plain voice model, whatever the
registry holds). --json keeps every line written (`texts`) beside the figures. Use it on the dev plot
only: the frozen plots are for the final benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DECODING_KEYS = {
    "temperature": float,
    "top_p": float,
    "min_p": float,
    "repeat_penalty": float,
    "candidates": int,
    "attempts": int,
}
RANKER_KEYS = {
    "novelty": "novelty_weight",
    "content": "content_weight",
    "floor": "floor",
    "wear": "wear",
    "worn": "worn_weight",
    "situation": "",
}
"""LineRanker fields (situation: the module's SITUATION_WEIGHT, read when a line is scored)."""
PROMPT_KEYS = {"real_lines": "REAL_LINES", "own_lines": "OWN_LINES"}
"""agent.specialists.voice constants: how many real novel lines / own lines the prompt shows."""


ADAPTER_KEY = "adapter"
KNOWN_KEYS = {*DECODING_KEYS, *RANKER_KEYS, *PROMPT_KEYS, ADAPTER_KEY}


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """`name:key=value,key=value` -> (name, settings); unknown keys are an error."""
    name, _, rest = text.partition(":")
    values: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key not in KNOWN_KEYS:
            raise SystemExit(f"unknown variant key {key!r} in {text!r}")
        values[key] = value if key == ADAPTER_KEY else float(value)
    return name or "default", values


def voice_name(base: str, adapter: str | None) -> str:
    """The voice model's name with the variant's adapter (`adapter=` option: a registered name or a file)."""
    if not adapter:
        return base
    from tools.models.spec import ModelSpec, parse_model_name

    spec = parse_model_name(base)
    options = {k: v for k, v in spec.options.items() if k not in ("adapter", "lora")}
    return ModelSpec(spec.backend, spec.target, {**options, "adapter": adapter}, spec.fragment).name


def final_state(run_dir: Path) -> dict[str, Any]:
    """The checkpointed state of a finished write-issue run."""
    from agent.runs import RunPaths
    from agent.write.run import open_graph

    with open_graph(RunPaths(run_dir)) as graph:
        values = graph.get_state({"configurable": {"thread_id": run_dir.name}}).values
    if "scene_pages" not in values:
        raise SystemExit(f"{run_dir}: the run has no panels yet (finish it first)")
    return dict(values)


def write_balloons(state: dict[str, Any], ctx: Any) -> tuple[list[str], int]:
    """Every scene's balloons written again in order; (speech lines, fallbacks)."""
    from agent.specialists.voice import voice

    done: dict[str, Any] = {}
    fallbacks = 0
    for index in range(len(state["outline"])):
        update = voice(
            {**state, "current_scene": index, "scene_dialogue": dict(done)}, SimpleNamespace(context=ctx)
        )
        done.update(update["scene_dialogue"])
        fallbacks += len(update["fallbacks"])
    lines = [
        b["text"]
        for index in sorted(done, key=int)
        for page in done[index]["pages"]
        for tier in page["tiers"]
        for panel in tier["panels"]
        for b in panel["balloons"]
        if b["kind"] == "speech"
    ]
    return lines, fallbacks


def measure(lines: list[str]) -> dict[str, Any]:
    """The script benchmark's line measures on these lines."""
    import math

    from evals.script_quality import distinct_2, fluency_model, repeats, top_word
    from tools.dialogue.ngram import words

    nll, tokens, unknown, n_words = fluency_model().nll(lines)
    exact, near = repeats(lines)
    word, said = top_word(lines)
    return {
        "lines": len(lines),
        "perplexity": round(math.exp(nll / tokens), 1) if tokens else None,
        "distinct_2": round(distinct_2(lines) or 0.0, 3),
        "repeated": exact,
        "near_repeated": near,
        "unknown": round(unknown / max(n_words, 1), 3),
        "top_word": f"{word} {said}/{len(lines)}",
        "words_per_line": round(sum(len(words(t)) for t in lines) / max(len(lines), 1), 1),
    }


def run_variant(name: str, values: dict[str, Any], state: dict[str, Any], llm: Any) -> dict[str, Any]:
    import agent.specialists.voice as voice_module
    import agent.write.rerank as rerank
    from agent.runlog import RunLog
    from agent.write.context import WriteContext
    from tools.models import get_llm
    from tools.series.profile import load_profile
    from tools.settings import load_settings

    settings = load_settings()
    model = voice_name(settings.model_for("voice"), values.get(ADAPTER_KEY))
    if model != settings.model_for("voice"):
        llm = get_llm(model)
    resolvers = list(voice_module._RESOLVERS)
    voice_module._RESOLVERS[:] = [lambda _settings, _character: model]  # this model for every speaker
    saved = voice_module.DECODING, voice_module.LineRanker, rerank.SITUATION_WEIGHT
    decoding = {k: DECODING_KEYS[k](v) for k, v in values.items() if k in DECODING_KEYS}
    voice_module.DECODING = replace(saved[0], **decoding)
    fields = {RANKER_KEYS[k]: v for k, v in values.items() if RANKER_KEYS.get(k)}
    voice_module.LineRanker = partial(rerank.LineRanker, **fields)  # type: ignore[misc]
    rerank.SITUATION_WEIGHT = values.get("situation", rerank.SITUATION_WEIGHT)
    prompt_saved = {attr: getattr(voice_module, attr) for attr in PROMPT_KEYS.values()}
    for key, attr in PROMPT_KEYS.items():
        if key in values:
            setattr(voice_module, attr, int(values[key]))
    ctx = WriteContext(
        settings=settings,
        profile=load_profile(settings.series),
        log=RunLog(),
        models={"voice": llm, model: llm},
    )
    start = time.perf_counter()
    try:
        lines, fallbacks = write_balloons(state, ctx)
    finally:
        voice_module.DECODING, voice_module.LineRanker, rerank.SITUATION_WEIGHT = saved
        voice_module._RESOLVERS[:] = resolvers
        for attr, value in prompt_saved.items():
            setattr(voice_module, attr, value)
    return {
        "variant": name,
        "model": model,
        "settings": values,
        "seconds": round(time.perf_counter() - start, 1),
        "fallbacks": fallbacks,
        **measure(lines),
        "sample": lines[:12],
        "texts": lines,
    }


def calibrate_floor() -> None:
    """Percentiles of the mean log-probability per token of real lines under a speech model that has not
    seen them: the training novels split by author (a third scored, two thirds fitted; never the
    held-out novels), printed beside the same lines under the full speech model, which has seen them."""
    import hashlib

    import numpy as np

    from agent.write.rerank import speech_model
    from tools.dialogue.bank import usable_line
    from tools.dialogue.corpus import DialogueSplit, corpus_dir, quoted_speech, read_novel
    from tools.dialogue.ngram import TrigramLM

    folder = corpus_dir()
    if folder is None:
        raise SystemExit("the floor needs the ELTeC novels (NUVOLA_CORPUS_DIR)")
    fit, scored = [], []
    for path in DialogueSplit.load(folder).train:
        author = path.name.split("_")[0].encode()
        (scored if int(hashlib.sha256(author).hexdigest(), 16) % 3 == 0 else fit).append(path)
    model = TrigramLM.fit(["\n".join(line for p in fit for line in quoted_speech(read_novel(p)))])
    lines = [line for p in scored for line in quoted_speech(read_novel(p)) if usable_line(line)]
    unseen = np.array([model.score(line).logprobs.mean() for line in lines])
    seen = np.array([speech_model().score(line).logprobs.mean() for line in lines])
    print(f"{len(lines)} lines of {len(scored)} novels; the model fitted on {len(fit)}")
    for q in (5, 10, 25, 50):
        print(
            f"{q:>3}th percentile: unseen {np.percentile(unseen, q):.2f}  seen {np.percentile(seen, q):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a finished write-issue run folder")
    parser.add_argument(
        "--floor", action="store_true", help="calibrate the ranker's fluency floor, then stop"
    )
    parser.add_argument("--variant", action="append", default=[], help="NAME:key=value,... (repeatable)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    from tools.models import get_llm
    from tools.settings import load_settings

    if args.floor:
        return calibrate_floor()
    if args.run is None:
        parser.error("--run is required")
    state = final_state(args.run)
    llm = get_llm(load_settings().model_for("voice"))
    results = []
    for name, values in [parse_variant(v) for v in args.variant or ["default:"]]:
        result = run_variant(name, values, state, llm)
        results.append(result)
        print(
            json.dumps({k: v for k, v in result.items() if k not in ("sample", "texts")}, ensure_ascii=False),
            flush=True,
        )
        for line in result["sample"]:
            print("   ", line, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
