"""Colours: scene palettes (day, night, desert, interior, dawn, dusk) and each character's canonical palette.

A character's colours come from the series profile (`tools.series.profile.load_profile(series).characters[].palette`,
`{part: "#rrggbb"}`); parts the profile does not give are derived from the name, so they are the same in
every panel and every run.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from tools.comic_script import PanelSpec
from tools.render.scene import scene_kind
from tools.series.profile import canonical_name, profile_character

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]


def hex_to_rgb(value: str) -> RGB:
    """`#rrggbb` (or `rrggbb`) to an RGB tuple; a malformed value is a ValueError naming it."""
    text = value.strip().lstrip("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


SCENE_PALETTES: dict[str, dict[str, str]] = {
    "day": {
        "sky": "#9fd0ee",
        "ground": "#c9b27c",
        "rock": "#c28c5a",
        "building": "#c9a06e",
        "wall": "#d8c39a",
        "floor": "#a77a4c",
        "wood": "#9b6a3c",
        "tree": "#5d8a4a",
        "cactus": "#6f9a52",
        "sun": "#fff3b0",
        "moon": "#f4f1de",
        "water": "#6aa9d8",
        "fire": "#f4a340",
        "object": "#b9a48a",
        "window": "#dfeefa",
        "horse": "#8a5a36",
        "metal": "#9aa3ad",
        "paper": "#f3ead2",
        "mountain": "#9c8fb0",
    },
    "desert": {
        "sky": "#a8d8f0",
        "ground": "#e2c38c",
        "rock": "#cf7a45",
        "building": "#d4a877",
        "wall": "#e0c79f",
        "floor": "#b0804f",
        "wood": "#a0703f",
        "tree": "#7d9455",
        "cactus": "#6b9148",
        "sun": "#fff0a0",
        "moon": "#f4f1de",
        "water": "#74b3dc",
        "fire": "#f4a340",
        "object": "#c7ab86",
        "window": "#e3f0f8",
        "horse": "#8a5a36",
        "metal": "#9aa3ad",
        "paper": "#f3ead2",
        "mountain": "#c98b62",
    },
    "night": {
        "sky": "#1f2a4d",
        "ground": "#3d4256",
        "rock": "#4a4560",
        "building": "#4b4a5e",
        "wall": "#55506a",
        "floor": "#463c48",
        "wood": "#4e3f3e",
        "tree": "#2c3f3c",
        "cactus": "#2f4a3c",
        "sun": "#f4f1de",
        "moon": "#f4efc8",
        "water": "#2e4a72",
        "fire": "#f7b250",
        "object": "#5d5a6e",
        "window": "#f5d77a",
        "horse": "#4a3a36",
        "metal": "#6d7380",
        "paper": "#c9c3b0",
        "mountain": "#2e3352",
    },
    "interior": {
        "sky": "#d9c9a6",
        "ground": "#9a7048",
        "rock": "#8c7a66",
        "building": "#b58d60",
        "wall": "#d6b98a",
        "floor": "#8f6440",
        "wood": "#8a5a32",
        "tree": "#5d8a4a",
        "cactus": "#6f9a52",
        "sun": "#fff3b0",
        "moon": "#f4f1de",
        "water": "#6aa9d8",
        "fire": "#f4a340",
        "object": "#b59370",
        "window": "#e8f2f8",
        "horse": "#8a5a36",
        "metal": "#9aa3ad",
        "paper": "#f3ead2",
        "mountain": "#9c8fb0",
    },
    "dawn": {
        "sky": "#f2c6a0",
        "ground": "#b79a72",
        "rock": "#b97a5a",
        "building": "#b9906a",
        "wall": "#d3b793",
        "floor": "#9b7049",
        "wood": "#8f623a",
        "tree": "#587a4a",
        "cactus": "#6a8a50",
        "sun": "#ffe08a",
        "moon": "#f4f1de",
        "water": "#8fb0d0",
        "fire": "#f4a340",
        "object": "#b39c84",
        "window": "#f6e3c8",
        "horse": "#7e5235",
        "metal": "#9a9aa6",
        "paper": "#f3e4cc",
        "mountain": "#a487a2",
    },
    "dusk": {
        "sky": "#e7945f",
        "ground": "#a07a58",
        "rock": "#a8583e",
        "building": "#a87a58",
        "wall": "#c79f7c",
        "floor": "#8a5c3c",
        "wood": "#7e5234",
        "tree": "#4d6a44",
        "cactus": "#5a7a46",
        "sun": "#ffd070",
        "moon": "#f4f1de",
        "water": "#7a8fb8",
        "fire": "#f4a340",
        "object": "#a08670",
        "window": "#f8d9a0",
        "horse": "#6f4a32",
        "metal": "#8c8a96",
        "paper": "#eedcc0",
        "mountain": "#7d5a82",
    },
}
PAPER: RGB = (255, 255, 255)
CAPTION_FILL: RGB = (255, 241, 168)  # the pale yellow of Bonelli colour editions
SFX_FILL: RGB = (214, 40, 28)

# The parts a figure is drawn with, and the profile palette keys that can colour each, in order of preference
# (Tiger Jack's "tunic" is his shirt, Mefisto's "cloak" his jacket, Kit Carson's "moustache" his hair...).
PART_SOURCES: dict[str, tuple[str, ...]] = {
    "hat": ("hat", "cappello", "stetson"),
    "hair": ("hair", "capelli", "beard", "barba", "moustache", "baffi"),
    "skin": ("skin", "pelle", "carnagione", "face", "viso"),
    "shirt": ("shirt", "camicia", "tunic", "casacca", "robe", "dress", "suit", "top"),
    "jacket": ("jacket", "giacca", "giubba", "cloak", "mantello", "coat", "cappotto", "suit"),
    "neckerchief": ("neckerchief", "fazzoletto", "foulard", "bandana", "scarf", "necklace", "sash"),
    "trousers": ("trousers", "pantaloni", "jeans", "calzoni", "pants", "leggings", "robe", "dress", "suit"),
    "boots": ("boots", "stivali", "scarpe", "mocassini"),
    "belt": ("belt", "cinturone", "cintura", "gunbelt", "sash"),
    "headband": ("headband", "fascia", "banda"),
    "feather": ("feather", "piuma", "penna"),
}
_FALLBACK_CHOICES: dict[str, tuple[str, ...]] = {
    "hat": ("#e8dcc0", "#4a3b2c", "#7a5c3e", "#2b2b2b", "#a88b64", "#c9b48a"),
    "hair": ("#2b2118", "#5a3d22", "#8a6a3e", "#c9c3b8", "#1c1c1c"),
    "skin": ("#f2c9a0", "#e8b48a", "#d19a70", "#b97d56"),
    "shirt": ("#e04a3a", "#3d6fb0", "#e7c53b", "#6a9a4a", "#8e5aa8", "#d9d9d9", "#d07a2c", "#4f8f8f"),
    "jacket": ("#7a5230", "#3b3b46", "#5d6b3a", "#8c6b4a", "#2f4a6a"),
    "neckerchief": ("#c0302a", "#1f1f1f", "#2e5fa0", "#d9b23a"),
    "trousers": ("#2f4f7f", "#5a4632", "#3b3b3b", "#6e6252", "#41546b"),
    "boots": ("#3b2616", "#1f1a16", "#5a3a22"),
    "belt": ("#4a3020", "#2a1c12"),
    "headband": ("#c0302a", "#e0a030", "#2e5fa0"),
    "feather": ("#f0ebe0", "#3b3b3b"),
}


@dataclass(frozen=True)
class CharacterPalette:
    """The colours one character wears, by part; the same in every panel."""

    name: str
    colours: dict[str, RGB]

    def colour(self, part: str) -> RGB:
        return self.colours.get(part, self.colours["shirt"])


def _fallback_colour(name: str, part: str) -> RGB:
    digest = hashlib.sha256(f"{name.lower()}|{part}".encode()).digest()
    choices = _FALLBACK_CHOICES[part]
    return hex_to_rgb(choices[digest[0] % len(choices)])


def _profile_colours(profile: Any, name: str) -> dict[str, RGB]:
    """Colours the series profile gives for `name`, keyed by our part names; bad entries are skipped."""
    character = profile_character(profile, name)
    palette = getattr(character, "palette", None) if character is not None else None
    if character is None:  # an extra or a villain the profile does not name: the colours of its role
        from tools.render.looks import role_palette

        palette = role_palette(name)
    given = {str(k).strip().lower(): str(v) for k, v in (palette or {}).items()}
    out: dict[str, RGB] = {}
    for part, sources in PART_SOURCES.items():
        key = next((k for k in sources if k in given), None)
        if key is None:
            continue
        try:
            out[part] = hex_to_rgb(given[key])
        except ValueError as exc:
            log.warning("profile palette of %s: %s", name, exc)
    return out


def character_palette(name: str, profile: Any = None) -> CharacterPalette:
    """The canonical palette of `name`: the profile's colours first, name-derived colours for the rest."""
    known = _profile_colours(profile, name)
    colours = {part: known.get(part) or _fallback_colour(name, part) for part in PART_SOURCES}
    return CharacterPalette(name=name, colours=colours)


