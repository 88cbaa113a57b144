"""Frozen evaluation splits share no text (exact or near-duplicate) with training or dev data (issue 19)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from evals.overlap import ShingleIndex, normalise

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "evals" / "data"
MEMORY_DEV = REPO / "tests" / "data" / "memory"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def memory_dev_texts() -> Iterator[tuple[str, str]]:
    dev = _yaml(MEMORY_DEV / "retrieval_it.yaml")
    yield from (("memory dev documents", d["text"]) for d in dev["documents"])
    yield from (("memory dev queries", q["q"]) for q in dev["queries"] + dev["hard_queries"])
    tucson = _yaml(MEMORY_DEV / "volume_tucson.yaml")
    for page in tucson["pages"]:
        yield from (("memory test volume", b["text"]) for panel in page["panels"] for b in panel)


def story_bank_texts() -> Iterator[tuple[str, str]]:
    from tools.synth.story import SCENES

    yield from (("page-generator story bank", beat.text) for scene in SCENES for beat in scene.beats)


def profile_texts() -> Iterator[tuple[str, str]]:
    from tools.series.profile import load_profile

    for character in load_profile("tex").characters:
        yield from ((f"profile sample lines ({character.name})", line) for line in character.sample_lines)


def acts_dev_texts() -> Iterator[tuple[str, str]]:
    path = DATA / "acts_dev.yaml"
    if path.is_file():
        yield from (("speech-act dev lines", row["text"]) for row in _yaml(path)["lines"])


def frozen_memory_texts() -> list[str]:
    frozen = _yaml(DATA / "memory_frozen.yaml")
    return [d["text"] for d in frozen["documents"]] + [q["q"] for q in frozen["queries"]]


def frozen_acts_texts() -> list[str]:
    return [row["text"] for row in _yaml(DATA / "acts_frozen.yaml")["lines"]]


def frozen_ocr_texts() -> list[str]:
    return [b["text"] for b in _yaml(DATA / "ocr_frozen_text.yaml")["balloons"]]


@pytest.fixture(scope="module")
def shared_index() -> ShingleIndex:
    """Everything a frozen text split must not repeat: dev sets, story bank, profile, test volume."""
    return ShingleIndex([*memory_dev_texts(), *story_bank_texts(), *profile_texts(), *acts_dev_texts()])


def test_the_detector_finds_copies_and_near_copies_and_nothing_else() -> None:
    index = ShingleIndex(
        [
            ("a", "Sellate i cavalli, partiamo all'alba per il forte."),
            (
                "b",
                "Lunga storia. Il vecchio entrò nel saloon e ordinò un whisky doppio al bancone, poi tacque.",
            ),
        ]
    )
    assert index.find("SELLATE I CAVALLI! PARTIAMO ALL'ALBA PER IL FORTE").how == "exact"  # type: ignore[union-attr]
    assert index.find("Sellate i cavalli, partiremo all'alba per il forte.").how == "near"  # type: ignore[union-attr]
    assert index.find("entrò nel saloon e ordinò un whisky doppio al bancone").how in {"near", "contained"}  # type: ignore[union-attr]
    assert index.find("Il fiume è in piena, passeremo più a nord.") is None
    assert index.find("Sellate i muli, torniamo stasera.") is None
    assert normalise("PERCHÉ E' COSÌ?") == normalise("perche e cosi")


def test_frozen_memory_split_is_new(shared_index: ShingleIndex) -> None:
    found = shared_index.overlaps(frozen_memory_texts())
    assert not found, "\n".join(map(str, found))


def test_frozen_memory_queries_and_documents_do_not_repeat_each_other() -> None:
    frozen = _yaml(DATA / "memory_frozen.yaml")
    docs = ShingleIndex(("frozen documents", d["text"]) for d in frozen["documents"])
    ids = [d["id"] for d in frozen["documents"]]
    assert len(ids) == len(set(ids))
    assert {r for q in frozen["queries"] for r in q["relevant"]} <= set(ids)
    found = docs.overlaps(q["q"] for q in frozen["queries"])
    assert not found, "\n".join(map(str, found))


def test_frozen_speech_act_lines_are_new(shared_index: ShingleIndex) -> None:
    found = shared_index.overlaps(frozen_acts_texts())
    assert not found, "\n".join(map(str, found))


def test_frozen_ocr_text_is_new(shared_index: ShingleIndex) -> None:
    frozen = frozen_ocr_texts()
    found = shared_index.add(("frozen memory split", t) for t in frozen_memory_texts()).overlaps(frozen)
    assert not found, "\n".join(map(str, found))


def test_default_ocr_clean_training_uses_no_evaluation_text(isolated_home: Path) -> None:
    from finetune.data.ocr_clean import evaluation_texts, ocr_clean_set

    evaluated = ShingleIndex(("OCR evaluation sets", t) for t in evaluation_texts(isolated_home))
    assert len(evaluated) > 60  # the generated set and the frozen split are both there
    dataset = ocr_clean_set(
        ["story-bank"], engine=None, seed=1, heldout=10, max_train=10_000, home=isolated_home
    )
    used = {e.completion.strip() for e in dataset.train + dataset.heldout}
    found = evaluated.overlaps(used)
    assert not found, "\n".join(map(str, found))
    # the check bites: without the exclusion the story bank brings evaluation text into training
    leaky = ocr_clean_set(
        ["story-bank"], engine=None, seed=1, heldout=10, max_train=10_000, exclude_evaluation=False
    )
    assert evaluated.overlaps({e.completion.strip() for e in leaky.train})


def test_frozen_beats_are_new() -> None:
    dev, frozen = DATA / "beats_dev.jsonl", DATA / "beats_frozen.jsonl"
    if not (dev.is_file() and frozen.is_file()):
        pytest.skip("render beat sets absent")
    index = ShingleIndex(("render dev beats", row["beat"]) for row in _jsonl(dev)).add(story_bank_texts())
    found = index.overlaps(row["beat"] for row in _jsonl(frozen))
    assert not found, "\n".join(map(str, found))


SEEN_KEYS = ("train_files", "train", "dev", "training", "dev_files", "dev_authors", "train_authors")
HELD_KEYS = ("frozen", "held_out_files", "held_out", "heldout", "test", "frozen_files", "frozen_authors")


def _split_lists(data: dict) -> list[tuple[str, list[str], list[str]]]:
    """(name, training or dev items, frozen or held-out items) for every such pair of lists in a split file."""
    lists = {k: [str(x) for x in v] for k, v in data.items() if isinstance(v, list)}
    return [
        (f"{seen} / {held}", lists[seen], lists[held])
        for seen in SEEN_KEYS
        for held in HELD_KEYS
        if seen in lists and held in lists
    ]


def split_files() -> list[Path]:
    return sorted(p for p in (REPO / "evals").rglob("*.json") if "split" in p.name)


@pytest.mark.parametrize("path", split_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_split_files_keep_frozen_items_apart(path: Path) -> None:
    pairs = _split_lists(json.loads(path.read_text("utf-8")))
    if not pairs:
        pytest.skip(f"{path.name}: no train/dev and frozen/held-out lists")
    for name, seen, held in pairs:
        assert held and not set(seen) & set(held), f"{path.name}: {name} share items"
        if all(item.endswith(".txt") for item in seen + held):  # ELTeC novels: Author-Name_Title_Year.txt
            authors = {item.split("_")[0] for item in seen}
            assert not authors & {item.split("_")[0] for item in held}, f"{path.name}: {name} share an author"


def _sketches(folder: Path, seed: int, panels: int) -> list:
    import numpy as np
    from PIL import Image

    from tools.concept.synthetic import write_concept_set

    paths = write_concept_set(folder / str(seed), panels, ("tex", "tiger"), 32, seed=seed)
    return [
        np.asarray(Image.open(p).convert("L"), dtype=np.float32) / 255
        for p in sorted(paths.sketches.glob("*.png"))
    ]


def test_frozen_concept_scenes_are_new(tmp_path: Path) -> None:
    """No frozen held-out sketch equals or nearly equals a sketch fine-tuned on or the dev held-out set."""
    import numpy as np
    from PIL import Image

    splits = _yaml(DATA / "concept_frozen.yaml")
    seen_seeds = [11 + 100 * s for s in splits["run_seeds"]] + [splits["dev_held_out_seed"]]
    assert not set(seen_seeds) & set(splits["frozen_scene_seeds"])
    assert not set(splits["corpus_seeds"].values()) & set(splits["frozen_scene_seeds"])

    def thumb(a: np.ndarray) -> np.ndarray:
        return (
            np.asarray(Image.fromarray((a * 255).astype(np.uint8)).resize((16, 16)), dtype=np.float32) / 255
        )

    seen = [thumb(a) for s in seen_seeds for a in _sketches(tmp_path, s, 4)]
    frozen = [thumb(a) for s in splits["frozen_scene_seeds"] for a in _sketches(tmp_path, s, 4)]
    closest = min(float(np.abs(f - g).mean()) for f in frozen for g in seen)
    same_scene = float(
        np.abs(frozen[0] - thumb(_sketches(tmp_path / "again", splits["frozen_scene_seeds"][0], 4)[0])).mean()
    )
    assert same_scene < 1e-6 < closest  # the measure sees a copy, and no frozen sketch is one
    assert closest > 0.01, f"a frozen concept sketch is within {closest:.4f} of a dev sketch"


@pytest.mark.parametrize("name", ["acts_dev.yaml", "acts_frozen.yaml"])
def test_speech_act_sets_use_known_acts(name: str) -> None:
    from tools.story.acts import ACT_CUES

    rows = _yaml(DATA / name)["lines"]
    assert len(rows) >= 40 and all(isinstance(r["text"], str) and r["text"].strip() for r in rows)
    assert {r["act"] for r in rows} <= {*ACT_CUES, None}
    assert sum(r["act"] is not None for r in rows) >= 10
