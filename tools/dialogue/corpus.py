"""Quoted speech of Italian novels (`«...»`, `“...”`, `"..."`, lines opened by `—`), the frozen author
split of the ELTeC corpus (train vs held-out novels) and the cached models and line banks built from it.

The corpus is found at `$NUVOLA_CORPUS_DIR`, else `<repo>/../shared/corpus/eltec-ita`; nothing of it is
copied into the repository. Built artefacts are cached under `$XDG_CACHE_HOME/nuvola/dialogue/`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tools.atomic import atomic_path, write_text_atomic
from tools.dialogue.ngram import TrigramLM
from tools.errors import InputFileError

REPO = Path(__file__).resolve().parents[2]
SPLIT_FILE = REPO / "evals" / "gt" / "eltec-ita" / "dialogue_split.json"
CACHE_VERSION = "1"
_GUILLEMETS = re.compile(r"«([^«»]{2,400})»")
_CURLY = re.compile(r"“([^“”]{2,400})”")
_STRAIGHT = re.compile(r'"([^"\n]{2,400})"')
_DASH = re.compile(r"\s*[—–]\s*")


def corpus_dir() -> Path | None:
    """The novels folder: $NUVOLA_CORPUS_DIR, else the shared ELTeC folder beside the repo; None if absent."""
    env = os.environ.get("NUVOLA_CORPUS_DIR")
    folder = Path(env).expanduser() if env else REPO.parent / "shared" / "corpus" / "eltec-ita"
    return folder if folder.is_dir() else None


def quoted_speech(text: str) -> list[str]:
    """Every stretch of quoted speech in a novel's text, in order of the paragraphs."""
    found: list[str] = []
    for paragraph in text.splitlines():
        stripped = paragraph.strip()
        if stripped.startswith(("—", "–")):
            parts = _DASH.split(stripped)[1:]
            found += [p.strip(" ,") for p in parts[0::2]]  # speech, narration, speech...
            continue
        for pattern in (_GUILLEMETS, _CURLY, _STRAIGHT):
            found += [m.group(1).strip() for m in pattern.finditer(stripped)]
    return [" ".join(s.split()) for s in found if any(c.isalpha() for c in s)]


@dataclass(frozen=True)
class DialogueSplit:
    """Novels for training and held-out novels (by author), as frozen in evals/gt/eltec-ita."""

    folder: Path
    train: tuple[Path, ...]
    held_out: tuple[Path, ...]
    rule: str

    @classmethod
    def load(cls, folder: Path, split_file: Path = SPLIT_FILE) -> DialogueSplit:
        try:
            data = json.loads(split_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputFileError(split_file, f"cannot read the frozen corpus split ({exc})") from exc
        train = tuple(folder / name for name in data["train_files"])
        held = tuple(folder / name for name in data["held_out_files"])
        missing = [p.name for p in (*train, *held) if not p.is_file()]
        if missing:
            raise InputFileError(
                folder, f"{len(missing)} novel(s) of the split are missing, e.g. {missing[0]}"
            )
        return cls(folder, train, held, data["rule"])

    def key(self, what: str) -> str:
        """A cache key for an artefact built from this split's files (names and sizes)."""
        digest = hashlib.sha256(f"{CACHE_VERSION}|{what}".encode())
        for path in (*self.train, *self.held_out):
            digest.update(f"{path.name}:{path.stat().st_size}".encode())
        return digest.hexdigest()[:16]


def read_novel(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the novel ({exc})") from exc


def speech_of(paths: tuple[Path, ...]) -> list[str]:
    """Quoted speech of the novels, in order."""
    return [line for path in paths for line in quoted_speech(read_novel(path))]


def cache_dir() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nuvola" / "dialogue"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _cached_lm(split: DialogueSplit, what: str, texts: list[str] | None = None) -> TrigramLM:
    path = cache_dir() / f"{what}-{split.key(what)}.npz"
    if path.is_file():
        return TrigramLM.load(path)
    if texts is None:
        texts = [read_novel(p) for p in split.train]
    model = TrigramLM.fit(texts)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        model.save(handle)
    return model


@cache
def novel_lm(folder: Path) -> TrigramLM:
    """The fluency model of the benchmark: trigrams of the whole text of the training novels."""
    return _cached_lm(DialogueSplit.load(folder), "novels")


@cache
def speech_lm(folder: Path) -> TrigramLM:
    """The writers' re-ranking model: trigrams of the training novels' quoted speech only."""
    split = DialogueSplit.load(folder)
    return _cached_lm(split, "speech", ["\n".join(speech_of(split.train))])


@cache
def speech_lines(folder: Path, part: str) -> tuple[str, ...]:
    """Quoted speech of the `train` or `held_out` novels (cached as one JSON list)."""
    split = DialogueSplit.load(folder)
    path = cache_dir() / f"speech-{part}-{split.key(part)}.json"
    if path.is_file():
        return tuple(json.loads(path.read_text(encoding="utf-8")))
    lines = speech_of(split.train if part == "train" else split.held_out)
    write_text_atomic(path, json.dumps(lines, ensure_ascii=False))
    return tuple(lines)
