"""Scene boundaries: cue captions open scenes; a page whose speakers are all new is a candidate the
narrator model may confirm (few-shot SÌ/NO), with a rule when it cannot answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tools.story.cues import Cue, caption_cue
from tools.story.model import StoryLine, StoryScene

# judge(lines before, lines after) -> True (new scene), False (same scene), None (no answer)
SceneJudge = Callable[[list[StoryLine], list[StoryLine]], bool | None]
WINDOW = 6


@dataclass
class _Draft:
    start: int
    cue: str = ""
    place: str = ""
    time: str = ""
    speakers: list[str] = field(default_factory=list)


def segment_scenes(
    lines: list[StoryLine], places: Iterable[str], judge: SceneJudge | None = None
) -> list[StoryScene]:
    """Assign `line.scene` to every line (in place) and return the scenes in order."""
    places = list(places)
    drafts: list[_Draft] = [_Draft(start=0)]
    for i, line in enumerate(lines):
        current = drafts[-1]
        cue = caption_cue(line.text, places) if line.kind == "caption" else Cue()
        if cue.opens_scene:
            current = _open(drafts, i, line, cue)
        elif line.kind == "caption" and not current.speakers and not current.cue:
            current.cue = line.text  # a caption before anyone speaks introduces the scene
        elif (
            _page_start(lines, i) and _cast_changes(lines, i, current) and _confirm(lines, i, current, judge)
        ):
            current = _open(drafts, i, line, cue)
        if line.kind == "speech" and line.speaker and line.speaker not in current.speakers:
            current.speakers.append(line.speaker)
        line.scene = len(drafts) - 1
    return [_scene(n, d, lines) for n, d in enumerate(drafts)]


def _open(drafts: list[_Draft], i: int, line: StoryLine, cue: Cue) -> _Draft:
    """Start a scene at line i, or refine the current one when nothing has been said in it yet."""
    current = drafts[-1]
    if not current.speakers:
        current.cue = current.cue or (line.text if line.kind == "caption" else "")
        current.place, current.time = cue.place or current.place, cue.time or current.time
        return current
    opened = _Draft(start=i, cue=line.text if line.kind == "caption" else "", place=cue.place, time=cue.time)
    drafts.append(opened)
    return opened


def _page_start(lines: list[StoryLine], i: int) -> bool:
    return i > 0 and lines[i].page_index != lines[i - 1].page_index


def _cast_changes(lines: list[StoryLine], i: int, current: _Draft) -> bool:
    """True when the speakers of the page starting at line i are all absent from the recent scene."""
    page = lines[i].page_index
    upcoming = {
        ln.speaker for ln in lines[i:] if ln.page_index == page and ln.kind == "speech" and ln.speaker
    }
    recent = [ln.speaker for ln in lines[max(current.start, i - 3 * WINDOW) : i] if ln.speaker]
    return bool(upcoming) and bool(recent) and upcoming.isdisjoint(recent)


def _confirm(lines: list[StoryLine], i: int, current: _Draft, judge: SceneJudge | None) -> bool:
    """Ask the judge about a cast-change boundary; without a judge or an answer, the change decides."""
    if judge is None:
        return True
    verdict = judge(lines[max(current.start, i - WINDOW) : i], lines[i : i + WINDOW])
    return True if verdict is None else verdict


def _scene(index: int, draft: _Draft, lines: list[StoryLine]) -> StoryScene:
    own = [ln for ln in lines if ln.scene == index]
    return StoryScene(
        index=index,
        title=scene_title(draft.cue, draft.place, draft.time, draft.speakers, index),
        place=draft.place,
        time=draft.time,
        cue=draft.cue,
        first_page=own[0].page_index if own else 0,
        last_page=own[-1].page_index if own else 0,
        cast=list(draft.speakers),
        line_count=len(own),
    )


def scene_title(cue: str, place: str, time: str, cast: list[str], index: int) -> str:
    """The opening caption when there is one (`Intanto, al forte`), else place/time/cast."""
    if cue:
        title = cue.strip(" .…")
        return title if len(title) <= 60 else title[:57].rsplit(" ", 1)[0] + "…"
    bits = [b for b in (place.capitalize() if place else "", time) if b]
    who = " e ".join(cast[:2]) if cast else ""
    return ", ".join(bits + ([who] if who else [])) or f"Scena {index + 1}"
