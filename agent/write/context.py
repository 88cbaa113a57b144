"""The write route's run context: the shared RunContext plus interactivity, strictness and the lexicon."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.context import RunContext

WRITER_ROLES = ("narrator", "director", "voice")


@dataclass
class WriteContext(RunContext):
    """Handles for one write-issue run."""

    interactive: bool = False
    """When true the coordinator may ask the user a question (a LangGraph interrupt)."""
    strict: bool = False
    """When true unusable model output fails the run instead of being replaced by a logged fallback."""
    _vocabularies: dict[str, Any] = field(default_factory=dict, repr=False)

    def vocabulary(self, storyline: str) -> Any:
        """The lexicon check for this story (agent.write.line_formats.Vocabulary), built once per run."""
        if storyline not in self._vocabularies:
            from agent.prompts import writer_data
            from agent.write.line_formats import story_vocabulary

            data = writer_data("examples")
            vocabulary = story_vocabulary(
                storyline,
                self.profile,
                data["genre_words"],
                data["anachronisms"],
                data.get("vulgarities", []),
            )
            self._vocabularies[storyline] = vocabulary
        return self._vocabularies[storyline]
