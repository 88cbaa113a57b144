"""Any OpenAI-compatible server (llama.cpp server, vLLM, Ollama): `openai:http://host:port/v1#model`."""

from __future__ import annotations

import os
from typing import Any

from tools.errors import MissingDependencyError, ModelLoadError
from tools.models.spec import ModelSpec


def _endpoint(spec: ModelSpec) -> tuple[str, str]:
    if not spec.target.startswith(("http://", "https://")):
        raise ModelLoadError(
            f"openai backend needs a URL, e.g. openai:http://127.0.0.1:8080/v1#model; got {spec.name!r}"
        )
    return spec.target.rstrip("/"), spec.fragment or "default"


def _api_key() -> str:
    return os.environ.get("NUVOLA_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"


def _generation_kwargs(spec: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
    """Client settings shared by the completion and chat clients."""
    base_url, model = _endpoint(spec)
    return {
        "base_url": base_url,
        "model": model,
        "api_key": _api_key(),
        "max_tokens": int(params.get("max_tokens", 256)),
        "temperature": float(params.get("temperature", 0.7)),
        "seed": int(params.get("seed", 0)),
        "max_retries": 1,
        "timeout": float(params.get("timeout", 120)),
    }


def openai_completion(spec: ModelSpec, **params: Any) -> Any:
    """A langchain `OpenAI` completion LLM pointed at the server (max_tokens set: no tiktoken look-up)."""
    try:
        from langchain_openai import OpenAI
    except ImportError as exc:
        raise MissingDependencyError("the openai backend needs `pip install langchain-openai`") from exc
    return OpenAI(**_generation_kwargs(spec, params))


def openai_chat(spec: ModelSpec, **params: Any) -> Any:
    """A langchain `ChatOpenAI` pointed at the server, sending the token limit under both of its names."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise MissingDependencyError("the openai backend needs `pip install langchain-openai`") from exc

    class CompatibleChatOpenAI(ChatOpenAI):
        """llama.cpp's server and older vLLM/Ollama read `max_tokens`, not `max_completion_tokens`."""

        def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            if "max_completion_tokens" in payload:
                payload["max_tokens"] = payload["max_completion_tokens"]
            return payload

    return CompatibleChatOpenAI(**_generation_kwargs(spec, params))


def openai_embeddings(spec: ModelSpec) -> Any:
    """Embeddings from the server's /embeddings endpoint (plain strings: no tiktoken)."""
    try:
        from langchain_openai import OpenAIEmbeddings
    except ImportError as exc:
        raise MissingDependencyError("the openai backend needs `pip install langchain-openai`") from exc
    base_url, model = _endpoint(spec)
    return OpenAIEmbeddings(
        base_url=base_url,
        model=model,
        api_key=_api_key(),
        check_embedding_ctx_length=False,
        tiktoken_enabled=False,
    )
