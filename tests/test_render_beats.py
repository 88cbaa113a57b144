"""Beats become drawable actions: the Italian rules (tools/render/beats.yaml), the labelled beat sets, the model step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import InputFileError
from tools.render.beats import BeatParser, BeatRules, load_labelled, parse_beat, score_beats
from tools.series.profile import load_series_profile

DATA = Path(__file__).resolve().parents[1] / "evals" / "data"


@pytest.fixture(scope="module")
def parser() -> BeatParser:
    return BeatParser(profile=load_series_profile("tex"))


def poses(action) -> dict[str, str]:
    return {f.name: f.pose for f in action.figures}


def test_subjects_objects_and_relative_clauses(parser: BeatParser) -> None:
    action = parser.parse("Tex spara al bandito, che cade nella polvere", ["Tex"])
    assert poses(action) == {"Tex": "shoot", "bandito": "fall"}
    assert action.props == ["revolver"] and action.figure("Tex").target == "bandito"
    action = parser.parse("Tex sorprende il bandito e lo stende con un pugno", ["Tex"])
    assert poses(action) == {"Tex": "punch", "bandito": "fall"}


def test_passives_groups_extras_and_aliases(parser: BeatParser) -> None:
    assert poses(parser.parse("Un uomo viene ucciso davanti al saloon", [])) == {"uomo": "fall"}
    action = parser.parse("I due pards cavalcano verso il forte", ["Tex", "Kit Carson"])
    assert poses(action) == {"Tex": "ride", "Kit Carson": "ride"} and action.props == ["horse"]
    assert all(f.mounted for f in action.figures)
    action = parser.parse("Aquila della Notte parla con Carson", ["Tex", "Kit Carson"])
    assert poses(action) == {"Tex": "talk", "Kit Carson": "stand"}
    action = parser.parse("Tre banditi galoppano via", [])
    assert action.figure("bandito").count == 3


def test_time_props_and_riders_who_shoot(parser: BeatParser) -> None:
    action = parser.parse("Al tramonto Kit Willer spara dalla sella col Winchester", ["Kit Willer"])
    kit = action.figure("Kit Willer")
    assert (kit.pose, kit.mounted, action.time) == ("shoot", True, "dusk")
    assert set(action.props) == {"horse", "rifle"}
    action = parser.parse("Di notte i pards siedono accanto al fuoco del bivacco", ["Tex", "Kit Carson"])
    assert action.time == "night" and action.props == ["campfire"]
    assert parser.parse("Tex risponde al fuoco", ["Tex"]).props == ["revolver"]  # a shot, not a campfire
    assert parser.parse("Tex ascolta il vento", ["Tex"]).props == []
    assert parser.parse("Tex e Carson entrano nel saloon", ["Tex"]).setting == "interior"
    assert parser.parse("Tex guarda il canyon", ["Tex"]).setting == "desert"


def test_labelled_sets_are_big_enough_and_well_formed(parser: BeatParser) -> None:
    dev, frozen = load_labelled(DATA / "beats_dev.jsonl"), load_labelled(DATA / "beats_frozen.jsonl")
    assert len(frozen) >= 50 and len(dev) + len(frozen) >= 150
    assert not {r["id"] for r in dev} & {r["id"] for r in frozen}
    for record in dev + frozen:
        assert set(record["poses"].values()) <= set(parser.rules.poses), record["id"]
        assert set(record["props"]) <= set(parser.rules.props), record["id"]
        assert record["time"] in (None, "dawn", "day", "dusk", "night"), record["id"]


def test_rules_reach_the_target_on_the_dev_beats(parser: BeatParser) -> None:
    scores = score_beats(load_labelled(DATA / "beats_dev.jsonl"), parser.parse)
    for part, score in scores.items():
        assert score.accuracy >= 0.85, f"{part}: {score.accuracy:.3f} {score.misses[:5]}"


def test_bad_rules_and_bad_labels_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="unknown pose 'dance'"):
        BeatRules.from_data(
            {
                "poses": ["stand"],
                "props": [],
                "verbs": [{"pose": "dance", "words": ["balla"]}],
                "extras": {},
                "times": {},
                "props_words": {},
                "groups": [],
                "default_weapon": "revolver",
                "not_a_gun": [],
            },
            tmp_path / "beats.yaml",
        )
    bad = tmp_path / "beats.jsonl"
    bad.write_text('{"id": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="line 2"):
        load_labelled(bad)


def test_model_step_only_where_rules_find_no_verb(fake_llm) -> None:
    profile = load_series_profile("tex")
    fake_llm.enqueue("Tex: sit\nKit Carson: dance\n")
    action = parse_beat(
        "Tex e Carson, stanchi, davanti alla baracca", ["Tex", "Kit Carson"], profile, fake_llm
    )
    assert poses(action) == {"Tex": "sit", "Kit Carson": "stand"}  # an unknown pose is not taken
    assert action.source == "rules+model" and "AZIONE: Tex e Carson, stanchi" in fake_llm.prompts[-1]
    asked = len(fake_llm.prompts)
    parse_beat("Tex spara", ["Tex"], profile, fake_llm)
    assert len(fake_llm.prompts) == asked  # the rules read it: the model is not asked
    fake_llm.enqueue("niente di utile", "ancora niente")
    action = parse_beat("Tex, pensieroso", ["Tex"], profile, fake_llm)
    assert poses(action) == {"Tex": "stand"} and action.source == "rules"
