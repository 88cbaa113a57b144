"""Choosing among usable outline scenes: the one that keeps to the user's storyline.

The 270M narrator drifts from the plot after a scene or two (run on the demo plot: "Tex vuole sapere se il
cavaliere e l'agenzia possono avere una relazione" for a plot about gun smugglers on the Mexican border),
and it reuses the place and time of the scene before. Each scene is sampled a few times; the kept one names
most of the storyline's own words (each weighted by how specific it is, any ending), with a penalty for a
place already used by an earlier scene.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.characters import fold
from tools.dialogue.bank import content_words
from tools.dialogue.ngram import WORD

SCENE_TEXT_FIELDS = ("place", "goal", "conflict", "turn")
SAME_PLACE_PENALTY = 0.5
"""What a scene loses for taking the place of an earlier scene (the plot has to move)."""


@dataclass
class OutlineRanker:
    """Scores candidate outline scenes for one storyline (higher is better)."""

    storyline: str
    cast: Sequence[str] = ()
    earlier: Sequence[dict[str, Any]] = ()
    weight: Callable[[str], float] | None = None
    """How specific a word is (the line bank's inverse document frequency); None: every word counts 1."""
    _plot: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        names = {w.lower() for name in self.cast for w in WORD.findall(name)}
        self._plot = content_words(self.storyline, skip=names)  # every scene names the cast anyway

    def coverage(self, scene: dict[str, Any]) -> float:
        """The weighted share of the storyline's content words that the scene names (0 to 1)."""
        if not self._plot:
            return 0.0
        mine = content_words(" ".join(str(scene.get(k) or "") for k in SCENE_TEXT_FIELDS))
        weigh = self.weight or (lambda _word: 1.0)
        total = sum(weigh(word) for word in self._plot.values())
        named = sum(weigh(word) for key, word in self._plot.items() if key in mine)
        return named / total if total else 0.0

    def repeats_place(self, scene: dict[str, Any]) -> bool:
        place = fold(str(scene.get("place") or ""))
        return bool(place) and any(place == fold(str(e.get("place") or "")) for e in self.earlier)

    def score(self, scene: dict[str, Any]) -> float:
        return self.coverage(scene) - (SAME_PLACE_PENALTY if self.repeats_place(scene) else 0.0)

    def best(self, scenes: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The highest scoring scene; the first one sampled on a tie."""
        return max(scenes, key=self.score)
