"""Multimodal-LLM OCR: Qwen2-VL / Qwen2.5-VL from a local folder, or any served vision model.

    vlm:hf:/models/Qwen2-VL-2B-Instruct?max_pixels=401408&max_tokens=96&device=cpu
    vlm:openai:http://127.0.0.1:8080/v1#qwen2-vl-7b

Both ask for the lettered lines verbatim (prompts/ocr/vlm_ocr.j2) and return them with a confidence taken
from the token probabilities (exp of the mean log-probability).
"""

from __future__ import annotations

import base64
import io
import math
import os
import re
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from PIL import Image

from prompts import render
from tools.errors import MissingDependencyError, ModelLoadError
from tools.ocr.engine import BalloonKind, OcrEngine, OcrLine, OcrResult
from tools.offline import forbid_downloads

PATCH = 28  # Qwen2-VL: 14 px patches merged 2x2
SERVED_PRIOR_CONFIDENCE = 0.8  # for servers that return no log-probabilities
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*•]\s+|\d+[.)]\s+)")


def ocr_prompt(kind: BalloonKind = "speech") -> str:
    return render("ocr/vlm_ocr.j2", kind=kind).strip()


def parse_lines(text: str) -> list[str]:
    """The model's answer as lettered lines: code fences, list markers and wrapping quotes removed."""
    lines = []
    for raw in text.replace("```", "\n").splitlines():
        line = _LIST_MARKER_RE.sub("", raw).strip().strip('"“”').strip()
        if line and not line.lower().startswith(("plaintext", "text:")):
            lines.append(line)
    return lines


def _split_name(name: str, prefix: str) -> tuple[str, dict[str, str]]:
    rest = name[len(prefix) :]
    target, _, query = rest.partition("?")
    return target, dict(parse_qsl(query))


class QwenVLEngine(OcrEngine):
    """Qwen2-VL or Qwen2.5-VL through transformers and qwen-vl-utils, loaded lazily from `path`."""

    def __init__(
        self,
        path: str | Path,
        max_pixels: int = 512 * PATCH * PATCH,
        min_pixels: int = 4 * PATCH * PATCH,
        max_tokens: int = 96,
        device: str = "auto",
    ):
        self.path = Path(path).expanduser()
        self.max_pixels, self.min_pixels, self.max_tokens, self.device = (
            max_pixels,
            min_pixels,
            max_tokens,
            device,
        )
        self.name = f"vlm:hf:{self.path.name}"
        self._processor: Any = None
        self._model: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_name(cls, name: str) -> QwenVLEngine:
        target, opts = _split_name(name, "vlm:hf:")
        if not target:
            raise ModelLoadError(f"{name!r}: give the model folder, e.g. vlm:hf:/models/Qwen2-VL-2B-Instruct")
        try:
            numbers = {k: int(v) for k, v in opts.items() if k in {"max_pixels", "min_pixels", "max_tokens"}}
        except ValueError as exc:
            raise ModelLoadError(f"{name!r}: pixel and token options must be integers") from exc
        return cls(target, device=opts.get("device", "auto"), **numbers)

    def _ensure(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                self._processor, self._model = load_qwen_vl(self.path, self.device)
        return self._processor, self._model

    def messages(self, crop: Image.Image, kind: BalloonKind) -> list[dict[str, Any]]:
        image = {
            "type": "image",
            "image": crop.convert("RGB"),
            "min_pixels": self.min_pixels,
            "max_pixels": self.max_pixels,
        }
        return [{"role": "user", "content": [image, {"type": "text", "text": ocr_prompt(kind)}]}]

    def model_inputs(self, crop: Image.Image, kind: BalloonKind = "speech") -> Any:
        """The processor's tensors for one crop: chat template, resized image, image placeholder tokens."""
        from qwen_vl_utils import process_vision_info

        processor, model = self._ensure()
        messages = self.messages(crop, kind)
        text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        images = process_vision_info(messages)[0]
        return processor(text=[text], images=images, padding=True, return_tensors="pt").to(model.device)

    def read(self, crop: Image.Image, kind: BalloonKind = "speech") -> OcrResult:
        import torch

        start = time.perf_counter()
        processor, model = self._ensure()
        inputs = self.model_inputs(crop, kind)
        with torch.no_grad():
            out = model.generate(
                **inputs,
                max_new_tokens=self.max_tokens,
                do_sample=False,
                output_scores=True,
                return_dict_in_generate=True,
            )
        new_tokens = out.sequences[0, inputs["input_ids"].shape[1] :]
        text = processor.batch_decode([new_tokens], skip_special_tokens=True)[0]
        confidence = _sequence_confidence(out.scores, new_tokens)
        lines = [OcrLine(line, confidence) for line in parse_lines(text)]
        return OcrResult(lines=lines, engine=self.name, seconds=time.perf_counter() - start)

    def close(self) -> None:
        with self._lock:
            self._processor = self._model = None


def _sequence_confidence(scores: Any, tokens: Any) -> float:
    """exp(mean log-probability) of the generated tokens (1.0 for an empty answer is avoided: 0.0)."""
    import torch

    logprobs = [
        torch.log_softmax(step[0].float(), dim=-1)[int(tok)].item()
        for step, tok in zip(scores, tokens, strict=False)
    ]
    return math.exp(sum(logprobs) / len(logprobs)) if logprobs else 0.0


def load_qwen_vl(path: Path, device: str = "auto") -> tuple[Any, Any]:
    """(processor, model) for a Qwen2-VL / Qwen2.5-VL folder; clear errors for missing files or packages."""
    forbid_downloads()
    try:
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor
    except ImportError as exc:
        raise MissingDependencyError(
            "the vlm:hf engine needs `pip install transformers torch qwen-vl-utils`"
        ) from exc
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"{path}: no config.json; point vlm:hf: at a downloaded Qwen2-VL model folder")
    try:
        processor = AutoProcessor.from_pretrained(str(path))
        model = AutoModelForImageTextToText.from_pretrained(str(path), dtype="auto")
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"{path}: transformers could not load the vision model ({exc})") from exc
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        model = model.float()
    return processor, model.to(device).eval()  # type: ignore[arg-type]


