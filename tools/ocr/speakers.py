"""Who speaks each balloon, with a confidence: tails, figures, dialogue context and the series cast.

Cues, each a score per (balloon, cast member):
  * figures: the tail points at a figure (a large ink blob in the panel that is not a balloon); two balloons
    aiming at the same figure of a panel share a speaker, at different figures they differ;
  * address: a name or alias said to someone (`TEX, GUARDA!`, `GRAZIE, CAPITANO.`) is not the speaker, and
    is likely the one who answers next;
  * a choose-from-list LLM step (optional `speakers` model role): the model picks a name from the cast;
  * a prior that follows the cast order (heroes first).
A Viterbi pass over the speech balloons of a scene joins them with the figure constraints and turn-taking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from prompts import render
from tools.errors import InputFileError

Box = tuple[int, int, int, int]
SAME_FIGURE_BONUS, OTHER_FIGURE_PENALTY = 4.0, -4.0
REPEAT_PENALTY = -0.8  # a new balloon by the previous speaker, not at the same figure
ADDRESSED_PENALTY, ANSWER_BONUS, LLM_BONUS = -3.0, 1.2, 1.5
HABIT_BONUS, LOOK_BONUS, LOOK_MATCH, MENTION_PENALTY = 0.8, 3.0, 0.85, -1.5
COMMON_NAME_WORDS = {"vecchio", "vecchia", "grande", "piccolo", "signor", "signora"}
PRESENCE_BONUS = 0.6  # someone named earlier in the scene is there to speak
PRIOR_STEP = 0.5  # the profile lists the protagonists first, and they speak most
_STEM_RE = re.compile(r"[^\W\d_]{5,}")


@dataclass
class CastMember:
    """A character who may speak: the name, and every way the lettering may call them."""

    name: str
    aliases: list[str] = field(default_factory=list)
    vocabulary: set[str] = field(default_factory=set)  # word stems of the profile's sample lines and habits

    def patterns(self) -> list[str]:
        return [n.upper() for n in (self.name, *self.aliases) if n]


@dataclass
class BalloonContext:
    """What attribution needs of a balloon: box, panel, tail tip (page pixels), kind and normalised text."""

    box: Box
    panel: int | None
    kind: str
    text: str
    tail: tuple[int, int] | None = None
    figure: int | None = None
    look: np.ndarray | None = None  # appearance of the aimed figure (head and hat), unit vector


@dataclass
class SpeakerGuess:
    """The chosen speaker (None for captions), its confidence, and the score of every candidate."""

    speaker: str | None
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)


def cast_from_profile(series: str = "tex", extra: Sequence[str] = ()) -> list[CastMember]:
    """The series profile's characters (names and aliases) plus extra names, in profile order."""
    members: list[CastMember] = []
    try:
        from tools.series.profile import load_profile

        profile = load_profile(series)
        members = [
            CastMember(c.name, list(c.aliases), stems(" ".join([*c.sample_lines, *c.speech_habits])))
            for c in profile.characters
        ]
    except (ImportError, OSError, ValueError):
        members = []
    known = {m.name for m in members}
    return members + [CastMember(name, name_parts(name)) for name in extra if name not in known]


def name_parts(name: str) -> list[str]:
    """Aliases of a name the profile does not describe: its longer words (`Capitano Morris` -> CAPITANO, MORRIS)."""
    words = name.split()
    return [w for w in words if len(w) >= 4 and w.lower() not in COMMON_NAME_WORDS] if len(words) > 1 else []


def stems(text: str) -> set[str]:
    """Five-letter stems of the longer words: a cheap match of a character's vocabulary."""
    return {word[:5] for word in _STEM_RE.findall(text.lower())}


# ---- figures and tails -------------------------------------------------------------------------------


