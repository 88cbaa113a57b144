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
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseLLM
from langgraph.runtime import Runtime

from agent.characters import CharacterCard, card_for, fold, speaker_label
from agent.context import derive_seed
from agent.prompts import writer_data, writer_prompt
from agent.tools import ToolBox
from agent.write.context import WriteContext
from agent.write.fallback import use_fallback
from agent.write.generation import generate_candidates
from agent.write.line_formats import letter, parse_balloon, sentence_case
from agent.write.rerank import LineRanker, speech_model, word_weight
from agent.write.state import VoiceOutput, WriteState
from tools.dialogue.ngram import unletter
from tools.errors import StructuredOutputError
from tools.settings import Settings

VoiceResolver = Callable[[Settings, str], "str | None"]
OWN_LINES = 3
"""The speaker's own lines shown as examples (memory, else profile)."""
REAL_LINES = 4
"""Lines of real novels' dialogue shown as examples, chosen for the situation."""
CONTEXT_BALLOONS = 4
CANDIDATES = 3
"""Usable candidates written per balloon before the ranker picks one."""
ATTEMPTS = 5
"""Seeds tried per balloon to find the candidates."""


@dataclass(frozen=True)
class Decoding:
    """How a balloon's candidates are sampled, chosen on the dev plot with benchmarks/write_voices.py (same
    panels, seed 0, 48 balloons: temperature 0.8 with 2 candidates gave perplexity 89 and distinct-2 0.84,
    1.0 with 3 candidates 135 and 0.91, no fallback or repeat in either; real dialogue: 282 and 0.96)."""

    temperature: float = 1.0
    top_p: float = 0.95
    min_p: float = 0.05
    """llama.cpp only (its default): drop tokens under this share of the likeliest one."""
    repeat_penalty: float = 1.1
    """llama.cpp only (Nuvola's default): how much tokens already in the prompt are held back."""
    candidates: int = CANDIDATES
    attempts: int = ATTEMPTS


DECODING = Decoding()
META_WORD_FORMS = (
    "scena",
    "scene",
    "vignetta",
    "vignette",
    "personaggio",
    "personaggi",
    "didascalia",
    "didascalie",
    "inquadratura",
    "fumetto",
    "fumetti",
    "sceneggiatura",
    "nuvoletta",
    "battuta",
    "battute",
)
"""Words about the comic that a balloon may not say: banned at decoding where they are one token."""


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


