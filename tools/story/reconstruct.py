"""Narrative reconstruction: transcribed pages of a catalogued volume -> scenes, summaries, cast, voices.

    story = reconstruct_volume(Catalogue.open(settings), "Tex 1", settings)

Steps: read balloons in reading order (sentence case for the memory, lettering kept) -> canonical speakers
(series profile aliases) -> scene boundaries (cue captions; cast changes confirmed by the narrator model)
-> addressees (vocatives, else the previous speaker) -> panels -> scene and story summaries (narrator
model, validated; extractive when it cannot) -> character voices. Everything keeps page provenance.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from tools.errors import InputFileError, NuvolaError
from tools.series.profile import SeriesProfile, load_profile, name_key
from tools.story.acts import speech_act
from tools.story.model import CharacterVoice, ReconstructedStory, StoryLine, StoryPanel, StoryScene
from tools.story.scenes import segment_scenes
from tools.story.speech_habits import character_voices
from tools.story.summarise import Narrator
from tools.story.text import sentence_case, words

if TYPE_CHECKING:
    from langchain_core.language_models import BaseLLM

    from tools.ingest.catalogue import BalloonRecord, PageRecord, PanelRecord
    from tools.settings import Settings

PANEL_DESCRIPTION_CHARS = 500


class NothingTranscribedError(NuvolaError):
    """A volume has no transcribed balloons yet, so there is no story to rebuild."""


class CatalogueReader(Protocol):
    """The part of `tools.ingest.catalogue.Catalogue` reconstruction reads."""

    def pages(self, volume_name: str) -> list[PageRecord]: ...
    def panels(self, page_id: str) -> list[PanelRecord]: ...
    def balloons(self, page_id: str) -> list[BalloonRecord]: ...


@dataclass
class _Names:
    """Canonical character names by lookup key, and the proper names to restore in sentence case."""

    canonical: dict[str, str]
    proper: list[str]
    places: list[str]
    is_word: Callable[[str], bool] | None = None

    def canonical_name(self, raw: str) -> str:
        return self.canonical.get(name_key(raw)) or " ".join(w.capitalize() for w in raw.split())


def reconstruct_volume(
    catalogue: CatalogueReader,
    volume: str,
    settings: Settings,
    *,
    llm: BaseLLM | None = None,
    use_llm: bool = True,
    profile: SeriesProfile | None = None,
) -> ReconstructedStory:
    """Rebuild the story of `volume` from its transcribed balloons (contract 4)."""
    profile = profile or _series_profile(settings.series)
    pages = catalogue.pages(volume)
    raw = [(page, catalogue.panels(page.id), catalogue.balloons(page.id)) for page in pages]
    balloons = [b for _, _, page_balloons in raw for b in page_balloons]
    names = _names(profile, [b.speaker for b in balloons if b.speaker], [b.text or "" for b in balloons])
    lines = [ln for page, _, balloons in raw for ln in _page_lines(page, balloons, names)]
    if not lines:
        raise NothingTranscribedError(
            f"volume {volume!r} has no transcribed balloons yet: transcribe it first (`nuvola read {volume}`)"
        )
    narrator = _narrator(settings, llm) if use_llm else None
    scenes = segment_scenes(lines, names.places, narrator.scene_break if narrator else None)
    _infer_addressees(lines, names)
    scenes = [_with_cast(scene, lines) for scene in scenes]
    for scene in scenes:
        _summarise_scene(scene, [ln for ln in lines if ln.scene == scene.index], narrator)
    characters = character_voices(lines)
    summary, source = _story_summary(scenes, narrator)
    return ReconstructedStory(
        volume=volume,
        series=profile.name if profile else settings.series,
        title=volume,
        summary=summary,
        summary_source=source,
        pages=len(pages),
        cast=_cast(characters, lines),
        scenes=scenes,
        lines=lines,
        panels=[p for page, panels, _ in raw for p in _page_panels(page, panels, lines, scenes)],
        characters=characters,
    )


def _series_profile(series: str) -> SeriesProfile | None:
    from tools.series.profile import ProfileError

    try:
        return load_profile(series)
    except ProfileError:
        return None


def _narrator(settings: Settings, llm: BaseLLM | None) -> Narrator:
    if llm is None:
        from tools.models import get_llm

        llm = get_llm(settings.model_for("narrator"))
    return Narrator(llm, seed=settings.seed)


def _names(profile: SeriesProfile | None, speakers: list[str], texts: list[str]) -> _Names:
    canonical: dict[str, str] = {}
    proper: list[str] = []
    places: list[str] = []
    if profile is not None:
        for character in profile.characters:
            for name in character.names:
                canonical[name_key(name)] = character.name
                proper.append(name)
        places = list(profile.places)
        proper += [p for p in places if p[:1].isupper()]
    for raw in speakers:
        name = canonical.get(name_key(raw)) or " ".join(w.capitalize() for w in raw.split())
        canonical.setdefault(name_key(raw), name)
        proper.append(name)
    vocabulary = {w.lower() for w in profile.vocabulary} if profile else set()
    return _Names(canonical, sorted(set(proper)), places, _common_word_test(vocabulary, texts))


def _common_word_test(vocabulary: set[str], texts: list[str]) -> Callable[[str], bool] | None:
    """A word is common when the Italian lexicon or the series vocabulary has it, or when the volume
    uses it only once (names recur; rare verb forms the lexicon lacks do not). None without a lexicon."""
    from tools.ocr.lexicon import italian_lexicon

    try:
        lexicon = italian_lexicon()
    except (InputFileError, OSError):
        return None
    counts = Counter(w for text in texts for w in words(text))
    return lambda word: word in lexicon or word.lower() in vocabulary or counts[word.lower()] < 2


def _page_lines(page: PageRecord, balloons: list[BalloonRecord], names: _Names) -> list[StoryLine]:
    lines = []
    for b in balloons:
        if not (b.text and b.text.strip()):
            continue
        speaker = names.canonical_name(b.speaker) if (b.speaker and b.kind == "speech") else None
        text = sentence_case(b.text, names.proper, names.is_word)
        lines.append(
            StoryLine(
                text=text,
                lettering=b.text.strip(),
                kind=b.kind,
                speaker=speaker,
                act=speech_act(text) if b.kind == "speech" else None,
                page_index=page.page_index,
                page_id=page.id,
                panel_id=b.panel_id,
                balloon_id=b.id,
                image_path=page.image_path,
                bbox=[b.x, b.y, b.w, b.h],
                confidence=b.speaker_confidence,
            )
        )
    return lines


def _infer_addressees(lines: list[StoryLine], names: _Names) -> None:
    """A name said as a vocative (`..., Tex!`) is the addressee; else the previous speaker in the scene."""
    previous: StoryLine | None = None
    for line in lines:
        if line.kind != "speech" or not line.speaker:
            continue
        named = vocative(line.text, names.canonical)
        if named and named != line.speaker:
            line.addressee = named
        elif previous and previous.scene == line.scene and previous.speaker != line.speaker:
            line.addressee = previous.speaker
        previous = line


def vocative(text: str, canonical: dict[str, str]) -> str | None:
    """The character addressed by name in `text` (`Ti ammazzerò, Tex Willer!` -> `Tex`), or None."""
    marked = re.sub(r"[,!?.…;:]+", " | ", text.lower().replace("’", "'"))
    chunks = {" ".join(words(c)) for c in marked.split("|")}
    return next((canonical[key] for key in chunks if key in canonical), None)


def _with_cast(scene: StoryScene, lines: list[StoryLine]) -> StoryScene:
    """The scene's speakers, then the characters only spoken to."""
    addressed = [ln.addressee for ln in lines if ln.scene == scene.index]
    return scene.model_copy(update={"cast": _join_list([*scene.cast, *addressed])})


