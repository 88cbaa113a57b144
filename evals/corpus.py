"""Plain-text corpora for attribution: `Author-Name_Title_Year.txt` files, N-word chunks, held-out splits."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tools.errors import InputFileError

WORD_RE = re.compile(r"[^\W\d_]+")
"""A word is a run of letters: `l'indiano` is two words, numbers and punctuation are not words."""


@dataclass(frozen=True)
class AuthoredText:
    """One text file of a corpus and the author its name declares."""

    path: Path
    author: str
    title: str

    @classmethod
    def from_path(cls, path: Path) -> AuthoredText:
        """Parse `Author-Name_Title_Year.txt`: the author is the part before the first `_`."""
        stem = path.stem
        author, sep, rest = stem.partition("_")
        if not sep or not author:
            raise InputFileError(
                path, "name must look like Author-Name_Title_Year.txt (no '_' after the author)"
            )
        return cls(path=path, author=author, title=rest)

    def read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputFileError(self.path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except OSError as exc:
            raise InputFileError(self.path, exc.strerror or str(exc)) from exc


def list_texts(folder: Path) -> list[AuthoredText]:
    """Every `*.txt` file directly in `folder`, sorted by name (symbolic links are followed)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(folder, "not a folder of .txt files")
    texts = [AuthoredText.from_path(p) for p in sorted(folder.glob("*.txt")) if p.is_file()]
    if not texts:
        raise InputFileError(folder, "contains no .txt files")
    return texts


UPPER_LETTERS = "".join(c for c in map(chr, range(0x10000)) if c.isupper() and WORD_RE.match(c))
CAPITALISED_RE = re.compile(r"(?<![^\W\d_])[" + re.escape(UPPER_LETTERS) + r"][^\W\d_]*")
"""A word that starts with an upper-case letter (a candidate proper name)."""


def read_background(folder: Path) -> list[tuple[str, str]]:
    """(profile, text) of every `*.txt` in `folder`: the profile is the part of the name before the first `_`
    (the author, for `Author-Name_Title_Year.txt`), else the whole file name."""
    folder = Path(folder)
    files = sorted(p for p in folder.glob("*.txt") if p.is_file()) if folder.is_dir() else []
    if not files:
        raise InputFileError(folder, "no .txt files of background text")
    return [(p.stem.split("_")[0] or p.stem, AuthoredText(p, p.stem, "").read()) for p in files]


def count_words(text: str) -> int:
    return len(WORD_RE.findall(text))


def chunk_words(text: str, size: int) -> list[str]:
    """Consecutive slices of `text` holding exactly `size` words each; a shorter tail is dropped."""
    if size < 1:
        raise ValueError(f"chunk size must be at least one word, got {size}")
    spans = [m.span() for m in WORD_RE.finditer(text)]
    return [text[spans[i][0] : spans[i + size - 1][1]] for i in range(0, len(spans) - size + 1, size)]


@dataclass(frozen=True)
class Fold:
    """One held-out split: train on `train`, attribute the chunks of `test`."""

    index: int
    train: tuple[AuthoredText, ...]
    test: tuple[AuthoredText, ...]


def leave_one_novel_out(texts: list[AuthoredText]) -> list[Fold]:
    """Fold k holds out the k-th text (by name) of every author with two or more texts.

    Everything else, including authors with a single text (as distractors), is training material, so each
    held-out novel is attributed among all the corpus's authors from the author's *other* novels only.
    """
    by_author: dict[str, list[AuthoredText]] = defaultdict(list)
    for text in sorted(texts, key=lambda t: t.path.name):
        by_author[text.author].append(text)
    depth = max((len(v) for v in by_author.values() if len(v) >= 2), default=0)
    folds = []
    for k in range(depth):
        test = tuple(v[k] for v in by_author.values() if len(v) >= 2 and k < len(v))
        train = tuple(t for t in texts if t not in test)
        folds.append(Fold(index=k, train=train, test=test))
    return folds


def write_fold_links(folds: list[Fold], out_dir: Path) -> list[Path]:
    """Materialise folds as `fold-K/train` and `fold-K/test` folders of symbolic links; return fold dirs."""
    made = []
    for fold in folds:
        root = Path(out_dir) / f"fold-{fold.index}"
        for part, texts in (("train", fold.train), ("test", fold.test)):
            target = root / part
            target.mkdir(parents=True, exist_ok=True)
            for text in texts:
                link = target / text.path.name
                if link.is_symlink() or link.exists():
                    link.unlink()
                os.symlink(text.path.resolve(), link)
        made.append(root)
    return made