class OpenAIVisionEngine(OcrEngine):
    """A served vision model on an OpenAI-compatible `/chat/completions` endpoint (vLLM, llama.cpp, Ollama)."""

    def __init__(self, base_url: str, model: str = "default", max_tokens: int = 96, timeout: float = 120.0):
        if not base_url.startswith(("http://", "https://")):
            raise ModelLoadError(
                f"vlm:openai needs a URL, e.g. vlm:openai:http://127.0.0.1:8080/v1#model; got {base_url!r}"
            )
        self.base_url, self.model, self.max_tokens, self.timeout = (
            base_url.rstrip("/"),
            model,
            max_tokens,
            timeout,
        )
        self.name = f"vlm:openai:{self.model}"

    @classmethod
    def from_name(cls, name: str) -> OpenAIVisionEngine:
        url, _, model = name[len("vlm:openai:") :].partition("#")
        return cls(url, model or "default")

    def request_body(self, crop: Image.Image, kind: BalloonKind = "speech") -> dict[str, Any]:
        buffer = io.BytesIO()
        crop.convert("RGB").save(buffer, format="PNG")
        data_uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        content = [
            {"type": "text", "text": ocr_prompt(kind)},
            {"type": "image_url", "image_url": {"url": data_uri}},
        ]
        return {
            "model": self.model,
            "messages": [{"role": "user", "content": content}],
            "temperature": 0.0,
            "max_tokens": self.max_tokens,
            "logprobs": True,
        }

    def read(self, crop: Image.Image, kind: BalloonKind = "speech") -> OcrResult:
        import httpx

        start = time.perf_counter()
        key = os.environ.get("NUVOLA_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"
        try:
            response = httpx.post(
                f"{self.base_url}/chat/completions",
                json=self.request_body(crop, kind),
                headers={"Authorization": f"Bearer {key}"},
                timeout=self.timeout,
            )
            response.raise_for_status()
            choice = response.json()["choices"][0]
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise ModelLoadError(f"{self.base_url}: the vision server gave no usable answer ({exc})") from exc
        text = choice.get("message", {}).get("content") or ""
        confidence = _served_confidence(choice.get("logprobs"))
        lines = [OcrLine(line, confidence) for line in parse_lines(text)]
        return OcrResult(lines=lines, engine=self.name, seconds=time.perf_counter() - start)


def _served_confidence(logprobs: dict[str, Any] | None) -> float:
    values = [item["logprob"] for item in (logprobs or {}).get("content") or [] if "logprob" in item]
    return math.exp(sum(values) / len(values)) if values else SERVED_PRIOR_CONFIDENCE