def _summarise_scene(scene: StoryScene, lines: list[StoryLine], narrator: Narrator | None) -> None:
    summary = narrator.scene_summary(lines) if narrator and lines else None
    scene.summary = summary or extractive_scene_summary(scene, lines)
    scene.summary_source = "llm" if summary else "extractive"


def extractive_scene_summary(scene: StoryScene, lines: list[StoryLine]) -> str:
    """`Al forte, alba: Tex e Kit Carson. Tex: «...»` from the scene's cue, cast and its fullest line."""
    where = scene.title if scene.cue else ", ".join(b for b in (scene.place, scene.time) if b)
    who = _join(scene.cast[:4])
    said = [ln for ln in lines if ln.kind == "speech" and ln.speaker]
    head = ": ".join(b for b in (where.rstrip(" .…,"), who) if b) or f"Scena {scene.index + 1}"
    if not said:
        narration = " ".join(ln.text for ln in lines)[:200]
        return f"{head}. {narration}".strip()
    key = max(said, key=lambda ln: min(len(words(ln.text)), 25))
    return f"{head}. {key.speaker}: «{key.text}»"


def _story_summary(
    scenes: list[StoryScene], narrator: Narrator | None
) -> tuple[str, Literal["llm", "extractive"]]:
    summary = narrator.story_summary(scenes) if narrator and scenes else None
    if summary:
        return summary, "llm"
    text = " ".join(s.summary for s in scenes[:6])
    return (text if len(text) <= 900 else text[:897].rsplit(" ", 1)[0] + "…"), "extractive"


def _page_panels(
    page: PageRecord, panels: list[PanelRecord], lines: list[StoryLine], scenes: list[StoryScene]
) -> list[StoryPanel]:
    """Panels that carry text, described by their scene's place and time, cast and lines."""
    out = []
    for panel in panels:
        own = [ln for ln in lines if ln.panel_id == panel.id]
        if not own:
            continue  # a silent panel: nothing to describe without vision
        scene = scenes[own[0].scene]
        cast = _join_list([n for ln in own for n in (ln.speaker, ln.addressee) if n])
        out.append(
            StoryPanel(
                panel_id=panel.id,
                page_id=page.id,
                page_index=page.page_index,
                reading_order=panel.reading_order,
                bbox=[panel.x, panel.y, panel.w, panel.h],
                image_path=page.image_path,
                cast=cast,
                description=panel_description(scene, cast, own),
                scene=scene.index,
            )
        )
    return out


def panel_description(scene: StoryScene, cast: list[str], lines: list[StoryLine]) -> str:
    """Scene context, who is in the panel and what is said, cut to a few hundred characters."""
    context = ", ".join(b for b in (scene.place, scene.time) if b)
    said = " ".join(f"{ln.speaker}: «{ln.text}»" if ln.speaker else ln.text for ln in lines)
    text = ". ".join(b for b in (context.capitalize(), _join(cast), said) if b)
    return text if len(text) <= PANEL_DESCRIPTION_CHARS else text[: PANEL_DESCRIPTION_CHARS - 1] + "…"


def _cast(characters: list[CharacterVoice], lines: list[StoryLine]) -> list[str]:
    """Speakers by number of lines, then characters only spoken to."""
    cast = [c.name for c in characters]
    return cast + [n for n in _join_list([ln.addressee for ln in lines if ln.addressee]) if n not in cast]


def _join_list(names: list[str | None]) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " e " + names[-1] if names else ""
