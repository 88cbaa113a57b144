"""/edit: the outline or a page as plain text for $EDITOR, and the parsers that check the edited text
before it goes back into the story (the same rules the writers' output must pass)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from agent.characters import card_for, fold, speaker_label
from agent.specialists.director import figures_at
from agent.write.line_formats import BALLOON_MAX_CHARS, CAPTION_MAX_CHARS, SCENE_FIELDS, match_shot
from agent.write.state import MAX_PAGES
from tools.comic_script import SHOTS, PagePlan
from tools.errors import NuvolaError

OUTLINE_FIELDS = {**SCENE_FIELDS, "PAGINE": "pages"}
"""The narrator's scene fields (agent.write.line_formats) plus the pages the user gives each scene."""
CAPTION_LABELS = {"didascalia", "caption"}
_FIELD = re.compile(r"^\s*([A-Za-zÀ-ÿ' .-]{1,40}?)\s*:\s*(.*?)\s*$")
_SCENE = re.compile(r"^\s*SCENA\b.*$", re.IGNORECASE)
_PANEL = re.compile(r"^\s*\[(?P<id>[^\]]+)\]\s*(?P<shot>[^—]*?)\s*(?:—\s*(?P<desc>.*?))?\s*$")


class EditError(NuvolaError):
    """The edited text breaks a rule; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def outline_to_text(title: str, outline: list[dict[str, Any]]) -> str:
    """The outline in the narrator's own line format, with a page count per scene."""
    out = [
        "# Scaletta: correggi e salva. Le righe che iniziano con # sono ignorate.",
        "# Ogni scena comincia con SCENA; LUOGO e OBIETTIVO sono obbligatori; PAGINE = quante tavole.",
        f"TITOLO: {title}",
    ]
    for scene in outline:
        out += [
            "",
            f"SCENA {scene['index'] + 1}",
            f"LUOGO: {scene['place']}",
            f"TEMPO: {scene.get('time', '')}",
            f"PERSONAGGI: {', '.join(scene.get('cast', []))}",
            f"OBIETTIVO: {scene.get('goal', '')}",
            f"CONFLITTO: {scene.get('conflict', '')}",
            f"SVOLTA: {scene.get('turn', '')}",
            f"PAGINE: {len(scene.get('pages', [])) or 1}",
        ]
    return "\n".join(out) + "\n"


def _canonical_cast(value: str, profile: Any) -> list[str]:
    names = [part.strip(" .") for part in re.split(r",|;|/|\be\b", value) if part.strip(" .")]
    return list(dict.fromkeys(card_for(profile, name).name for name in names))


def _scene_fields(block: list[str], number: int, profile: Any, problems: list[str]) -> dict[str, Any]:
    scene: dict[str, Any] = {}
    for line in block:
        match = _FIELD.match(line)
        key = OUTLINE_FIELDS.get(match.group(1).upper()) if match else None
        if match is None or key is None:
            problems.append(f"scene {number}: a line is not a field ({line.strip()[:40]!r})")
            continue
        value = match.group(2)
        if key == "cast":
            scene[key] = _canonical_cast(value, profile)
        elif key == "pages":
            scene[key] = int(value) if value.isdigit() and int(value) >= 1 else 0
            if not scene[key]:
                problems.append(f"scene {number}: PAGINE must be a whole number of at least 1, not {value!r}")
        else:
            scene[key] = value.upper().rstrip(".") if key in ("place", "time") else value
    for key, label in (("place", "LUOGO"), ("goal", "OBIETTIVO")):
        if not scene.get(key):
            problems.append(f"scene {number}: {label} is empty")
    return scene


def text_to_outline(text: str, profile: Any) -> tuple[str, list[dict[str, Any]]]:
    """Parse an edited outline: the title and the scenes, pages numbered again in order; EditError otherwise."""
    lines = _lines(text)
    problems: list[str] = []
    title, blocks = "", list[list[str]]()
    for line in lines:
        if _SCENE.match(line):
            blocks.append([])
        elif blocks:
            blocks[-1].append(line)
        elif line.upper().startswith("TITOLO"):
            title = line.split(":", 1)[1].strip().upper() if ":" in line else ""
    if not title:
        problems.append("TITOLO is empty")
    if not blocks:
        problems.append("there is no SCENA")
    scenes = [_scene_fields(block, n, profile, problems) for n, block in enumerate(blocks, start=1)]
    total = sum(s.get("pages") or 1 for s in scenes)
    if total > MAX_PAGES:
        problems.append(f"{total} pages in all, more than {MAX_PAGES}")
    if problems:
        raise EditError(problems)
    first = 1
    outline = []
    for index, scene in enumerate(scenes):
        count = scene.pop("pages", None) or 1
        for key in ("time", "conflict", "turn"):
            scene.setdefault(key, "")
        scene.setdefault("cast", [])
        outline.append(
            {
                **scene,
                "index": index,
                "title": scene["place"].title(),
                "pages": list(range(first, first + count)),
            }
        )
        first += count
    return title, outline


