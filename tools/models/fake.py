"""A scripted fake completion model for tests: answers come from a queue or a responder function."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.llms import LLM
from langchain_core.outputs import GenerationChunk
from pydantic import Field, PrivateAttr

from tools.errors import NuvolaError
from tools.models.spec import cut_at_stop


class FakeModelExhausted(NuvolaError):
    """The fake model was asked for more answers than were enqueued."""


class FakeLLM(LLM):
    """Returns enqueued answers in order (like simonw/llm's MockModel); records every prompt it saw.

    With a `responder`, answers are computed from the prompt when the queue is empty.
    """

    responder: Callable[[str], str] | None = Field(default=None, exclude=True)
    default: str | None = None
    _queue: deque[str] = PrivateAttr(default_factory=deque)
    _prompts: list[str] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "fake"

    def enqueue(self, *answers: str) -> FakeLLM:
        self._queue.extend(answers)
        return self

    @property
    def prompts(self) -> list[str]:
        return list(self._prompts)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _answer(self, prompt: str) -> str:
        self._prompts.append(prompt)
        if self._queue:
            return self._queue.popleft()
        if self.responder is not None:
            return self.responder(prompt)
        if self.default is not None:
            return self.default
        raise FakeModelExhausted(f"fake model has no answer queued for prompt #{len(self._prompts)}")

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return cut_at_stop(self._answer(prompt), stop)  # halt at a stop sequence like a real model

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        text = self._call(prompt, stop, run_manager, **kwargs)
        for piece in re.findall(r"\s*\S+|\s+", text):  # word-sized chunks that join back to `text`
            yield GenerationChunk(text=piece)
