"""Style sets: self-supervised language modelling on the series' scripts and captions, or any prose corpus.

The held-out part is whole files when there are several (a novel the adapter never saw), else the tail of
the text. Examples have an empty prompt: every token is learned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from finetune.data.examples import TextExample, TrainingSet, expand_sources, read_jsonl, read_text
from tools.errors import InputFileError

STYLE_SUFFIXES = (".txt", ".md", ".jsonl")
PASSAGE_CHARS = 2000
MEMORY_KINDS = ("scene", "passage")


def normalise_prose(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line between paragraphs."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def split_passages(text: str, size: int = PASSAGE_CHARS) -> list[str]:
    """Cut a text into passages of about `size` characters at paragraph ends (a long paragraph stays whole)."""
    passages: list[str] = []
    current: list[str] = []
    length = 0
    for paragraph in text.split("\n"):
        current.append(paragraph)
        length += len(paragraph) + 1
        if length >= size:
            passages.append("\n".join(current).strip())
            current, length = [], 0
    if current and "\n".join(current).strip():
        passages.append("\n".join(current).strip())
    return [p for p in passages if p]


def file_texts(path: Path) -> list[str]:
    """The texts of one source file: the whole text of .txt/.md, the `text` fields of .jsonl rows."""
    if path.suffix.lower() != ".jsonl":
        text = normalise_prose(read_text(path))
        if not text:
            raise InputFileError(path, "the file is empty")
        return [text]
    texts = [normalise_prose(str(row.get("text") or "")) for row in read_jsonl(path)]
    texts = [t for t in texts if t]
    if not texts:
        raise InputFileError(path, 'no row has a "text" field')
    return texts


def _examples(texts: Iterable[str]) -> list[TextExample]:
    return [TextExample("", passage) for text in texts for passage in split_passages(text)]


def style_set_from_files(
    sources: Sequence[Path | str], heldout: Sequence[Path | str] = (), heldout_fraction: float = 0.1
) -> TrainingSet:
    """A style set from text files or folders; `heldout` files (default: the last file) are never trained on."""
    files = expand_sources(sources, STYLE_SUFFIXES)
    held = expand_sources(heldout, STYLE_SUFFIXES) if heldout else files[-1:] if len(files) > 1 else []
    train_files = [f for f in files if f not in held]
    if not train_files:
        raise InputFileError(", ".join(map(str, sources)), "no training text left after holding out files")
    texts = {f: file_texts(f) for f in dict.fromkeys([*train_files, *held])}
    if held:
        train = _examples(t for f in train_files for t in texts[f])
        test = _examples(t for f in held for t in texts[f])
    else:
        train, test = split_tail(_examples(t for f in train_files for t in texts[f]), heldout_fraction)
    return TrainingSet("style", train, test, [str(f) for f in train_files], [str(f) for f in held])


def split_tail(examples: list[TextExample], fraction: float) -> tuple[list[TextExample], list[TextExample]]:
    """The first (1 - fraction) of the examples for training, the rest held out (at least one each)."""
    if len(examples) < 2:
        raise InputFileError(
            "style source", "too little text to hold any out: give more text or a --heldout file"
        )
    cut = min(len(examples) - 1, max(1, round(len(examples) * (1 - fraction))))
    return examples[:cut], examples[cut:]


def _reading_key(record: Any) -> tuple[str, int, int]:
    """(volume, first page, chunk): the order a reader meets a remembered scene or passage."""
    prov = record.provenance
    first_page = prov.pages[0] if prov.pages else prov.page_index or 0
    return (prov.volume or prov.source or "", first_page, prov.chunk or 0)


def style_texts_from_memory(store: Any, volume: str | None = None) -> list[str]:
    """Scene scripts and text passages remembered in the memory, in reading order per volume."""
    where = {"volume": volume} if volume else None
    records = [r for kind in MEMORY_KINDS for r in store.get(kind, where=where)]
    return [t for t in (normalise_prose(r.text) for r in sorted(records, key=_reading_key)) if t]


def style_set_from_memory(
    store: Any, volume: str | None = None, heldout_fraction: float = 0.1
) -> TrainingSet:
    """A style set from what the memory holds (scripts, captions, passages); the tail is held out."""
    texts = style_texts_from_memory(store, volume)
    if not texts:
        raise InputFileError(
            getattr(store, "location", "memory"),
            "the memory holds no scenes or passages to learn a style from: `nuvola read` a volume first, "
            "or pass --source with text files",
        )
    train, test = split_tail(_examples(texts), heldout_fraction)
    return TrainingSet("style", train, test, [f"memory:{volume or 'all'}"], [])
