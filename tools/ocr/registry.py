"""OCR engines by name, created once per process.

    tesseract                         Tesseract, Italian, per-line reading of the prepared balloon
    tesseract?mode=block&binarise=adaptive&glyph=48&charset=upper
    vlm:hf:/models/Qwen2-VL-2B-Instruct?max_pixels=401408&max_tokens=96
    vlm:openai:http://127.0.0.1:8080/v1#qwen2-vl
    rapidocr                          PP-OCR through the optional `rapidocr` package
    ensemble                          two Tesseract preprocessings and RapidOCR voted (ENSEMBLE_DEFAULT)
    a,b,c                             any engines voted together; `?weight=2` on a member weighs its vote

An `ocr_arbiter` model role, when configured, lets an LLM choose among disagreeing ensemble readings.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl

from tools.errors import ModelLoadError, UnknownModelError
from tools.ocr.engine import OcrEngine
from tools.ocr.preprocess import PrepareOptions
from tools.settings import Settings

ENSEMBLE_DEFAULT = "tesseract?mode=block,tesseract?binarise=adaptive,rapidocr"
ALIASES = {"ensemble": ENSEMBLE_DEFAULT}
_CACHE: dict[str, OcrEngine] = {}
_LOCK = threading.RLock()


def split_engine_names(name: str) -> list[str]:
    """`a,b` -> [a, b]; aliases expanded; a URL's own commas are not expected."""
    expanded = ALIASES.get(name.strip(), name)
    return [part.strip() for part in expanded.split(",") if part.strip()]


def _split_options(name: str) -> tuple[str, dict[str, str]]:
    base, _, query = name.partition("?")
    return base, dict(parse_qsl(query))


def _number(options: dict[str, str], key: str, default: float, name: str) -> float:
    try:
        return float(options.get(key, default))
    except ValueError as exc:
        raise ModelLoadError(f"{name}: option {key} must be a number, got {options[key]!r}") from exc


def _make_tesseract(name: str, settings: Settings) -> OcrEngine:
    from tools.ocr.tesseract import UPPER_CHARSET, TesseractEngine

    _, opts = _split_options(name)
    prep = PrepareOptions(
        glyph_height=int(_number(opts, "glyph", 40, name)),
        binarise=opts.get("binarise", "otsu"),
    )
    if prep.binarise not in {"otsu", "adaptive", "none"}:
        raise ModelLoadError(f"{name}: binarise must be otsu, adaptive or none")
    charset = UPPER_CHARSET if opts.get("charset") == "upper" else None
    engine = TesseractEngine(
        settings.tessdata, opts.get("lang", "ita"), opts.get("mode", "auto"), prep, charset
    )
    if opts:
        engine.name = name
    return engine


def _make_single(name: str, settings: Settings) -> OcrEngine:
    base, _ = _split_options(name)
    if base == "tesseract":
        return _make_tesseract(name, settings)
    if base.startswith("vlm:hf:"):
        from tools.ocr.vlm import QwenVLEngine

        return QwenVLEngine.from_name(name)
    if base.startswith("vlm:openai:"):
        from tools.ocr.vlm import OpenAIVisionEngine

        return OpenAIVisionEngine.from_name(name)
    if base == "rapidocr":
        from tools.ocr.rapid import RapidOcrEngine

        return RapidOcrEngine()
    raise UnknownModelError(
        f"unknown OCR engine {name!r}: use tesseract, vlm:hf:/path, vlm:openai:http://host/v1#model, "
        "rapidocr, ensemble, or several of them separated by commas"
    )


def _member_weight(name: str) -> tuple[str, float]:
    """Strip a `weight=` option from a member name (an OpenAI URL keeps its query)."""
    if name.startswith("vlm:openai:"):
        return name, 1.0
    base, opts = _split_options(name)
    weight = _number(opts, "weight", 1.0, name)
    opts.pop("weight", None)
    rest = "&".join(f"{k}={v}" for k, v in opts.items())
    return (f"{base}?{rest}" if rest else base), weight


def _arbiter(settings: Settings):  # noqa: ANN202 - a langchain BaseLLM or None
    if "ocr_arbiter" not in settings.models.roles():
        return None
    from tools.models import get_llm

    return get_llm(settings.model_for("ocr_arbiter"))


def get_ocr_engine(name: str | None = None, settings: Settings | None = None) -> OcrEngine:
    """The engine for `name` (default: the `ocr` role of the settings), created once and cached."""
    from tools.settings import load_settings

    settings = settings or load_settings()
    name = (name or settings.model_for("ocr")).strip()
    with _LOCK:
        if name not in _CACHE:
            _CACHE[name] = _create(name, settings)
        return _CACHE[name]


def _create(name: str, settings: Settings) -> OcrEngine:
    parts = split_engine_names(name)
    if len(parts) == 1 and _member_weight(parts[0])[1] == 1.0:
        return _make_single(parts[0], settings)
    from tools.ocr.ensemble import EnsembleEngine

    members, weights = [], []
    for part in parts:
        member_name, weight = _member_weight(part)
        members.append(get_ocr_engine(member_name, settings))
        weights.append(weight)
    return EnsembleEngine(members, weights, arbiter=_arbiter(settings))


def clear_engines() -> None:
    """Close and forget every cached engine (tests, switching engines)."""
    with _LOCK:
        for engine in _CACHE.values():
            engine.close()
        _CACHE.clear()
