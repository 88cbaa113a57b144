"""English editions: glossary, context, balloon-by-balloon translation through the model seam, re-lettering.

from tools.translate import make_translator, translate_issue, translate_volume
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.translate.context import TranslationUnit
from tools.translate.glossary import Glossary, build_glossary, load_glossary_file
from tools.translate.translator import Translation, Translator

__all__ = [
    "Glossary",
    "Translation",
    "TranslationUnit",
    "Translator",
    "build_glossary",
    "load_glossary_file",
    "make_translator",
    "prompt_style",
]


def prompt_style(llm: Any) -> str:
    """`plain` for a seq2seq translation model in an `hf:` folder (MarianMT, T5: the Italian alone goes in),
    `fewshot` for every completion model."""
    path = getattr(llm, "path", None)
    if getattr(llm, "_llm_type", "") == "hf" and path:
        import json

        config = Path(path) / "config.json"
        if config.is_file() and json.loads(config.read_text("utf-8")).get("is_encoder_decoder"):
            return "plain"
    return "fewshot"


def make_translator(
    settings: Any,
    *,
    model: str | None = None,
    target: str = "en",
    translation_memory: Any = None,
    glossary_file: Path | None = None,
    series: str | None = None,
) -> Translator:
    """A Translator for the `translator` role (or `model`), the series glossary and `translation_memory`
    (memory.translations.TranslationMemory, made by the caller that owns the store; None: none)."""
    from tools.models import get_llm
    from tools.series.profile import load_profile

    name = model or settings.model_for("translator")
    glossary = build_glossary(load_profile(series or settings.series), target)
    if glossary_file is not None:
        glossary = glossary.extend(load_glossary_file(glossary_file))
    llm = get_llm(name)
    return Translator(
        llm, glossary, memory=translation_memory, model_name=name, target=target, style=prompt_style(llm)
    )