# Place sets the base colours (daylight), light grades them: dawn, dusk and night pull every scene colour towards
# their own palette (sky, sun, moon, fire and lit windows take the light's colour outright); lamp light warms an
# interior. Characters keep their canonical colours under every light.
PLACE_BASE = {"desert": "desert", "interior": "interior"}
PLACE_TOUCHES: dict[str, dict[str, str]] = {
    "forest": {"ground": "#8c9a5c", "mountain": "#7f9a8a"},
    "mountains": {"ground": "#a99a78", "rock": "#9c8a78"},
    "town": {"ground": "#cdb486", "building": "#c49a68"},
    "river": {"ground": "#9fae70"},
    "camp": {"ground": "#b8a274"},
}
LIGHT_WEIGHT = {"dawn": 0.55, "dusk": 0.62, "night": 0.8}
LIGHT_OWN = {"sky", "sun", "moon", "fire", "window"}
LAMP_TINT, LAMP_WEIGHT = "#ffb05a", 0.22
LIGHTS = ("dawn", "day", "dusk", "night", "lamp")


def _mix(a: RGB, b: RGB, weight: float) -> RGB:
    return tuple(round(x + (y - x) * weight) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def graded_palette(place: str, light: str) -> dict[str, RGB]:
    """The scene colours of a place under a light (dawn, day, dusk, night, lamp)."""
    base = {part: hex_to_rgb(v) for part, v in SCENE_PALETTES[PLACE_BASE.get(place, "day")].items()}
    base.update({part: hex_to_rgb(v) for part, v in PLACE_TOUCHES.get(place, {}).items()})
    if light in LIGHT_WEIGHT:
        own = {part: hex_to_rgb(v) for part, v in SCENE_PALETTES[light].items()}
        return {
            part: own[part] if part in LIGHT_OWN else _mix(colour, own[part], LIGHT_WEIGHT[light])
            for part, colour in base.items()
        }
    if light == "lamp":
        tint = hex_to_rgb(LAMP_TINT)
        night = {part: hex_to_rgb(v) for part, v in SCENE_PALETTES["night"].items()}
        return {
            part: night["sky"] if part == "window" else _mix(colour, tint, LAMP_WEIGHT)
            for part, colour in base.items()
        }
    return base


def scene_palette_name(panel: PanelSpec) -> str:
    """day, night, desert, interior, dawn or dusk: the light of the panel, then the place."""
    if panel.time_of_day in ("night", "dawn", "dusk"):
        return panel.time_of_day
    kind = scene_kind(panel)
    if kind == "interior":
        return "interior"
    return "desert" if kind == "desert" else "day"


def scene_palette(panel: PanelSpec, light: str | None = None, place: str | None = None) -> dict[str, RGB]:
    """The scene colours of a panel: its place (read from setting and description) under its light (the beat's
    time of day, else the panel's); pass `light`/`place` when the staging already knows them."""
    from tools.render.staging import light_of

    place = place or scene_kind(panel)
    return graded_palette(place, light or light_of(panel, None, place))  # type: ignore[arg-type]


@dataclass
class PaletteBook:
    """Every character palette used in an issue, made once so that a character never changes colours."""

    profile: Any = None
    _cache: dict[str, CharacterPalette] = field(default_factory=dict)

    def for_character(self, name: str) -> CharacterPalette:
        key = canonical_name(name, self.profile).lower()
        if key not in self._cache:
            self._cache[key] = character_palette(canonical_name(name, self.profile), self.profile)
        return self._cache[key]
