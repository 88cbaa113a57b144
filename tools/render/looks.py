"""What a figure looks like: named characters from the series profile, extras and villains from looks.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from tools.errors import InputFileError
from tools.series.profile import profile_character

LOOKS_FILE = Path(__file__).with_name("looks.yaml")


@dataclass(frozen=True)
class FigureLook:
    """What a character wears besides the standard kit."""

    hat_style: str | None = "stetson"  # stetson, sombrero, kepi, or None (bare head / headband)
    beard: bool = False
    moustache: bool = False
    headband: bool = False
    long_hair: bool = False
    jacket: bool = False
    poncho: bool = False
    mask: bool = False
    star: bool = False
    gunbelt: bool = True

    @property
    def hat(self) -> bool:
        return self.hat_style is not None

    @classmethod
    def from_profile(cls, profile: object, name: str) -> FigureLook:
        """Features from a profile character's palette parts and traits; an extra's role look otherwise."""
        character = profile_character(profile, name)
        if character is None:
            role = role_look(name)
            return role if role is not None else cls()
        parts = {str(k).lower() for k in (getattr(character, "palette", None) or {})}
        words = " ".join(
            str(t) for t in [*(getattr(character, "traits", None) or []), getattr(character, "role", "")]
        ).lower()
        native = bool(parts & {"headband", "feather"})
        return cls(
            hat_style=None if native or parts & {"cloak", "robe", "dress"} else "stetson",
            beard="beard" in parts or "barba" in words,
            moustache="moustache" in parts or "baffi" in words,
            headband="headband" in parts,
            long_hair=native or bool(parts & {"dress"}),
            jacket=bool(parts & {"jacket", "cloak", "fringe", "suit"}),
            gunbelt=not native and not parts & {"cloak", "robe", "dress"},
        )


@lru_cache(maxsize=1)
def role_table() -> dict[str, dict[str, Any]]:
    """looks.yaml: role -> {look: {...}, palette: {part: colour}}."""
    try:
        data = yaml.safe_load(LOOKS_FILE.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(LOOKS_FILE, f"cannot read the extras' looks ({exc})") from exc
    if not isinstance(data, dict):
        raise InputFileError(LOOKS_FILE, "expected a mapping of role -> look and palette")
    return data


def role_key(name: str) -> str | None:
    """The looks.yaml role of an extra's figure name ("bandito", "bandito 2", "Bandito"), or None."""
    head = name.strip().lower().split(" ")[0] if name.strip() else ""
    return head if head in role_table() else None


def role_look(name: str) -> FigureLook | None:
    role = role_key(name)
    if role is None:
        return None
    spec = dict(role_table()[role].get("look") or {})
    hat = spec.pop("hat", "stetson")
    return FigureLook(hat_style=None if hat in (None, "none") else str(hat), **spec)


def role_palette(name: str) -> dict[str, str]:
    role = role_key(name)
    return dict(role_table()[role].get("palette") or {}) if role else {}
