"""Balloon-by-balloon translation through the model seam, with the glossary, the page's context and the
translation memory; every answer is checked (not empty, not Italian, not run-on, glossary respected) and
asked again, differently, a bounded number of times.

The prompt (`prompts/translate/balloon.j2`) is a few-shot COMPLETION: `Italian: ...` / `English: ...` pairs
(fixed original examples, the memory's nearest pairs, the page's previous balloons), then the balloon; the
model completes one line. That is what the embedded Gemma 270M *base* model can follow; an `openai:` or `hf:`
model gets the same prompt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from prompts import render
from tools.translate.context import PageContext, Pair, TranslationUnit, sentence_case
from tools.translate.glossary import Glossary
from tools.translate.italian import looks_italian, words

MAX_ATTEMPTS = 3
STOP = ["\n", "Italian:"]
NO_WORDS = re.compile(r"^[\W\d_]*$")  # "...", "?!", "60" - nothing to translate


@dataclass
class Translation:
    """The English of one balloon: where it came from (`memory`, `user`, `model`, `copy`) and any problems
    the checks still found on the last attempt."""

    unit: TranslationUnit
    text: str
    origin: str
    attempts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@lru_cache(maxsize=4)
def fixed_examples(target: str = "en") -> tuple[Pair, ...]:
    """The original few-shot pairs shipped in prompts/translate/examples_<target>.yaml."""
    data = yaml.safe_load(
        files("prompts").joinpath("translate", f"examples_{target}.yaml").read_text("utf-8")
    )
    return tuple(Pair(str(d["source"]), str(d["target"])) for d in data)


def clean_answer(text: str) -> str:
    """One line of the model's answer without quotes, labels or trailing blanks."""
    line = text.strip().split("\n")[0].strip()
    line = re.sub(r"^(English|EN)\s*:\s*", "", line, flags=re.IGNORECASE)
    if len(line) >= 2 and line[0] == line[-1] and line[0] in "\"'«“":
        line = line[1:-1].strip()
    return line.strip('“”«»"').strip()


def check(source: str, answer: str, glossary: Glossary) -> list[str]:
    """What is wrong with `answer` as the English of `source` (an empty list when nothing is)."""
    problems = []
    if not answer:
        return ["empty answer"]
    if looks_italian(answer, glossary.kept_words()):
        problems.append("Italian words left")
    if len(answer) > 2 * len(source) + 25:
        problems.append(f"too long ({len(answer)} characters for {len(source)})")
    if len(words(source)) >= 3 and answer.strip().lower() == source.strip().lower():
        problems.append("copied the Italian")
    problems += [f"glossary: {e.source} -> {e.target}" for e in glossary.missing(source, answer)]
    return problems


class Translator:
    """Translates units in order; `memory` is a `memory.translations.TranslationMemory` or None."""

    def __init__(
        self,
        llm: Any,
        glossary: Glossary,
        *,
        memory: Any = None,
        model_name: str = "",
        target: str = "en",
        max_tokens: int = 96,
        examples: tuple[Pair, ...] | None = None,
        scene_of: Callable[[TranslationUnit], str] | None = None,
        style: str = "fewshot",
        context: bool = True,
    ) -> None:
        self.llm, self.glossary, self.memory, self.style = llm, glossary, memory, style
        self.context = context  # False: no previous balloons in the prompt (the eval's bare baseline)
        self.model_name, self.target, self.max_tokens = model_name, target, max_tokens
        self.examples = fixed_examples(target) if examples is None else examples
        self.scene_of = scene_of
        self.page = PageContext()
        self._names = [e.source for e in glossary.entries]  # names and terms keep their capitals

    def translate_all(
        self, units: list[TranslationUnit], progress: Callable[[Translation], None] | None = None
    ) -> list[Translation]:
        out = []
        for unit in units:
            result = self.translate(unit)
            out.append(result)
            if progress is not None:
                progress(result)
        return out

    def translate(self, unit: TranslationUnit) -> Translation:
        """The English of one balloon: from the memory when it is known, else from the model, checked."""
        previous = self.page.for_unit(unit) if self.context else []
        result = self._known(unit) or self._by_model(unit, previous)
        self.page.done.append(Pair(self._model_input(unit.source), result.text))
        if self.memory is not None and result.origin == "model" and result.ok:
            self.memory.add(unit.source, result.text, origin="model", model=self.model_name, where=unit.key)
        return result

    def _known(self, unit: TranslationUnit) -> Translation | None:
        if NO_WORDS.match(unit.source):
            return Translation(unit, unit.source.strip(), "copy")
        if self.memory is None:
            return None
        hit = self.memory.lookup(unit.source)
        if hit is None:
            return None
        return Translation(unit, hit.target, "user" if hit.origin == "user" else "memory")

    def _model_input(self, source: str) -> str:
        return sentence_case(" ".join(source.split()), self._names)

    def _by_model(self, unit: TranslationUnit, previous: list[Pair]) -> Translation:
        source = self._model_input(unit.source)
        best: Translation | None = None
        for attempt in range(MAX_ATTEMPTS):
            prompt = self.prompt(unit, previous if attempt == 0 else [], with_memory=attempt < 2)
            raw = self.llm.invoke(
                prompt,
                max_tokens=self.max_tokens,
                temperature=0.0 if attempt == 0 else 0.5,
                seed=attempt,
                stop=STOP,
            )
            answer = self.glossary.enforce(source, clean_answer(str(raw)))
            problems = check(source, answer, self.glossary)
            candidate = Translation(unit, answer, "model", attempt + 1, problems)
            if best is None or len(problems) < len(best.problems):
                best = candidate
            if not problems:
                break
        assert best is not None
        best.attempts = attempt + 1
        return best

    def prompt(self, unit: TranslationUnit, previous: list[Pair], with_memory: bool = True) -> str:
        """The completion prompt for `unit`; a `plain` (seq2seq translation) model gets the Italian alone."""
        source = self._model_input(unit.source)
        if self.style == "plain":
            return source
        examples = list(self.examples)
        if with_memory and self.memory is not None:
            examples += [Pair(h.source, h.target) for h in self.memory.similar(unit.source, k=2)]
        scene = self.scene_of(unit) if self.scene_of is not None else unit.scene
        return render(
            "translate/balloon.j2",
            glossary=self.glossary.pairs(source),
            examples=examples,
            previous=previous,
            source=source,
            scene=scene,
        ).lstrip()
