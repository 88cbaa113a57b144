"""Voice sets: the scene so far -> one character's next line, in the writers' `LABEL: text` line format.

Sources: script files (`TEX: ...` lines, a blank line between scenes, an unlabelled line is a caption),
JSONL (`{"speaker", "text"}` script rows, `{"context", "line"}` pairs, or `{"prompt", "completion"}`),
the memory's remembered lines, the story bank of the page generator, and the profile's sample lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.data.examples import TextExample, TrainingSet, expand_sources, read_jsonl, read_text
from prompts import render
from tools.errors import InputFileError

CAPTION_LABEL = "DIDASCALIA"
CONTEXT_LINES = 4
HELDOUT_EVERY = 8  # every 8th example is held out, so the held-out lines span the whole source
VOICE_SUFFIXES = (".txt", ".md", ".jsonl")
SCRIPT_LINE = re.compile(r"^\s*([^\W\d_][\w .'’-]{0,40}?)\s*:\s*(\S.*)$")


@dataclass(frozen=True)
class ScriptRow:
    """One lettered element of a scene: a speaker's line, or a caption (speaker None)."""

    speaker: str | None
    text: str

    def labelled(self) -> str:
        return f"{(self.speaker or CAPTION_LABEL).upper()}: {self.text}"


Scene = list[ScriptRow]
NameMatcher = Callable[[str], bool]


def parse_script(text: str) -> list[Scene]:
    """Scenes of `LABEL: text` lines; blank lines end a scene; an unlabelled line is a caption."""
    scenes: list[Scene] = [[]]
    for line in text.splitlines():
        if not line.strip():
            scenes.append([])
            continue
        match = SCRIPT_LINE.match(line)
        label = match.group(1).strip() if match else None
        if match and label and label.upper() != CAPTION_LABEL:
            scenes[-1].append(ScriptRow(label, match.group(2).strip()))
        else:
            scenes[-1].append(ScriptRow(None, match.group(2).strip() if match else line.strip()))
    return [s for s in scenes if s]


def voice_examples(scenes: Iterable[Scene], is_character: NameMatcher, label: str) -> list[TextExample]:
    """One example per line of the character: up to CONTEXT_LINES earlier rows of the scene -> the line."""
    examples = []
    for scene in scenes:
        for i, row in enumerate(scene):
            if row.speaker is None or not is_character(row.speaker):
                continue
            context = [r.labelled() for r in scene[max(0, i - CONTEXT_LINES) : i]]
            prompt = render("finetune/voice_line.j2", context=context, speaker=label)
            examples.append(TextExample(prompt, f" {row.text}\n"))
    return examples


def _jsonl_scenes(path: Path, rows: list[dict[str, Any]]) -> list[Scene]:
    scenes: dict[str, Scene] = {}
    for number, row in enumerate(rows, 1):
        if not isinstance(row.get("text"), str):
            raise InputFileError(path, f'row {number} has no "text" (expected speaker/text script rows)')
        speaker = row.get("speaker")
        scenes.setdefault(str(row.get("scene", "")), []).append(
            ScriptRow(str(speaker) if speaker else None, row["text"])
        )
    return list(scenes.values())


def _jsonl_pairs(path: Path, rows: list[dict[str, Any]], label: str) -> list[TextExample]:
    examples = []
    for number, row in enumerate(rows, 1):
        if "completion" in row:
            examples.append(TextExample(str(row.get("prompt") or ""), str(row["completion"])))
            continue
        if not isinstance(row.get("line"), str):
            raise InputFileError(path, f'row {number} has no "line" text')
        context = row.get("context") or []
        lines = context.splitlines() if isinstance(context, str) else [str(c) for c in context]
        prompt = render("finetune/voice_line.j2", context=lines[-CONTEXT_LINES:], speaker=label)
        examples.append(TextExample(prompt, f" {row['line'].strip()}\n"))
    return examples


def file_examples(path: Path, is_character: NameMatcher, label: str) -> list[TextExample]:
    """The examples of one source file (script text or JSONL)."""
    if path.suffix.lower() != ".jsonl":
        return voice_examples(parse_script(read_text(path)), is_character, label)
    rows = read_jsonl(path)
    if rows and ("line" in rows[0] or "completion" in rows[0]):
        return _jsonl_pairs(path, rows, label)
    return voice_examples(_jsonl_scenes(path, rows), is_character, label)


def story_bank_scenes() -> list[Scene]:
    """The original story of the page generator (tools/synth/story.py) as scenes."""
    from tools.synth.story import SCENES

    return [[ScriptRow(b.speaker, b.text) for b in scene.beats] for scene in SCENES]


def memory_scenes(store: Any, volume: str | None = None) -> list[Scene]:
    """Remembered lines (kind `line`) in reading order, one scene per reconstructed scene of a volume."""
    scenes: dict[tuple[str, int], list[tuple[int, list[Any], ScriptRow]]] = {}
    for r in store.get("line", where={"volume": volume} if volume else None):
        meta, prov = r.metadata, r.provenance
        speaker = meta.get("speaker")
        row = ScriptRow(str(speaker) if speaker else None, str(meta.get("line") or r.text))
        order = _natural(prov.balloon_ids[0].rsplit(":", 1)[-1] if prov.balloon_ids else "")
        key = (prov.volume or "", int(meta.get("scene_index") or 0))
        scenes.setdefault(key, []).append((prov.page_index or 0, order, row))
    return [
        [row for *_, row in sorted(rows, key=lambda x: (x[0], x[1]))] for _, rows in sorted(scenes.items())
    ]


def _natural(text: str) -> list[Any]:
    """`b10` after `b9`: digits compare as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def split_every(
    examples: list[TextExample], every: int = HELDOUT_EVERY
) -> tuple[list[TextExample], list[TextExample]]:
    """Hold out every `every`-th example (at least one), train on the others."""
    if len(examples) < 2:
        raise InputFileError(
            "voice source",
            f"only {len(examples)} line(s) of the character: need at least 2 (read volumes into the memory, "
            "or pass --source with a script file or `story-bank`)",
        )
    held = [e for i, e in enumerate(examples) if i % every == every - 1] or examples[-1:]
    return [e for e in examples if e not in held], held


def voice_set(
    character: str,
    sources: Sequence[Path | str],
    is_character: NameMatcher,
    *,
    store: Any = None,
    sample_lines: Sequence[str] = (),
) -> TrainingSet:
    """A voice set for `character` from files, the special sources `memory` and `story-bank`, and samples."""
    label = character.upper()
    examples: list[TextExample] = []
    names: list[str] = []
    for source in sources:
        if str(source) == "memory":
            examples += voice_examples(memory_scenes(store), is_character, label)
            names.append("memory")
        elif str(source) == "story-bank":
            examples += voice_examples(story_bank_scenes(), is_character, label)
            names.append("story-bank")
        else:
            for path in expand_sources([source], VOICE_SUFFIXES):
                examples += file_examples(path, is_character, label)
                names.append(str(path))
    train, heldout = split_every(examples)
    train += [
        TextExample(render("finetune/voice_line.j2", context=[], speaker=label), f" {s}\n")
        for s in sample_lines
    ]
    return TrainingSet(f"voice:{character}", train, heldout, names + (["profile"] if sample_lines else []))
