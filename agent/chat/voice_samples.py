"""/voice CHARACTER [situation]: sample lines in a character's voice, written by the story graph's own voice
writer (same prompt, same checks, same fallback), so what the user hears is what the pages will get."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.characters import card_for, fold
from agent.specialists.voice import SceneVoices, voice_model_name
from agent.write.context import WriteContext
from agent.write.state import WriteState

SAMPLES = 3
DEFAULT_SCENE = {
    "place": "UN SALOON DI FRONTIERA",
    "time": "DI SERA",
    "goal": "",
    "cast": [],
}
DEFAULT_ACTION = "guarda gli uomini intorno a sé e prende la parola."


@dataclass
class VoiceSample:
    text: str
    fallback: bool


def split_request(text: str, profile: Any, cast: list[str]) -> tuple[str | None, str]:
    """`Kit Carson litiga con un baro` -> ("Kit Carson", "litiga con un baro"); the character is the first
    known name (profile or story cast) the text starts with."""
    words = text.split()
    for size in range(min(len(words), 4), 0, -1):
        head = " ".join(words[:size]).strip(" ,:")
        known = profile.find(head) if profile is not None else None
        matches = [name for name in cast if fold(name) == fold(head)] or ([known.name] if known else [])
        if matches:
            return str(matches[0]), " ".join(words[size:]).strip(" ,:")
    return None, text


def sample_lines(
    ctx: WriteContext, values: dict[str, Any], character: str, situation: str, scene_index: int | None
) -> tuple[str, list[VoiceSample]]:
    """`SAMPLES` lines of `character` in the situation (or in the current scene); returns the model name
    and the lines, each marked when the voice writer's fallback wrote it."""
    scene = dict(values["outline"][scene_index]) if scene_index is not None else dict(DEFAULT_SCENE)
    storyline = values.get("storyline") or f"{character}. {situation}"
    state = WriteState(
        storyline=storyline,
        seed=values.get("seed", 0) + 7919,
        scene_dialogue=values.get("scene_dialogue", {}),
    )
    writer = SceneVoices(ctx, state, scene)
    card = card_for(ctx.profile, character)
    action = f"{card.name} {situation}" if situation else f"{card.name} {DEFAULT_ACTION}"
    samples = []
    for number in range(1, SAMPLES + 1):
        panel = {"id": f"voice-{fold(card.name).replace(' ', '-')}", "description": action}
        before = len(writer.fallbacks)
        text = writer.line(panel, card.name, number)  # not kept as context: each sample stands alone
        samples.append(VoiceSample(text=text, fallback=len(writer.fallbacks) > before))
    return voice_model_name(ctx.settings, card.name), samples
