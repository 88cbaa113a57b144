"""An outline scene block as the narrator reads it, and when its completion may stop.

The narrator asks for a block that goes on from `LUOGO:` (the place), then `TEMPO:`, `PERSONAGGI:`,
`OBIETTIVO:`, `CONFLITTO:` and `SVOLTA:` lines (agent.write.line_formats.parse_scene reads the first line
of each label). Before parsing it may cut the block at a goal, conflict or turn copied from an example or an
earlier scene (`narrator._drop_repeated`) and continue a block that stopped before its goal
(`narrator._continue_scene`, from its field lines only). Two things decide the parse whatever text follows:

- a field already longer than parse_scene allows, or a place or goal line ended empty, on a field line
  that only field lines and no copied field precede: the block fails, however the line ends (its cleaned
  length only grows);
- every field written on complete field lines: more lines could only repeat a label, which is not read (an
  optional field ended empty is left out, so a later line of its label may still give it).

The 270M model often runs a place or a conflict on to the token limit; `scene_settled` lets the stream stop
there instead of decoding tokens that are thrown away. The parse is the same as on the whole completion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.characters import fold
from agent.write.line_formats import (
    REQUIRED_SCENE_FIELDS,
    SCENE_FIELDS,
    clean_value,
    field_max_chars,
    left_out,
)
from tools.models import parse_labelled_lines

SCENE_LABELS = ("TEMPO", "PERSONAGGI", "OBIETTIVO", "CONFLITTO", "SVOLTA")
"""The outline block's labels after LUOGO, in the order the prompt shows them."""
REPEATABLE = {"OBIETTIVO": "goal", "CONFLITTO": "conflict", "SVOLTA": "turn"}
"""Fields a scene may not copy from an example or an earlier scene."""


def field_line(line: str) -> tuple[str, str] | None:
    """(LABEL, value) of a `LABEL: value` line with a scene label, else None."""
    try:
        label, value = parse_labelled_lines(line, set(SCENE_FIELDS))[0]
    except ValueError:
        return None
    return label.upper(), value


def is_copy(label: str, value: str, others: Sequence[dict[str, Any]]) -> bool:
    """True when a goal, conflict or turn says what an example or an earlier scene says (folded)."""
    key = REPEATABLE.get(label)
    return bool(key and value.strip()) and any(fold(value) == fold(str(o.get(key) or "")) for o in others)


def scene_settled(text: str, others: Sequence[dict[str, Any]]) -> bool:
    """True when more text after `text` (a completion after `LUOGO:`) cannot change what the narrator
    keeps of the block: a field is already too long, or every field is on a complete line."""
    lines = ("LUOGO:" + text).split("\n")
    found: set[str] = set()
    for number, line in enumerate(lines):
        field = field_line(line)
        if field is None or (number and field[0] not in SCENE_LABELS):
            return False  # the continuation would stop here, and parse_scene read on: nothing is sure
        label, value = field
        if is_copy(label, value, others):
            return False  # _drop_repeated may cut the block here
        key = SCENE_FIELDS[label]
        writing = number == len(lines) - 1
        if key not in found and fails(key, value, ended=not writing):
            return True
        if writing:
            return False
        if not left_out(key, value):
            found.add(key)
        if len(found) == len(SCENE_FIELDS):
            return True
    return False


def fails(key: str, value: str, *, ended: bool) -> bool:
    """True when `parse_scene` rejects this first line of a field whatever follows it: too long already,
    or a place or goal line ended with less than its three characters."""
    if key == "cast":
        return False
    size = len(clean_value(value))
    return size > field_max_chars(key) or (ended and key in REQUIRED_SCENE_FIELDS and size < 3)
