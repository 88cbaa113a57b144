"""Where each adapter's data comes from by default, given the settings: the memory, the series profile,
the story bank, the OCR engines. The CLI turns its options into these calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finetune.data.examples import TrainingSet
from finetune.data.ocr_clean import REAL_READINGS, ocr_clean_set
from finetune.data.style import style_set_from_files, style_set_from_memory
from finetune.data.voice_sets import voice_set
from tools.errors import InputFileError
from tools.models.spec import ModelSpec, parse_model_name

ROLE_OF_KIND = {"style": "narrator", "voice": "voice", "dialogue": "voice", "ocr-clean": "ocr_cleaner"}
DIALOGUE_SPEAKERS = 4
"""The profile's first characters whose labels take turns in the dialogue set's conversations."""


def default_base(settings: Any, kind: str) -> str:
    """The model the adapter's role runs (without adapter options): what the adapter must be trained on."""
    spec = parse_model_name(settings.model_for(ROLE_OF_KIND[kind]))
    options = {k: v for k, v in spec.options.items() if k == "gguf_file"}
    return ModelSpec(spec.backend, spec.target, options).name


def open_memory(settings: Any) -> Any:
    from memory.store import MemoryStore

    return MemoryStore.open(settings)


def build_style_set(settings: Any, sources: Sequence[str], heldout: Sequence[str]) -> TrainingSet:
    """From text files/folders when given (held-out files never trained on), else from the memory."""
    if sources:
        return style_set_from_files(sources, heldout)
    return style_set_from_memory(open_memory(settings))


def profile_character(settings: Any, character: str) -> Any:
    """The series profile's entry for `character` (name or alias), or None when unknown."""
    from tools.series.profile import load_profile

    try:
        return load_profile(settings.series).find(character)
    except Exception:  # noqa: BLE001 - a missing or broken profile only loses aliases and sample lines
        return None


def build_voice_set(settings: Any, character: str, sources: Sequence[str]) -> tuple[str, TrainingSet]:
    """The character's canonical name and voice set; default sources: the memory and the profile's samples."""
    from tools.series.profile import name_key

    found = profile_character(settings, character)
    canonical = found.name if found is not None else character.strip()
    keys = {name_key(n) for n in (found.names if found is not None else [canonical])}
    wanted = list(sources) or ["memory"]
    store = open_memory(settings) if "memory" in wanted else None
    samples = found.sample_lines if found is not None else []
    dataset = voice_set(
        canonical, wanted, lambda label: name_key(label) in keys, store=store, sample_lines=samples
    )
    return canonical, dataset


def build_dialogue_set(settings: Any, limit: int | None, seed: int) -> TrainingSet:
    """Conversations of the training novels' quoted speech (the frozen author split; `$NUVOLA_CORPUS_DIR`),
    spoken by the series profile's first characters."""
    from agent.characters import speaker_label
    from finetune.data.dialogue import dialogue_set, training_novels
    from tools.dialogue.corpus import corpus_dir
    from tools.series.profile import load_profile

    folder = corpus_dir()
    if folder is None:
        raise InputFileError(
            "NUVOLA_CORPUS_DIR", "the ELTeC novels are not found (set NUVOLA_CORPUS_DIR to their folder)"
        )
    labels = [speaker_label(c.name) for c in load_profile(settings.series).characters][:DIALOGUE_SPEAKERS]
    novels = training_novels(folder)
    return dialogue_set(
        novels, labels, seed=seed, limit=limit, source_names=[f"{folder} ({len(novels)} training novels)"]
    )


def ocr_engine(settings: Any, name: str | None) -> Any:
    """The OCR engine reading balloons (default: the `ocr` role, the runtime ensemble; `none`: no engine)."""
    if name == "none":
        return None
    from tools.ocr import get_ocr_engine

    return get_ocr_engine(name or None, settings)


def build_ocr_set(
    settings: Any,
    sources: Sequence[str],
    ocr_sets: Sequence[Path],
    engine_name: str | None,
    eval_set: str,
    seed: int,
    heldout: int,
    real: int = REAL_READINGS,
) -> TrainingSet:
    """Noisy -> clean pairs from the story bank (default) and text files, plus any OCR sets; measured on the
    OCR team's validation set `eval_set` (default `generated`, built on first use) as the engine reads it."""
    for path in ocr_sets:
        if not Path(path).is_file():
            raise InputFileError(path, "OCR set not found")
    engine = ocr_engine(settings, engine_name)
    eval_pairs = []
    if eval_set != "none":
        from finetune.data.ocr_clean import valset_pairs
        from tools.ocr.valset import load_set

        if engine is None:
            raise InputFileError(
                eval_set, "reading an OCR validation set needs an engine: drop --engine none"
            )
        eval_pairs = valset_pairs(load_set(settings, eval_set), engine, heldout)
    return ocr_clean_set(
        list(sources) or ["story-bank"],
        eval_pairs=eval_pairs,
        ocr_sets=ocr_sets,
        engine=engine,
        seed=seed,
        heldout=heldout,
        real=real,
    )