def page_to_text(page: dict[str, Any]) -> str:
    """A page's panels with their shot and action, each followed by its caption and balloons."""
    out = [
        f"# Tavola {page['number']}: correggi didascalie, battute, inquadrature e azioni, poi salva.",
        "# Ogni vignetta comincia con [id] inquadratura — azione; sotto: DIDASCALIA: testo, oppure PERSONAGGIO: battuta.",
        f"# Inquadrature: {', '.join(SHOTS)}. Le righe che iniziano con # sono ignorate.",
    ]
    for tier in page["tiers"]:
        for panel in tier["panels"]:
            out += ["", f"[{panel['id']}] {panel.get('shot', '')} — {panel.get('description', '')}"]
            for balloon in panel.get("balloons", []):
                label = (
                    "DIDASCALIA"
                    if balloon["kind"] == "caption"
                    else speaker_label(balloon.get("speaker") or "?")
                )
                out.append(f"{label}: {balloon['text']}")
    return "\n".join(out) + "\n"


def _speaker(label: str, cast: list[str], profile: Any) -> str | None:
    canonical = card_for(profile, label).name
    for name in cast:
        if fold(name) in (fold(label), fold(canonical)):
            return name
    return None


def _balloon(
    label: str, text: str, cast: list[str], profile: Any, where: str, problems: list[str]
) -> dict[str, Any] | None:
    text = " ".join(text.split()).upper()
    if fold(label) in CAPTION_LABELS:
        if len(text) > CAPTION_MAX_CHARS:
            problems.append(f"{where}: a caption longer than {CAPTION_MAX_CHARS} characters")
        return {"kind": "caption", "speaker": None, "text": text}
    speaker = _speaker(label, cast, profile)
    if speaker is None:
        problems.append(f"{where}: {label!r} is not in the cast ({', '.join(cast)})")
        return None
    if len(text) > BALLOON_MAX_CHARS:
        problems.append(f"{where}: {speaker}'s balloon is longer than {BALLOON_MAX_CHARS} characters")
    return {"kind": "speech", "speaker": speaker, "text": text}


def _parse_panels(text: str, cast: list[str], profile: Any, problems: list[str]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for line in _lines(text):
        header = _PANEL.match(line)
        if header:
            panels.append(
                {
                    "id": header.group("id").strip(),
                    "shot": header.group("shot"),
                    "description": (header.group("desc") or "").strip(),
                    "balloons": [],
                }
            )
            continue
        field = _FIELD.match(line)
        if not panels or field is None or not field.group(2):
            problems.append(f"a line outside the format ({line.strip()[:40]!r})")
            continue
        balloon = _balloon(field.group(1), field.group(2), cast, profile, panels[-1]["id"], problems)
        if balloon is not None:
            panels[-1]["balloons"].append(balloon)
    return panels


def text_to_pages(
    text: str, pages: list[dict[str, Any]], cast: list[str], profile: Any
) -> list[dict[str, Any]]:
    """Apply edited text to `pages` (the same panels, in the same order); EditError lists what is wrong."""
    problems: list[str] = []
    edited = _parse_panels(text, cast, profile, problems)
    originals = [panel for page in pages for tier in page["tiers"] for panel in tier["panels"]]
    if [p["id"] for p in edited] != [p["id"] for p in originals]:
        problems.append(
            "the panels must stay the same, in the same order: " + ", ".join(p["id"] for p in originals)
        )
    for panel in edited:
        try:
            panel["shot"] = match_shot(panel["shot"])
        except ValueError:
            problems.append(f"{panel['id']}: unknown shot {panel['shot']!r}")
    if problems:
        raise EditError(problems)
    by_id = {p["id"]: p for p in edited}
    result = [
        {
            **page,
            "tiers": [
                {"panels": [_merge(p, by_id[p["id"]]) for p in tier["panels"]]} for tier in page["tiers"]
            ],
        }
        for page in pages
    ]
    try:
        for page in result:
            PagePlan.model_validate(page)
    except ValidationError as exc:
        raise EditError([f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from exc
    return result


def _merge(original: dict[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
    """The panel with the edited shot, action and balloons; a new speaker joins the figures."""
    speakers = [b["speaker"] for b in edited["balloons"] if b["kind"] == "speech"]
    names = [f["name"] for f in original.get("figures", [])]
    figures = original.get("figures", [])
    if any(s not in names for s in speakers):
        figures = figures_at({"speakers": list(dict.fromkeys(speakers)), "figures": names})
    description = edited["description"] or original.get("description", "")
    return {
        **original,
        "shot": edited["shot"],
        "description": description,
        "figures": figures,
        "balloons": edited["balloons"],
    }
