"""The character-voice writer: every balloon in the speaker's own voice, conditioned on their profile and
the lines memory remembers of them, in UPPERCASE Italian short enough for a balloon.

Which model speaks for a character goes through `voice_model_name`: a list of resolvers, first answer
wins: registered ones (`register_voice_resolver`), a per-character role
(`[models] voice_tex = "llamacpp:gemma3-270m?lora=..."`), then the adapter registry (the character's
`voice:<name>` LoRA, else the series style LoRA, on the voice role's model), else the voice role.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseLLM
from langgraph.runtime import Runtime

from agent.characters import CharacterCard, card_for, fold, speaker_label
from agent.context import WriteContext, derive_seed
from agent.fallback import use_fallback
from agent.formats import parse_balloon
from agent.generation import generate_lines
from agent.prompts import writer_data, writer_prompt
from agent.state import WriteState
from agent.tools import ToolBox
from tools.errors import StructuredOutputError
from tools.settings import Settings

VoiceResolver = Callable[[Settings, str], "str | None"]
EXAMPLE_LINES = 6
CONTEXT_BALLOONS = 4


def character_role(character: str) -> str:
    """The settings role that may name a model for one character: `voice_kit_carson`."""
    return "voice_" + re.sub(r"\W+", "_", fold(character)).strip("_")


def role_override(settings: Settings, character: str) -> str | None:
    """A model configured for this character's own role, if any."""
    try:
        return settings.model_for(character_role(character))
    except KeyError:
        return None


def adapter_registry(settings: Settings, character: str) -> str | None:
    """The voice role's model with the character's LoRA adapter (`voice:<name>`, else the series style
    adapter) when one is registered under NUVOLA_HOME/adapters for that base model."""
    from tools.models.adapters import model_for_role_with_adapter

    return model_for_role_with_adapter(settings, "voice", character=character)


_RESOLVERS: list[VoiceResolver] = [role_override, adapter_registry]


def register_voice_resolver(resolver: VoiceResolver) -> None:
    """Ask `resolver` first for a character's voice model (e.g. the finetune side's adapter registry)."""
    if resolver not in _RESOLVERS:
        _RESOLVERS.insert(0, resolver)


def voice_model_name(settings: Settings, character: str) -> str:
    """The model name that writes `character`'s lines: the first resolver's answer, else the voice role."""
    for resolver in _RESOLVERS:
        name = resolver(settings, character)
        if name:
            return name
    return settings.model_for("voice")


def voice_llm(ctx: WriteContext, character: str) -> BaseLLM:
    """The ready model for `character` (an injected `voice:<name>` model wins, as in tests)."""
    if f"voice:{character}" in ctx.models:
        return ctx.models[f"voice:{character}"]
    name = voice_model_name(ctx.settings, character)
    if name == ctx.model_name("voice"):
        return ctx.llm("voice")
    return ctx.llm_named(name)


def voice(state: WriteState, runtime: Runtime[WriteContext]) -> dict[str, Any]:
    """Write the captions and balloons of the current scene's panels, in reading order."""
    ctx, index = runtime.context, state["current_scene"]
    scene = state["outline"][index]
    writer = SceneVoices(ctx, state, scene)
    pages = [writer.page(page) for page in state["scene_pages"][str(index)]["pages"]]
    return {"scene_dialogue": {str(index): {"pages": pages}}, "fallbacks": writer.fallbacks}


def lines_written(state: WriteState) -> list[str]:
    """Every balloon text already written in earlier scenes (so no line is said twice in an issue)."""
    texts = []
    for scene in state.get("scene_dialogue", {}).values():
        for page in scene["pages"]:
            for tier in page["tiers"]:
                texts += [b["text"] for p in tier["panels"] for b in p["balloons"] if b["kind"] == "speech"]
    return texts


class SceneVoices:
    """The dialogue of one scene: keeps the lines written so far for context and to avoid repeats."""

    def __init__(self, ctx: WriteContext, state: WriteState, scene: dict[str, Any]):
        self.ctx, self.state, self.scene = ctx, state, scene
        self.tools = ToolBox(ctx)
        self.previous: list[dict[str, str]] = []
        self.used: list[str] = lines_written(state)
        self.examples: dict[str, list[str]] = {}
        self.fallbacks: list[dict[str, Any]] = []
        self.canon = [line for c in getattr(ctx.profile, "characters", []) for line in c.sample_lines]
        """Every sample line of the profile: a balloon may echo none of them."""

    def page(self, page: dict[str, Any]) -> dict[str, Any]:
        tiers = [{"panels": [self.panel(p) for p in tier["panels"]]} for tier in page["tiers"]]
        return {"number": page["number"], "tiers": tiers}

    def panel(self, panel: dict[str, Any]) -> dict[str, Any]:
        """The panel without the director's plan, with its balloons written."""
        plan = panel["plan"]
        balloons = []
        if plan.get("caption"):
            balloons.append({"kind": "caption", "speaker": None, "text": plan["caption"]})
        for number, speaker in enumerate(plan["speakers"], start=1):
            text = self.line(panel, speaker, number)
            balloons.append({"kind": "speech", "speaker": speaker, "text": text})
            self.previous.append({"label": speaker_label(speaker), "text": text})
            self.used.append(text)
        return {**{k: v for k, v in panel.items() if k != "plan"}, "balloons": balloons}

    def lines_of(self, card: CharacterCard) -> list[str]:
        """Example lines for a speaker: memory first, then the profile (generic lines for strangers)."""
        if card.name not in self.examples:
            hits = self.tools.call(
                "character_lines", character=card.name, topic=self.scene.get("goal") or None, k=4
            )
            lines = [h["text"].upper() for h in hits] or writer_data("examples")["generic_lines"]
            self.examples[card.name] = list(dict.fromkeys(lines))[:EXAMPLE_LINES]
        return self.examples[card.name]

    def line(self, panel: dict[str, Any], speaker: str, number: int) -> str:
        """One balloon: the speaker's model when usable, else an unused line of theirs, logged."""
        card = card_for(self.ctx.profile, speaker)
        examples = self.lines_of(card)
        prompt = writer_prompt(
            "balloon",
            card=card,
            examples=examples,
            scene=self.scene,
            action=panel["description"],
            previous=self.previous[-CONTEXT_BALLOONS:],
        )
        where = f"{panel['id']} balloon {number}"
        try:
            return generate_lines(
                self.ctx,
                "voice",
                prompt,
                lambda text: parse_balloon(
                    text, examples + self.canon + self.used, self.ctx.vocabulary(self.state["storyline"])
                ),
                what=f"line {where} ({card.name})",
                seed=derive_seed(self.state.get("seed", 0), "voice", panel["id"], number),
                max_tokens=48,
                stop=["\n"],
                temperature=0.8,
                llm=voice_llm(self.ctx, card.name),
            )
        except StructuredOutputError as exc:
            self.fallbacks.append(use_fallback(self.ctx, where, f"{card.name}'s line", exc))
            return self.fallback_line(card)

    def fallback_line(self, card: CharacterCard) -> str:
        """An unused line of the character's own (profile samples), else an unused generic line."""
        candidates = [*card.sample_lines, *writer_data("fallbacks")["lines"]]
        used = {fold(u) for u in self.used}
        for candidate in candidates:
            if fold(candidate) not in used:
                return candidate.upper()
        return candidates[len(self.used) % len(candidates)].upper()