def voice(state: WriteState, runtime: Runtime[WriteContext]) -> VoiceOutput:
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
        self.names = cast_names(ctx.profile, state.get("cast", []))

    def page(self, page: dict[str, Any]) -> dict[str, Any]:
        tiers = [{"panels": [self.panel(p) for p in tier["panels"]]} for tier in page["tiers"]]
        return {"number": page["number"], "tiers": tiers}

    def panel(self, panel: dict[str, Any]) -> dict[str, Any]:
        """The panel without the director's plan, with its balloons written."""
        plan = panel["plan"]
        balloons = []
        if plan.get("caption"):
            balloons.append({"kind": "caption", "speaker": None, "text": letter(plan["caption"])})
        for number, speaker in enumerate(plan["speakers"], start=1):
            text = self.line(panel, speaker, number)
            balloons.append({"kind": "speech", "speaker": speaker, "text": text})
            self.previous.append(
                {
                    "label": speaker_label(speaker),
                    "text": sentence_case(text, self.names),
                    "panel": panel["id"],
                }
            )
            self.used.append(text)
        return {**{k: v for k, v in panel.items() if k != "plan"}, "balloons": balloons}

    def lines_of(self, card: CharacterCard) -> list[str]:
        """The speaker's own lines: memory first, then the profile (none for strangers), sentence-cased."""
        if card.name not in self.examples:
            hits = self.tools.call(
                "character_lines", character=card.name, topic=self.scene.get("goal") or None, k=4
            )
            lines = [h["text"] for h in hits] or list(card.sample_lines)
            cased = [sentence_case(line, self.names) for line in lines]
            self.examples[card.name] = list(dict.fromkeys(cased))[:OWN_LINES]
        return self.examples[card.name]

    def situation(self, panel: dict[str, Any]) -> str:
        """The panel in a sentence of prose: place, time and what happens."""
        place = sentence_case(self.scene.get("place", ""), self.names)
        time = unletter(self.scene.get("time", ""))
        where = ", ".join(p for p in (place, time) if p)
        return f"{where}. {panel['description']}" if where else panel["description"]

    def real_lines(self, panel: dict[str, Any]) -> list[str]:
        """Lines of real novels' dialogue chosen for this situation (none without the corpus)."""
        from tools.dialogue.bank import corpus_bank

        bank = corpus_bank()
        if bank is None:
            return []
        last = self.previous[-1]["text"] if self.previous else ""
        query = f"{panel['description']} {self.scene.get('goal', '')} {last}"
        return bank.similar(query, k=REAL_LINES, answer=last.endswith("?"))

    def prompt(self, card: CharacterCard, panel: dict[str, Any], examples: list[str]) -> str:
        """The balloon prompt: the story, the examples, the lines of earlier panels, then this panel's
        situation and the lines already said in it, so the line answers what happens here."""
        recent = self.previous[-CONTEXT_BALLOONS:]
        return writer_prompt(
            "balloon",
            card=card,
            storyline=self.state["storyline"],
            examples=examples,
            situation=self.situation(panel),
            before=[b for b in recent if b.get("panel") != panel["id"]],
            here=[b for b in recent if b.get("panel") == panel["id"]],
        )

    def line(self, panel: dict[str, Any], speaker: str, number: int) -> str:
        """One balloon: the best of the speaker's model's candidates, else an unused line of theirs, logged."""
        card = card_for(self.ctx.profile, speaker)
        own = self.lines_of(card)
        examples = list(dict.fromkeys([*self.real_lines(panel), *own]))
        prompt = self.prompt(card, panel, examples)
        where = f"{panel['id']} balloon {number}"
        vocabulary = self.ctx.vocabulary(self.state["storyline"])
        seen = [*examples, *own, *self.canon, *self.used]
        seed = derive_seed(self.state.get("seed", 0), "voice", panel["id"], number)
        llm = voice_llm(self.ctx, card.name)
        decoding = DECODING
        try:
            candidates = generate_candidates(
                self.ctx,
                "voice",
                prompt,
                lambda text: parse_balloon(text, seen, vocabulary, self.used, self.names),
                what=f"line {where} ({card.name})",
                seeds=[seed + i for i in range(decoding.attempts)],
                wanted=decoding.candidates,
                max_tokens=48,
                stop=["»", "\n"],
                temperature=decoding.temperature,
                top_p=decoding.top_p,
                llm=llm,
                **llama_options(llm, decoding),
            )
        except StructuredOutputError as exc:
            self.fallbacks.append(use_fallback(self.ctx, where, f"{card.name}'s line", exc))
            return self.fallback_line(card)
        return self.ranker(panel, examples).best(candidates)

    def ranker(self, panel: dict[str, Any], examples: list[str]) -> LineRanker:
        """The ranker for this panel: its situation, the scene's goal, the plot and the cast's names are
        what a line may be about; the issue's lines and the examples are what it should not say again."""
        context = " ".join(
            [
                self.situation(panel),
                self.scene.get("goal", ""),
                self.state["storyline"],
                *self.state.get("cast", []),
            ]
        )
        return LineRanker(
            context,
            self.ctx.vocabulary(self.state["storyline"]),
            speech_model(),
            earlier=[*self.used, *examples],
            weight=word_weight(),
            recent=self.used,
        )

    def fallback_line(self, card: CharacterCard) -> str:
        """An unused line of the character's own (profile samples), else an unused generic line."""
        candidates = [*card.sample_lines, *writer_data("fallbacks")["lines"]]
        used = {fold(u) for u in self.used}
        for candidate in candidates:
            if fold(candidate) not in used:
                return letter(candidate)
        return letter(candidates[len(self.used) % len(candidates)])


def llama_options(llm: BaseLLM, decoding: Decoding) -> dict[str, Any]:
    """What only llama.cpp takes: the meta-word ban, min-p sampling and the repeat penalty."""
    options = decoding_bias(llm)
    if getattr(llm, "_llm_type", "") == "llamacpp":
        options |= {"min_p": decoding.min_p, "repeat_penalty": decoding.repeat_penalty}
    return options


def decoding_bias(llm: BaseLLM) -> dict[str, Any]:
    """`logit_bias` that bans the meta words at decoding, for a llama.cpp model (its tokenizer is here);
    nothing for other backends (their token ids are unknown here; the parser still rejects the words)."""
    client = getattr(llm, "client", None) if getattr(llm, "_llm_type", "") == "llamacpp" else None
    if client is None:
        return {}
    if id(client) not in _BIASES:
        _BIASES[id(client)] = meta_word_tokens(client.tokenize, client.detokenize)
    return {"logit_bias": {token: -100.0 for token in _BIASES[id(client)]}} if _BIASES[id(client)] else {}


_BIASES: dict[int, list[int]] = {}


def meta_word_tokens(
    tokenize: Callable[..., list[int]], detokenize: Callable[[list[int]], bytes]
) -> list[int]:
    """Token ids that spell a whole meta word (`scena`, ` Scena`, ` SCENA`...); words split into several
    tokens are left to the parser, since banning a piece would ban ordinary words sharing it."""
    found: set[int] = set()
    for word in META_WORD_FORMS:
        for form in (word, word.capitalize(), word.upper()):
            for text in (form, " " + form):
                ids = tokenize(text.encode("utf-8"), add_bos=False)
                if len(ids) == 1 and detokenize(ids).decode("utf-8", "ignore").strip().lower() == word:
                    found.add(ids[0])
    return sorted(found)


def cast_names(profile: Any, cast: list[str]) -> list[str]:
    """Names to capitalise when lettering goes back to ordinary case: the cast, the profile's characters
    and their aliases."""
    names = list(cast)
    for character in getattr(profile, "characters", []) or []:
        names += [character.name, *(getattr(character, "aliases", []) or [])]
    return [n for n in dict.fromkeys(names) if n]
