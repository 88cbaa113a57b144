"""What the style and voice evals measure: texts with as much comic structure as their source has.

A sample comes from a write-issue script (pages, panels, balloons, speakers), the catalogue of ingested
volumes (balloons OCR'd from real pages), the memory (lines with speakers), or plain text (one balloon a line).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from tools.comic_script import IssueScript
from tools.errors import InputFileError

TEXT_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class BalloonText:
    """One lettered element: its words, who says it (None for captions), its kind, and its lettering as
    drawn when that differs from `text` (the memory keeps sentence case, pages are UPPERCASE)."""

    text: str
    speaker: str | None = None
    kind: str = "speech"
    lettering: str | None = None

    @property
    def drawn(self) -> str:
        return self.lettering or self.text


@dataclass
class TextSample:
    """A text to measure: balloons in reading order and, when known, the panel and page structure."""

    name: str
    source: str
    balloons: list[BalloonText]
    balloons_per_panel: list[int] | None = None
    panels_per_page: list[int] | None = None
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Every lettered element (sound effects excluded), one a line."""
        return "\n".join(b.text for b in self.balloons if b.kind != "sfx")

    @property
    def lines(self) -> list[tuple[str, str]]:
        """(speaker, text) of the spoken balloons that name their speaker."""
        return [(b.speaker, b.text) for b in self.balloons if b.speaker and b.kind in ("speech", "thought")]

    def speakers(self) -> Counter[str]:
        return Counter(s for s, _ in self.lines)


def sample_from_script(script: IssueScript, name: str, source: str) -> TextSample:
    """Balloons, panels and pages of a write-issue script (script.json)."""
    balloons = [
        BalloonText(text=b.text, speaker=b.speaker if b.kind != "caption" else None, kind=b.kind)
        for panel in script.panels
        for b in panel.balloons
    ]
    return TextSample(
        name=name,
        source=source,
        balloons=balloons,
        balloons_per_panel=[len(p.balloons) for p in script.panels],
        panels_per_page=[len(page.panels) for page in script.pages],
        meta={
            "title": script.title,
            "seed": script.seed,
            "pages": len(script.pages),
            "cast": list(script.cast),
        },
    )


def load_script(path: Path) -> IssueScript:
    """An IssueScript from a script.json, with the file named in any error."""
    try:
        return IssueScript.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from exc
    except (ValidationError, ValueError) as exc:
        raise InputFileError(path, f"not an IssueScript ({str(exc).splitlines()[0]})") from exc


def sample_from_text(path: Path) -> TextSample:
    """A plain-text file, read one balloon a non-empty line."""
    try:
        body = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from exc
    balloons = [BalloonText(text=line.strip(), kind="text") for line in body.splitlines() if line.strip()]
    if not balloons:
        raise InputFileError(path, "contains no text")
    return TextSample(name=path.stem, source=str(path), balloons=balloons)


def find_script(path: Path, runs_dir: Path | None = None) -> Path | None:
    """script.json of a run: the file itself, a folder holding it, or a run folder whose run.json names
    the output folder; a bare run id is looked up under `runs_dir`."""
    if path.is_file() and path.suffix == ".json":
        return path
    candidates = [path]
    if not path.exists() and runs_dir is not None and (runs_dir / path.name).is_dir():
        candidates = [runs_dir / path.name]
    for folder in candidates:
        if (folder / "script.json").is_file():
            return folder / "script.json"
        request = folder / "run.json"
        if request.is_file():
            out_dir = json.loads(request.read_text(encoding="utf-8")).get("out_dir")
            if out_dir and (Path(out_dir) / "script.json").is_file():
                return Path(out_dir) / "script.json"
    return None


def load_samples(item: Path, runs_dir: Path | None = None) -> list[TextSample]:
    """Samples named by one command-line item: a text file, a script, a run folder or a folder of texts."""
    script = find_script(item, runs_dir)
    if script is not None:
        name = script.parent.name if script.name == "script.json" else script.stem
        return [sample_from_script(load_script(script), name, str(script))]
    if item.is_file():
        return [sample_from_text(item)]
    if item.is_dir():
        files = sorted(p for p in item.iterdir() if p.suffix in TEXT_SUFFIXES and p.is_file())
        if files:
            return [sample_from_text(p) for p in files]
        raise InputFileError(item, "holds no script.json, run.json or .txt/.md files")
    raise InputFileError(item, "no such file, folder or run")


def merge_samples(samples: list[TextSample], name: str, source: str) -> TextSample:
    """One sample holding every balloon (and the known structure) of several."""
    panels = [n for s in samples for n in (s.balloons_per_panel or [])]
    pages = [n for s in samples for n in (s.panels_per_page or [])]
    return TextSample(
        name=name,
        source=source,
        balloons=[b for s in samples for b in s.balloons],
        balloons_per_panel=panels or None,
        panels_per_page=pages or None,
    )