def find_figures(grey: np.ndarray, panel: Box, balloons: Sequence[Box]) -> list[Box]:
    """Large ink blobs of a panel that are not balloons, frame or backdrop: the figures tails aim at."""
    x, y, w, h = panel
    region = grey[y : y + h, x : x + w]
    if region.size == 0:
        return []
    ink = (region < 128).astype(np.uint8)
    for bx, by, bw, bh in balloons:  # balloons (with a margin for the outline and tail) are not figures
        ink[max(0, by - y - 6) : by - y + bh + 6, max(0, bx - x - 6) : bx - x + bw + 6] = 0
    border = max(3, min(w, h) // 40)
    ink[:border], ink[-border:], ink[:, :border], ink[:, -border:] = 0, 0, 0, 0
    merged = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    figures = []
    for fx, fy, fw, fh, area in stats[1:count]:
        if fh >= 0.2 * h and fw <= 0.6 * w and area >= 0.004 * w * h:
            figures.append((int(fx + x), int(fy + y), int(fw), int(fh)))
    return sorted(figures)


def aimed_figure(balloon: Box, tail: tuple[int, int], figures: Sequence[Box]) -> int | None:
    """The figure the tail points at: nearest to the tail tip along the tail's direction."""
    if not figures:
        return None
    cx, cy = balloon[0] + balloon[2] / 2, balloon[1] + balloon[3] / 2
    dx, dy = tail[0] - cx, tail[1] - cy
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, dy / norm

    def cost(box: Box) -> float:
        px = min(max(tail[0], box[0]), box[0] + box[2])
        py = min(max(tail[1], box[1]), box[1] + box[3])
        gap = math.hypot(px - tail[0], py - tail[1])
        fx, fy = box[0] + box[2] / 2 - tail[0], box[1] - tail[1]
        along = (fx * ux + fy * uy) / (math.hypot(fx, fy) or 1.0)
        return gap + 0.5 * box[2] * (1 - along)

    return min(range(len(figures)), key=lambda i: cost(figures[i]))


def target_patch(grey: np.ndarray, balloon: Box, tail: tuple[int, int]) -> Box:
    """The square of page just past the tail tip, along the tail: where the speaker's head is drawn."""
    cx, cy = balloon[0] + balloon[2] / 2, balloon[1] + balloon[3] / 2
    dx, dy = tail[0] - cx, tail[1] - cy
    norm = math.hypot(dx, dy) or 1.0
    size = max(16, int(0.9 * balloon[3]))
    px, py = tail[0] + dx / norm * size * 0.55, tail[1] + dy / norm * size * 0.55
    x0 = int(min(max(0, px - size / 2), max(0, grey.shape[1] - size)))
    y0 = int(min(max(0, py - size / 2), max(0, grey.shape[0] - size)))
    return (x0, y0, size, size)


def figure_look(grey: np.ndarray, box: Box) -> np.ndarray:
    """A page region (a figure's hat and head) as a small unit vector, to recognise it in other panels."""
    x, y, w, h = box
    patch = grey[y : y + h, x : x + w]
    if patch.size == 0:
        return np.zeros(576, np.float32)
    vector = (255 - cv2.resize(patch, (24, 24), interpolation=cv2.INTER_AREA)).astype(np.float32).ravel()
    return vector / (np.linalg.norm(vector) or 1.0)


def assign_figures(grey: np.ndarray, panels: Sequence[Box], balloons: list[BalloonContext]) -> None:
    """Give each speech balloon with a known tail a figure id (unique on the page) and the figure's look.

    The figure is the ink blob the tail aims at when one is found, else the region past the tail tip;
    tails of one panel whose regions overlap by half aim at the same figure.
    """
    for p, panel in enumerate(panels):
        inside = [b for b in balloons if b.panel == p and b.kind == "speech" and b.tail is not None]
        figures = find_figures(grey, panel, [b.box for b in balloons if b.panel == p])
        regions: list[Box] = []
        for balloon in inside:
            assert balloon.tail is not None
            index = aimed_figure(balloon.box, balloon.tail, figures)
            region = figures[index] if index is not None else target_patch(grey, balloon.box, balloon.tail)
            match = next((k for k, r in enumerate(regions) if _overlap(r, region) >= 0.5), None)
            if match is None:
                regions.append(region)
                match = len(regions) - 1
            balloon.figure, balloon.look = p * 100 + match, figure_look(grey, region)


def _overlap(a: Box, b: Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / max(1, min(a[2] * a[3], b[2] * b[3]))


# ---- dialogue cues -----------------------------------------------------------------------------------


def addressed(text: str, cast: Sequence[CastMember]) -> set[str]:
    """Cast members the balloon speaks to: a name or alias set off by commas or closing the sentence."""
    found = set()
    upper = f" {text.upper()} "
    for member in cast:
        for name in member.patterns():
            pattern = rf"(?:^\s*|[,!?.]\s+|\s)({re.escape(name)})(?=\s*[,!?]|\s*\.\s*$|\s*\.\s)"
            if re.search(pattern, upper) and not re.search(rf"\b(?:IO|SONO)\s+{re.escape(name)}\b", upper):
                found.add(member.name)
    return found


def mentioned(text: str, cast: Sequence[CastMember]) -> set[str]:
    """Cast members named anywhere in the balloon (speakers seldom name themselves)."""
    upper = f" {text.upper()} "
    return {m.name for m in cast if any(re.search(rf"\b{re.escape(n)}\b", upper) for n in m.patterns())}


def llm_choice(
    llm: Any, cast: Sequence[CastMember], context: Sequence[tuple[str | None, str]], text: str
) -> str | None:
    """Ask the `speakers` model to pick a name from the cast for `text`; anything else counts as no answer."""
    names = [m.name for m in cast]
    prompt = render("ocr/speaker.j2", names=names, context=list(context)[-4:], text=text)
    answer = llm.invoke(prompt, max_tokens=8, temperature=0.0, stop=["\n"]).strip().strip(".:").upper()
    for member in cast:
        if answer and any(answer.startswith(p) for p in member.patterns()):
            return member.name
    return None


def emissions(
    balloons: Sequence[BalloonContext], cast: Sequence[CastMember], llm: Any = None
) -> list[dict[str, float]]:
    """Per speech balloon, a score per cast member from the prior, address cues and the LLM."""
    names = [m.name for m in cast]
    prior = {name: -PRIOR_STEP * rank for rank, name in enumerate(names)}
    rows: list[dict[str, float]] = []
    previous_addressed: set[str] = set()
    present: set[str] = set()
    context: list[tuple[str | None, str]] = []
    for balloon in balloons:
        row = dict(prior)
        for name in present:
            row[name] += PRESENCE_BONUS
        spoken_to = addressed(balloon.text, cast)
        for name in spoken_to:
            row[name] += ADDRESSED_PENALTY
        for name in mentioned(balloon.text, cast) - spoken_to:
            row[name] += MENTION_PENALTY
        for name in previous_addressed:
            row[name] += ANSWER_BONUS
        words = stems(balloon.text)
        for member in cast:
            row[member.name] += HABIT_BONUS * min(2, len(words & member.vocabulary))
        if llm is not None:
            choice = llm_choice(llm, cast, context, balloon.text)
            if choice:
                row[choice] += LLM_BONUS
        rows.append(row)
        previous_addressed = spoken_to
        present |= mentioned(balloon.text, cast)
        context.append((None, balloon.text))
    return rows


def _transition(previous: BalloonContext, current: BalloonContext, same: bool) -> float:
    if previous.figure is not None and previous.figure == current.figure:
        return SAME_FIGURE_BONUS if same else OTHER_FIGURE_PENALTY
    if previous.panel == current.panel and previous.figure is not None and current.figure is not None:
        return OTHER_FIGURE_PENALTY if same else 0.0
    return REPEAT_PENALTY if same else 0.0


def viterbi(
    balloons: Sequence[BalloonContext], rows: Sequence[dict[str, float]], names: Sequence[str]
) -> list[SpeakerGuess]:
    """The best speaker sequence; each confidence is the softmax share of the chosen name at its step."""
    if not balloons:
        return []
    best = [dict(rows[0])]
    back: list[dict[str, str]] = [{}]
    for i in range(1, len(balloons)):
        step, pointers = {}, {}
        for name in names:
            options = {p: best[-1][p] + _transition(balloons[i - 1], balloons[i], p == name) for p in names}
            pointers[name] = max(options, key=options.__getitem__)
            step[name] = options[pointers[name]] + rows[i][name]
        best.append(step)
        back.append(pointers)
    path = [max(best[-1], key=best[-1].__getitem__)]
    for i in range(len(balloons) - 1, 0, -1):
        path.append(back[i][path[-1]])
    path.reverse()
    return [_guess(best[i], name) for i, name in enumerate(path)]


def _guess(scores: dict[str, float], name: str) -> SpeakerGuess:
    top = max(scores.values())
    weights = {n: math.exp(s - top) for n, s in scores.items()}
    return SpeakerGuess(
        name, round(weights[name] / sum(weights.values()), 4), {n: round(s, 3) for n, s in scores.items()}
    )


def attribute_speakers(
    balloons: list[BalloonContext], cast: Sequence[CastMember], llm: Any = None
) -> list[SpeakerGuess]:
    """A guess per balloon in reading order: captions get None; each run of speech between captions is decoded together."""
    guesses: list[SpeakerGuess] = [SpeakerGuess(None, 1.0) for _ in balloons]
    if not cast:
        return [
            SpeakerGuess(None, 0.0) if b.kind == "speech" else g
            for b, g in zip(balloons, guesses, strict=True)
        ]
    names = [m.name for m in cast]
    run: list[int] = []
    for index in [*range(len(balloons)), None]:
        if index is not None and balloons[index].kind == "speech":
            run.append(index)
            continue
        if run:
            chosen = [balloons[i] for i in run]
            for i, guess in zip(run, decode_run(chosen, cast, names, llm), strict=True):
                guesses[i] = guess
            run = []
    return guesses


def decode_run(
    balloons: Sequence[BalloonContext], cast: Sequence[CastMember], names: Sequence[str], llm: Any
) -> list[SpeakerGuess]:
    """Decode once from dialogue cues, then again with a bonus for figures that look like a name's figures."""
    rows = emissions(balloons, cast, llm)
    guesses = viterbi(balloons, rows, names)
    for _ in range(2):
        looks = _looks_by_name(balloons, guesses)
        if not looks:
            break
        rows = [_with_looks(row, b, looks, i) for i, (row, b) in enumerate(zip(rows, balloons, strict=True))]
        guesses = viterbi(balloons, rows, names)
    return guesses


def _looks_by_name(
    balloons: Sequence[BalloonContext], guesses: Sequence[SpeakerGuess]
) -> dict[str, list[tuple[int, np.ndarray]]]:
    looks: dict[str, list[tuple[int, np.ndarray]]] = {}
    for i, (balloon, guess) in enumerate(zip(balloons, guesses, strict=True)):
        if balloon.look is not None and guess.speaker:
            looks.setdefault(guess.speaker, []).append((i, balloon.look))
    return looks


def _with_looks(
    row: dict[str, float], balloon: BalloonContext, looks: dict[str, list[tuple[int, np.ndarray]]], index: int
) -> dict[str, float]:
    if balloon.look is None:
        return row
    out = dict(row)
    for name, items in looks.items():
        others = [float(look @ balloon.look) for i, look in items if i != index]
        if others:
            out[name] = row[name] + LOOK_BONUS * max(0.0, (max(others) - LOOK_MATCH) / (1 - LOOK_MATCH))
    return out


# ---- accuracy on generated pages ---------------------------------------------------------------------


def evaluate_speakers(settings: Any, pages: int = 4, seed: int = 21, llm: Any = None) -> dict[str, Any]:
    """Speaker accuracy on generated pages (true text, true tails): with and without the figure cue."""
    import json
    import tempfile
    from pathlib import Path

    from tools.synth import generate_volume

    with tempfile.TemporaryDirectory(prefix="nuvola-speakers-") as tmp:
        truth_path = generate_volume(Path(tmp), pages=pages, seed=seed)
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        cast = cast_from_profile(getattr(settings, "series", "tex"), truth["meta"].get("speakers", []))
        totals = {"with_figures": [0, 0], "dialogue_only": [0, 0]}
        for page_name, items in truth["balloons"].items():
            grey = cv2.imread(str(Path(tmp) / page_name), cv2.IMREAD_GRAYSCALE)
            if grey is None:
                raise InputFileError(Path(tmp) / page_name, "the generated page could not be read")
            panels = [tuple(p) for p in truth["pages"][page_name]]
            for mode in totals:
                balloons = [_context(item) for item in items]
                if mode == "with_figures":
                    assign_figures(grey, panels, balloons)
                for item, guess in zip(items, attribute_speakers(balloons, cast, llm), strict=True):
                    if item["kind"] == "speech":
                        totals[mode][0] += guess.speaker == item["speaker"]
                        totals[mode][1] += 1
        spoken = [
            item["speaker"]
            for items in truth["balloons"].values()
            for item in items
            if item["kind"] == "speech"
        ]
    result: dict[str, Any] = {
        mode: {"accuracy": round(ok / n, 4) if n else 0.0, "balloons": n} for mode, (ok, n) in totals.items()
    }
    first = cast[0].name if cast else None
    result["baseline_always_first_cast_member"] = (
        round(spoken.count(first) / len(spoken), 4) if spoken else 0.0
    )
    result["cast"] = len(cast)
    result["pages"] = pages
    return result


def _context(item: dict[str, Any]) -> BalloonContext:
    tail = tuple(item["tail"]) if item.get("tail") else None
    return BalloonContext(tuple(item["bbox"]), item.get("panel"), item["kind"], item["text"], tail)
