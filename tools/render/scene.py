"""What kind of place a panel shows, read from its setting and description (Italian or English keywords)."""

from __future__ import annotations

import re
from typing import Literal

from tools.comic_script import PanelSpec

SceneKind = Literal["desert", "town", "interior", "mountains", "forest", "river", "camp", "plain"]

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "interior": (
        "saloon",
        "interno",
        "stanza",
        "ufficio",
        "casa",
        "capanna",
        "cella",
        "prigione",
        "bar",
        "locanda",
        "taverna",
        "emporio",
        "banca",
        "room",
        "office",
        "inside",
        "cabin",
        "jail",
        "hotel",
        "albergo",
    ),
    "camp": ("accampamento", "bivacco", "fuoco", "falò", "campfire", "camp", "tenda", "tende", "tepee"),
    "town": (
        "città",
        "paese",
        "villaggio",
        "strada",
        "via principale",
        "forte",
        "town",
        "street",
        "fort",
        "ranch",
    ),
    "desert": (
        "deserto",
        "canyon",
        "mesa",
        "arizona",
        "sabbia",
        "dune",
        "desert",
        "rocce rosse",
        "altopiano",
    ),
    "mountains": ("montagn", "monti", "passo", "picco", "rupe", "mountain", "sierra", "pass", "gola"),
    "forest": ("bosco", "foresta", "alberi", "pineta", "forest", "woods", "trees"),
    "river": ("fiume", "guado", "lago", "torrente", "river", "ford", "lake", "creek"),
}
_TEXT_ORDER: tuple[SceneKind, ...] = ("interior", "camp", "town", "desert", "mountains", "forest", "river")


OUTSIDE = re.compile(
    r"\b(?:davanti|fuori|dietro|accanto|vicino|presso|intorno|sul tetto)\s+(?:(?:alla|allo|alle|al|"
    r"ai|a|dalla|dallo|dal|dai|da|del|della|il|la|lo)\s+|all'|dall'|l')?[\w']+"
)


def scene_kind(panel: PanelSpec) -> SceneKind:
    """The kind of place: the setting decides first, then the description; open plain when nothing matches.
    A building named only as where one stands outside ("davanti alla prigione") does not make an interior."""
    if panel.time_of_day == "interior" and not OUTSIDE.search(panel.setting.lower()):
        return "interior"
    for text in (panel.setting, panel.description):
        lowered = OUTSIDE.sub(" ", text.lower())
        for kind in _TEXT_ORDER:
            if any(re.search(rf"\b{re.escape(word)}", lowered) for word in _KEYWORDS[kind]):
                return kind
    return "plain"


def is_exterior(panel: PanelSpec) -> bool:
    return scene_kind(panel) != "interior"
