"""What a training set is: prompt -> completion texts, split into train and held-out, saved as JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools.atomic import write_text_atomic
from tools.errors import InputFileError


@dataclass(frozen=True)
class TextExample:
    """One training text: the model reads `prompt` and learns to write `completion` (the loss covers only it).

    Style examples have an empty prompt: the whole text is learned (self-supervised language modelling).
    """

    prompt: str
    completion: str
    original: str = ""  # the unedited input a correcting example was built from (the OCR reading)


@dataclass
class TrainingSet:
    """The examples of one adapter, a held-out part never trained on, and where they came from."""

    kind: str
    train: list[TextExample]
    heldout: list[TextExample]
    sources: list[str] = field(default_factory=list)
    heldout_sources: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """Counts and sources, for the report and the CLI."""
        return {
            "kind": self.kind,
            "train_examples": len(self.train),
            "heldout_examples": len(self.heldout),
            "train_chars": sum(len(e.prompt) + len(e.completion) for e in self.train),
            "heldout_chars": sum(len(e.prompt) + len(e.completion) for e in self.heldout),
            "sources": self.sources,
            "heldout_sources": self.heldout_sources,
        }

    def save(self, folder: Path) -> None:
        """Write `train.jsonl`, `heldout.jsonl` and `dataset.json` (the summary) into `folder`."""
        for split in ("train", "heldout"):
            lines = (json.dumps(asdict(e), ensure_ascii=False) for e in getattr(self, split))
            write_text_atomic(folder / f"{split}.jsonl", "".join(line + "\n" for line in lines))
        write_text_atomic(
            folder / "dataset.json", json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n"
        )


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Objects of a JSONL file; a bad line is an InputFileError naming the file and the line."""
    rows: list[dict[str, object]] = []
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read it ({exc})") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(path, f"line {number} is not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise InputFileError(path, f"line {number} is not a JSON object")
        rows.append(row)
    return rows


def read_jsonl_examples(path: Path) -> list[TextExample]:
    """`{"prompt": ..., "completion": ...}` rows (as `TrainingSet.save` writes them) as examples."""
    examples = []
    for number, row in enumerate(read_jsonl(path), 1):
        if not isinstance(row.get("completion"), str):
            raise InputFileError(path, f'row {number} has no "completion" text')
        examples.append(
            TextExample(str(row.get("prompt") or ""), str(row["completion"]), str(row.get("original") or ""))
        )
    return examples


def read_text(path: Path) -> str:
    """A UTF-8 text file; unreadable files are an InputFileError naming the cause."""
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read it as UTF-8 text ({exc})") from exc


def expand_sources(sources: Iterable[Path | str], suffixes: tuple[str, ...]) -> list[Path]:
    """Files named directly, or the files with `suffixes` inside named folders, sorted; missing ones fail."""
    files: list[Path] = []
    for source in sources:
        path = Path(source).expanduser()
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.is_file():
            files.append(path)
        else:
            raise InputFileError(path, "no such file or folder")
    return sorted(dict.fromkeys(files))
