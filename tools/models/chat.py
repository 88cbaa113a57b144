"""A chat model over any completion LLM, with an explicit, tested prompt template.

Base models such as the packaged Gemma 3 270M ship no chat template; this adapter renders the turns itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult


@dataclass(frozen=True)
class ChatTemplate:
    """How turns are written for a completion model."""

    name: str
    user: str
    assistant: str
    generation_prefix: str
    stop: tuple[str, ...]
    system_into_first_user: bool = True

    def render(self, messages: list[BaseMessage]) -> str:
        """The prompt text for `messages`, ending where the model's reply begins."""
        system = "\n\n".join(str(m.content) for m in messages if isinstance(m, SystemMessage))
        parts: list[str] = []
        pending_system = system if self.system_into_first_user else ""
        for message in messages:
            if isinstance(message, SystemMessage):
                continue
            content = str(message.content)
            if message.type == "ai":
                parts.append(self.assistant.format(content=content))
            else:
                if pending_system:
                    content, pending_system = f"{pending_system}\n\n{content}", ""
                parts.append(self.user.format(content=content))
        return "".join(parts) + self.generation_prefix


GEMMA = ChatTemplate(
    name="gemma",
    user="<start_of_turn>user\n{content}<end_of_turn>\n",
    assistant="<start_of_turn>model\n{content}<end_of_turn>\n",
    generation_prefix="<start_of_turn>model\n",
    stop=("<end_of_turn>", "<start_of_turn>"),
)

# A plain-text dialogue frame: what a base model continues most naturally.
TRANSCRIPT = ChatTemplate(
    name="transcript",
    user="Utente: {content}\n",
    assistant="Assistente: {content}\n",
    generation_prefix="Assistente:",
    stop=("\nUtente:", "\nAssistente:"),
)

TEMPLATES = {t.name: t for t in (GEMMA, TRANSCRIPT)}


class TemplatedChatModel(BaseChatModel):
    """Chat over a completion `llm` by rendering turns with `template`."""

    llm: BaseLLM
    template_name: str = "gemma"

    @property
    def _llm_type(self) -> str:
        return f"templated-chat-{self.template_name}"

    @property
    def template(self) -> ChatTemplate:
        return TEMPLATES[self.template_name]

    def _stops(self, stop: list[str] | None) -> list[str]:
        return [*self.template.stop, *(stop or [])]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt = self.template.render(messages)
        text = self.llm.invoke(prompt, stop=self._stops(stop), **kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text.strip()))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        prompt = self.template.render(messages)
        for text in self.llm.stream(prompt, stop=self._stops(stop), **kwargs):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
