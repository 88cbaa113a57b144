"""Series profiles: the shipped Tex profile, aliases, palettes, bad files, `nuvola memory profile load`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from memory.retrieval import character_sheet
from memory.store import MemoryStore
from tools.errors import InputFileError
from tools.series.profile import HEX_COLOUR, ProfileError, available_profiles, load_profile
from tools.settings import load_settings

MAIN_CAST = [
    "Tex",
    "Kit Carson",
    "Kit Willer",
    "Tiger Jack",
    "Lilyth",
    "Mefisto",
    "Yama",
    "El Morisco",
    "Montales",
    "Cochise",
]


def test_tex_profile_ships_cast_format_and_palettes() -> None:
    assert "tex" in available_profiles()
    tex = load_profile("tex")
    assert [c.name for c in tex.characters][: len(MAIN_CAST)] == MAIN_CAST
    fmt = tex.format
    assert (fmt.periodicity, fmt.colour, fmt.size_cm, fmt.pages, fmt.tiers_per_page) == (
        "mensile",
        "bianco e nero",
        (16.0, 21.0),
        110,
        3,
    )
    for character in tex.characters:
        assert character.traits and character.speech_habits and character.sample_lines, character.name
        assert {"skin"} <= set(character.palette) and all(
            HEX_COLOUR.match(c) for c in character.palette.values()
        )
    assert {"shirt", "trousers", "hat", "hair"} <= set(tex.character("Tex").palette)


def test_aliases_resolve_to_one_character() -> None:
    tex = load_profile("tex")
    assert tex.character("AQUILA DELLA NOTTE").name == "Tex"
    assert tex.character("Carson").name == "Kit Carson"
    assert tex.character("kit").name == "Kit Willer"
    assert tex.character("Piccolo Falco").name == "Kit Willer"
    relations = {(r.to, r.kind) for r in tex.character("Tex").relations}
    assert ("Kit Willer", "padre") in relations and ("Mefisto", "nemico giurato") in relations
    with pytest.raises(ProfileError, match="no character 'Zagor'.*known: Tex"):
        tex.character("Zagor")


def test_unknown_and_invalid_profiles_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="shipped profiles: .*tex"):
        load_profile("dylan")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncharacters:\n  - name: A\n    palette: {shirt: yellow}\n", "utf-8")
    with pytest.raises(InputFileError, match=r"bad.yaml: not a valid series profile \(characters.0.palette"):
        load_profile(str(bad))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", "utf-8")
    with pytest.raises(InputFileError, match="broken.yaml: not valid YAML"):
        load_profile(str(broken))


def test_another_series_is_another_yaml(tmp_path: Path) -> None:
    other = tmp_path / "west.yaml"
    other.write_text(
        "name: west\nformat: {pages: 94, tiers_per_page: 3}\ncharacters:\n"
        "  - {name: Zeb, aliases: [Il Rosso], palette: {shirt: '#aa2200'}}\n",
        "utf-8",
    )
    west = load_profile(str(other))
    assert west.character("il rosso").name == "Zeb" and west.format.pages == 94


def test_cli_profile_load_is_idempotent_and_feeds_character_sheets(isolated_home: Path) -> None:
    env = {"NUVOLA_MODELS__EMBEDDER": "fake"}
    first = CliRunner().invoke(cli, ["memory", "profile", "load", "tex"], env=env)
    assert first.exit_code == 0, first.output
    assert "16×21 cm" in first.output and "11 new" in first.output
    again = CliRunner().invoke(cli, ["memory", "profile", "load", "tex"], env=env)
    assert "0 new" in again.output and "11 unchanged" in again.output
    store = MemoryStore.open(load_settings(home=isolated_home, models={"embedder": "fake"}))
    assert store.count("character") == 11
    sheet = character_sheet(store, None, "Capelli d'Argento")
    assert sheet.name == "Kit Carson" and sheet.volumes == [] and "bistecch" in sheet.text()
