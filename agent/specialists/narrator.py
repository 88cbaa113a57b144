"""The narrator: storyline + memory -> title and outline (scenes with place, time, cast, goal, conflict,
turn), then per scene the narrating captions and the beats, one per panel. On the reading route it rebuilds
a volume's story from its transcript (`reconstruct`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langgraph.runtime import Runtime

from agent.context import derive_seed
from agent.prompts import fill, writer_data, writer_prompt
from agent.read.context import ReadContext
from agent.read.state import ReadState, ReconstructOutput
from agent.tools import ToolBox
from agent.write.context import WriteContext
from agent.write.fallback import use_fallback
from agent.write.generation import generate_candidates, generate_lines
from agent.write.layout import MIN_PANELS, TYPICAL_PANELS, allocate_pages, scene_count
from agent.write.line_formats import beats_settled, parse_beats, parse_scene, parse_title
from agent.write.outline_rank import OutlineRanker
from agent.write.rerank import word_weight
from agent.write.scene_block import SCENE_LABELS, is_copy, scene_settled
from agent.write.state import NarrateOutput, OutlineOutput, WriteState
from tools.errors import StructuredOutputError
from tools.models import at_line_ends

MEMORY_SNIPPET_CHARS = 240
OUTLINE_RETRIES = 2
"""Failed samples of an outline scene before one keeps a block that copied a field, without that field."""
OUTLINE_SAMPLES = 3
"""Usable outline scenes sampled per scene; the one that keeps closest to the storyline is kept
(agent.write.outline_rank)."""
OUTLINE_SEEDS = OUTLINE_SAMPLES + OUTLINE_RETRIES + 3
"""Seeds tried per scene before the fallback scene: sampling stops at the third usable one, so the last
seeds run only for a scene the model keeps spoiling (on four dev plots, 3 seeds x 3 scenes each, 8 seeds
instead of 5 took the outline's fallbacks from 4/36 to 2/36 for 22 % more outline tokens)."""
MAX_BEAT_CALLS = 6
"""Calls per scene (each with one repair) that continue the beats before the rest is filled by the fallback."""


def outline(state: WriteState, runtime: Runtime[WriteContext]) -> OutlineOutput:
    """Write the outline scene by scene, grounded in similar remembered scenes, then the title."""
    ctx, tools = runtime.context, ToolBox(runtime.context)
    storyline, cast = state["storyline"], state["cast"]
    memory = [_snippet(h["text"]) for h in tools.call("similar_scenes", text=storyline, k=3)]
    sheets = {name: tools.call("character_sheet", name=name) for name in cast}
    count = scene_count(state["pages"])
    shares = allocate_pages(state["pages"], count)
    scenes: list[dict[str, Any]] = []
    fallbacks: list[dict[str, Any]] = []
    for index in range(count):
        scene, fallback = _outline_scene(ctx, state, index, count, scenes, memory)
        first_page = sum(shares[:index]) + 1
        scene.update(index=index, pages=list(range(first_page, first_page + shares[index])))
        scenes.append(scene)
        fallbacks += fallback
    title, fallback = _title(ctx, state, memory)
    return {
        "title": title,
        "outline": scenes,
        "grounding": {"similar_scenes": memory, "sheets": sheets},
        "fallbacks": fallbacks + fallback,
    }


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return (
        text if len(text) <= MEMORY_SNIPPET_CHARS else text[:MEMORY_SNIPPET_CHARS].rsplit(" ", 1)[0] + "..."
    )


def _outline_scene(
    ctx: WriteContext,
    state: WriteState,
    index: int,
    count: int,
    previous: list[dict[str, Any]],
    memory: list[str],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One scene: the model's block when usable, the arc-position fallback otherwise."""
    examples = writer_data("examples")["outline"]
    prompt = writer_prompt(
        "outline_scene",
        examples=examples,
        memory=memory,
        storyline=state["storyline"],
        cast=state["cast"],
        constraints=state.get("constraints", []),
        previous=previous,
        number=index + 1,
        last=index == count - 1 and count > 1,
    )
    flat_examples = [s for e in examples for s in e["scenes"]] + previous  # a scene may not repeat another
    seed = derive_seed(state.get("seed", 0), "outline", index, state.get("outline_reviews", 0))

    tries = usable = 0

    def parse(text: str) -> dict[str, Any]:
        nonlocal tries, usable
        tries += 1
        if tries > OUTLINE_RETRIES and not usable:  # a copied field is cut, not the whole block lost
            text = _drop_repeated(text, flat_examples)
        more = seed + 7 if tries == 1 else derive_seed(seed, "continue", tries)
        text = _continue_scene(ctx, prompt, text, index, more, flat_examples)
        scene = parse_scene(
            "LUOGO:" + text, state["cast"], ctx.profile, flat_examples, ctx.vocabulary(state["storyline"])
        )
        usable += 1
        return scene

    seeds = [seed] + [derive_seed(seed, "sample", n) for n in range(1, OUTLINE_SEEDS)]
    try:
        scenes = generate_candidates(
            ctx,
            "narrator",
            prompt,
            parse,
            what=f"outline scene {index + 1}",
            seeds=seeds,
            wanted=OUTLINE_SAMPLES,
            max_tokens=160,
            stop=["\nSCENA", "\n\n\n", "\nSTORIA"],
            temperature=0.7,
            settled=lambda text: scene_settled(text, flat_examples),
        )
        scene = OutlineRanker(state["storyline"], state["cast"], previous, word_weight()).best(scenes)
        scene["cast"] = scene.get("cast") or list(state["cast"])
        return _complete_scene(scene, index), []
    except StructuredOutputError as exc:
        entry = use_fallback(ctx, f"scene {index + 1}", "outline scene", exc)
        return fallback_scene(state, index, count), [entry]


def _drop_repeated(text: str, others: list[dict[str, Any]]) -> str:
    """The block cut before its first goal, conflict or turn copied from an example or an earlier scene
    (the 270M model often copies the scene before, last scene above all): a copied goal is then written
    again by `_continue_scene`, a copied conflict or turn is left out. Used on the last attempt only, so
    a scene the model writes whole within its repairs is as before; otherwise the block would be lost to
    the fixed fallback scene."""
    lines = text.split("\n")
    for number, line in enumerate(lines[1:], start=1):
        label, _, value = line.partition(":")
        if is_copy(label.strip().upper(), value, others):
            return "\n".join(lines[:number])
    return text


def _continue_scene(
    ctx: WriteContext, prompt: str, text: str, index: int, seed: int, others: list[dict[str, Any]]
) -> str:
    """A block that stopped before its goal (the 270M model often ends after PERSONAGGI) is continued
    from its last usable line with the next label written out, once; other blocks come back as they are,
    and so does one whose written fields already fail (`scene_settled`: continuing could not save it)."""
    lines = _scene_lines(text)
    labels = [line.split(":", 1)[0].strip().upper() for line in lines[1:]]
    if not lines or "OBIETTIVO" in labels or len(lines[0].split(":", 1)[0]) > 60:
        return text
    missing = [label for label in SCENE_LABELS if label not in labels]
    head = "\n".join(lines) + f"\n{missing[0]}:"
    if scene_settled(head, others):
        return text
    try:
        tail = generate_lines(
            ctx,
            "narrator",
            prompt + head,
            lambda more: more if more.strip() else _empty(),
            what=f"outline scene {index + 1} (continued at {missing[0]})",
            seed=seed + 7,
            retries=1,
            max_tokens=120,
            stop=["\nSCENA", "\n\n", "\nSTORIA"],
            temperature=0.7,
            settled=lambda more: scene_settled(head + more, others),
        )
    except StructuredOutputError:
        return text
    return head + tail


def _scene_lines(text: str) -> list[str]:
    """The completion's lines up to the first one that is not a scene field (the place line first)."""
    lines = text.split("\n")
    kept = [lines[0]]
    for line in lines[1:]:
        label = line.split(":", 1)[0].strip().upper() if ":" in line else ""
        if label not in SCENE_LABELS:
            break
        kept.append(line.rstrip())
    return kept if kept[0].strip() else []


def _empty() -> str:
    raise ValueError("the continuation is empty")


def _complete_scene(scene: dict[str, Any], index: int) -> dict[str, Any]:
    """Scene fields the model may omit default to empty text; the title is place + time."""
    for key in ("time", "conflict", "turn"):
        scene.setdefault(key, "")
    scene["title"] = scene["place"].title()
    return scene


def arc_role(index: int, count: int) -> str:
    """Where a scene sits in the story: opening, middle or climax."""
    if index == count - 1 and count > 1:
        return "climax"
    return "opening" if index == 0 else "middle"


def fallback_scene(state: WriteState, index: int, count: int) -> dict[str, Any]:
    """A plain scene from fixed material for its place in the arc, named with the cast."""
    material = writer_data("fallbacks")["scenes"][arc_role(index, count)]
    values = cast_values(state["cast"])
    scene: dict[str, Any] = {
        k: fill(str(material[k]), **values) for k in ("place", "time", "goal", "conflict", "turn")
    }
    scene["cast"] = list(state["cast"])
    return _complete_scene(scene, index)


def cast_values(cast: list[str]) -> dict[str, str]:
    """Placeholders for fallback text: the leader and the whole cast in words."""
    names = cast or ["I pards"]
    together = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " e " + names[-1]
    return {"leader": names[0], "cast": together}


def _title(ctx: WriteContext, state: WriteState, memory: list[str]) -> tuple[str, list[dict[str, Any]]]:
    examples = writer_data("examples")["titles"]
    prompt = writer_prompt("title", examples=examples, storyline=state["storyline"])
    seen = [e["title"] for e in examples]

    def parse(text: str) -> str:
        title = parse_title(text, ctx.vocabulary(state["storyline"]))
        if title in seen:
            raise ValueError("title copies an example")
        return title

    try:
        title = generate_lines(
            ctx,
            "narrator",
            prompt,
            parse,
            what="title",
            seed=derive_seed(state.get("seed", 0), "title"),
            max_tokens=24,
            stop=["\n"],
            temperature=0.8,
        )
        return title, []
    except StructuredOutputError as exc:
        entry = use_fallback(ctx, "issue", "title", exc)
        return fallback_title(state["storyline"]), [entry]


def fallback_title(storyline: str) -> str:
    """The storyline's opening words in capitals, cut at six words and before a dangling small word."""
    words = storyline.replace(",", " ").replace(".", " ").split()[:6]
    while len(words) > 1 and len(words[-1]) <= 3:
        words.pop()
    return " ".join(words).upper() or "SENZA TITOLO"


def narrate(state: WriteState, runtime: Runtime[WriteContext]) -> NarrateOutput:
    """The current scene's captions and beats: enough actions for its pages (about six panels a page)."""
    ctx, index = runtime.context, state["current_scene"]
    scene = state["outline"][index]
    target = target_beats(len(scene["pages"]))
    beats, fallbacks = _write_beats(ctx, state, scene, target)
    if not beats[0].get("caption"):
        beats[0]["caption"] = opening_caption(scene)
        fallbacks.append(
            use_fallback(ctx, f"scene {index + 1}", "opening caption", "the model wrote no caption")
        )
    return {"scene_beats": {str(index): {"beats": beats}}, "fallbacks": fallbacks}


def target_beats(pages: int) -> int:
    return pages * TYPICAL_PANELS


def _write_beats(
    ctx: WriteContext, state: WriteState, scene: dict[str, Any], target: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Ask for beats until the scene has `target` of them, at most MAX_BEAT_CALLS times; then fill."""
    example = writer_data("examples")["beats"]
    memory = _scene_memory(ctx, scene)
    beats: list[dict[str, Any]] = []
    index, calls = scene["index"], 0
    while calls < MAX_BEAT_CALLS and len(beats) < target:
        lead = lead_name(scene, calls + 1)
        opening = opening_caption(scene) if not beats else None
        prompt = writer_prompt(
            "scene_beats",
            example=example,
            memory_scenes=memory,
            scene=scene,
            constraints=state.get("constraints", []),
            beats=beats,
            opening=opening,
            lead=lead,
        )
        parse, settled = _beats_checks(ctx, state, scene, example, beats, lead, target - len(beats))
        calls += 1
        try:
            batch = generate_lines(
                ctx,
                "narrator",
                prompt,
                parse,
                what=f"scene {index + 1} beats",
                seed=derive_seed(state.get("seed", 0), "beats", index, calls),
                retries=1,
                max_tokens=min(256, 32 * (target - len(beats)) + 32),
                stop=["\n\n", "\nSCENA", "\nSTORIA"],
                settled=settled,
            )
        except StructuredOutputError:
            continue  # a fresh call (new seed) may still continue the scene
        if opening and not batch[0].get("caption"):
            batch[0]["caption"] = opening  # the prompt opened the scene with the classic caption
        beats += batch
    if len(beats) >= min_beats(len(scene["pages"])):
        return beats[:target], []
    filler = fallback_beats(scene, target - len(beats))
    reason = f"the model wrote {len(beats)} usable beat(s) of {target} in {calls} call(s)"
    return beats + filler, [use_fallback(ctx, f"scene {index + 1}", f"{len(filler)} beat(s)", reason)]


def _beats_checks(
    ctx: WriteContext,
    state: WriteState,
    scene: dict[str, Any],
    example: dict[str, Any],
    beats: list[dict[str, Any]],
    lead: str,
    wanted: int,
) -> tuple[Callable[[str], list[dict[str, Any]]], Callable[[str], bool]]:
    """The parser for the next beats call and when its completion may stop. The completion continues an
    AZIONE line that starts with `lead`'s name (a DIDASCALIA or a bare AZIONE line without a lead); it may
    stop once its first line already fails the parser, or its complete lines decide what the parser keeps
    (`beats_settled`): the parse of the whole text would be the same."""
    prefix = f"AZIONE: {lead}" if lead else "AZIONE:" if beats else "DIDASCALIA:"
    seen = [line["action"] for line in example["lines"]] + [b["action"] for b in beats]
    known = {"cast": scene["cast"], "profile": ctx.profile, "vocabulary": ctx.vocabulary(state["storyline"])}

    def says_nothing(first_line: str) -> bool:
        return bool(lead) and len(re.findall(r"[^\W\d_]{2,}", first_line)) < 2

    def parse(text: str) -> list[dict[str, Any]]:
        if says_nothing(text.split("\n", 1)[0]):
            raise ValueError(f"the action after {lead!r} says nothing ({text[:30]!r})")
        return parse_beats(prefix + text, seen, **known)

    def settled(text: str) -> bool:
        first, newline, _ = text.partition("\n")
        if newline and says_nothing(first):
            return True
        return beats_settled(prefix + text, seen, wanted, **known)

    return parse, at_line_ends(settled)


def _scene_memory(ctx: WriteContext, scene: dict[str, Any]) -> list[str]:
    """Remembered scenes like this one (none without a memory), for the narrator to lean on."""
    if ctx.store is None:
        return []
    query = f"{scene['place']}. {scene.get('goal', '')} {scene.get('conflict', '')}"
    return [_snippet(h["text"]) for h in ToolBox(ctx).call("similar_scenes", text=query, k=2)]


def lead_name(scene: dict[str, Any], call: int) -> str:
    """The cast member who starts the action of a continuation call (the cast in turn)."""
    cast = scene.get("cast") or []
    return str(cast[(call - 1) % len(cast)]) if cast else ""


def min_beats(pages: int) -> int:
    return pages * MIN_PANELS


def fallback_beats(scene: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Plain actions built from the scene's own goal, conflict and turn, cycling fixed patterns."""
    patterns = writer_data("fallbacks")["beats"]
    values = {
        **cast_values(scene.get("cast", [])),
        **{k: str(scene.get(k, "")) for k in ("place", "goal", "conflict", "turn")},
    }
    beats = []
    for i in range(count):
        action = fill(patterns[i % len(patterns)], **values).strip()
        beats.append({"action": action or fill(patterns[0], **values), "caption": None, "fallback": True})
    return beats


def opening_caption(scene: dict[str, Any]) -> str:
    """The classic opening caption: time and place, trailing off."""
    template = writer_data("fallbacks")["caption"]
    time = scene.get("time") or "INTANTO"
    return fill(template, time=time, place=scene["place"]).upper()


def reconstruct(state: ReadState, runtime: Runtime[ReadContext]) -> ReconstructOutput:
    """Reading route: rebuild the volume's story (scenes, lines, voices, panels) from its transcript."""
    from tools.story.reconstruct import NothingTranscribedError, reconstruct_volume

    ctx, volume = runtime.context, state["current_volume"]
    use_llm = state.get("use_llm", True)
    try:
        with ctx.catalogue() as catalogue:
            story = ctx.timed(
                "reconstruct_volume",
                lambda: reconstruct_volume(
                    catalogue, volume, ctx.settings, llm=ctx.role_model("narrator"), use_llm=use_llm
                ),
            )
    except NothingTranscribedError as exc:
        ctx.log.event("skipped", volume=volume, reason=str(exc))
        return {"done": {f"reconstruct:{volume}": {"skipped": str(exc)}}}
    figures = {"scenes": len(story.scenes), "lines": len(story.lines), "cast": story.cast}
    return {"story": {volume: story.model_dump(mode="json")}, "done": {f"reconstruct:{volume}": figures}}
