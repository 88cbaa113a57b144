"""Generated element scenes, the element-labels file, priors from scripts, labels from the catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tools.comic_script import Figure, PanelSpec
from tools.concept.images import letterbox, load_gray, unbox
from tools.concept.labels import (
    ElementLabels,
    element_in_panel,
    labels_from_catalogue,
    labels_from_references,
    load_labels,
    load_priors,
    save_labels,
)
from tools.concept.scenes import random_scene, render_scene
from tools.concept.synthetic import write_concept_set, write_corpus
from tools.errors import InputFileError


def test_scene_renders_in_ink_and_pencil_with_its_elements() -> None:
    spec = random_scene(np.random.default_rng(0), 120, 96, ["tex", "fort"], extras=1)
    assert spec.elements == ["fort", "tex"]
    ink, pencil = render_scene(spec, "ink"), render_scene(spec, "pencil")
    assert ink.shape == pencil.shape == (96, 120)
    assert ink.min() == 0 and pencil.min() > 0  # solid blacks only in ink
    assert (ink < 100).mean() > 2 * (pencil < 100).mean()
    with pytest.raises(ValueError, match="unknown style"):
        render_scene(spec, "watercolour")


def test_elements_change_the_drawing() -> None:
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    with_tex = render_scene(random_scene(rng_a, 96, 96, ["tex"], extras=0, seed=1), "ink")
    with_tiger = render_scene(random_scene(rng_b, 96, 96, ["tiger"], extras=0, seed=1), "ink")
    assert np.abs(with_tex.astype(int) - with_tiger.astype(int)).sum() > 0


def test_corpus_pages_crops_labels_and_truth(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", pages=2, elements=["tex", "tiger"], panel_size=48, seed=3)
    labels = load_labels(corpus.labels)
    assert labels.elements == ["tex", "tiger"] and len(labels.panels) == 12
    truth = json.loads(corpus.truth.read_text())
    boxes = truth["pages"]["page_001.png"]
    assert len(boxes) == 6 and all(len(b) == 4 for b in boxes)
    page = load_gray(corpus.pages[0])
    x, y, w, h = boxes[0]
    assert np.array_equal(
        page[y : y + h, x : x + w], load_gray(corpus.labels.parent / labels.panels[0].image)
    )
    assert truth["elements"]["page_001.png"][0] == labels.panels[0].elements


def test_concept_set_script_and_yaml_give_the_same_prior(tmp_path: Path) -> None:
    concept = write_concept_set(tmp_path / "k", panels=7, elements=["tex", "tiger", "fort"], size=48, seed=2)
    from_yaml, skipped_yaml = load_priors(concept.elements, concept.sketches, ["tex", "tiger", "fort"])
    from_script, skipped_script = load_priors(concept.script, concept.sketches, ["tex", "tiger", "fort"])
    assert skipped_yaml == skipped_script == []
    assert np.array_equal(from_yaml.matrix(), from_script.matrix())
    assert [p.name for p in from_script.panels][:3] == ["p1-t1-1", "p1-t1-2", "p1-t2-1"]
    assert all(Path(p.image).is_file() for p in from_script.panels)


def test_priors_follow_the_classifier_order_and_skip_missing_sketches(tmp_path: Path) -> None:
    concept = write_concept_set(tmp_path / "k", panels=4, size=48, seed=4)
    (concept.sketches / "p1-t2-1.png").unlink()
    labels, skipped = load_priors(concept.elements, concept.sketches, ["tiger", "tex"])
    assert labels.elements == ["tiger", "tex"] and skipped == ["p1-t2-1.png"] and len(labels.panels) == 3
    with pytest.raises(InputFileError, match="not known to the classifier"):
        load_priors(concept.elements, concept.sketches, ["tex"])


def test_script_matching_by_figure_name_and_setting_word() -> None:
    panel = PanelSpec(id="p1-t1-1", figures=[Figure(name="Tiger Jack")], setting="Fort Apache, cortile")
    assert element_in_panel("tiger", panel) and element_in_panel("fort", panel)
    assert not element_in_panel("tex", panel)


def test_labels_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("elements: [tex]\npanels:\n  - image: a.png\n    elements: [kit]\n")
    with pytest.raises(InputFileError, match=r"bad\.yaml.*unknown elements \['kit'\]"):
        load_labels(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("elements: [tex\n")
    with pytest.raises(InputFileError, match="not valid YAML"):
        load_labels(broken)
    with pytest.raises(InputFileError, match="cannot read"):
        load_labels(tmp_path / "absent.yaml")


def test_labels_round_trip_and_sketch_alias(tmp_path: Path) -> None:
    labels = ElementLabels.model_validate(
        {
            "elements": ["tex", "fort"],
            "panels": [
                {"sketch": "a.png", "elements": ["fort"]},
                {"image": "b.png", "elements": ["tex", "fort"]},
            ],
        }
    )
    path = save_labels(labels, tmp_path / "l.yaml")
    again = load_labels(path)
    assert again.panels[0].image == "a.png" and again.matrix().tolist() == [[0, 1], [1, 1]]


def test_reference_drawings_make_positives_and_negatives(tmp_path: Path) -> None:
    from tools.concept.images import save_gray

    for folder, n in (("tex", 2), ("tiger", 1), ("none", 1)):
        for k in range(n):
            save_gray(tmp_path / folder / f"{k}.png", np.full((8, 8), 255, np.uint8))
    labels = labels_from_references(tmp_path)
    assert labels.elements == ["tex", "tiger"]
    assert sorted(labels.matrix().sum(axis=0).tolist()) == [1, 2] and len(labels.panels) == 4
    with pytest.raises(InputFileError, match="no element sub-folders"):
        labels_from_references(tmp_path / "none")


def test_catalogue_panels_are_labelled_by_their_speakers(tmp_path: Path) -> None:
    from tools.concept.images import save_gray
    from tools.ingest.catalogue import BalloonRecord, Catalogue, PageRecord, PanelRecord

    home = tmp_path / "home"
    page = np.full((100, 200), 255, np.uint8)
    page[10:90, 110:190] = 0
    save_gray(home / "pages" / "p.png", page)
    cat = Catalogue(home / "catalogue.sqlite")
    vol = cat.ensure_volume("tex-001")
    cat.add_page(
        PageRecord("p", vol.id, 0, "p.png", "pages/p.png", 200, 100),
        [PanelRecord("p:1", "p", 0, 10, 10, 80, 80, []), PanelRecord("p:2", "p", 1, 110, 10, 80, 80, [])],
        [
            BalloonRecord("p:b1", "p", "p:1", 0, "speech", 12, 12, 20, 10, speaker="Tex Willer"),
            BalloonRecord("p:b2", "p", "p:2", 1, "speech", 112, 12, 20, 10, speaker="Tiger"),
            BalloonRecord("p:b3", "p", "p:2", 2, "caption", 150, 12, 20, 10),
        ],
    )
    labels = labels_from_catalogue(
        cat, "tex-001", home, tmp_path / "crops", aliases={"Tex Willer": "tex", "Tiger": "tiger"}
    )
    assert labels.elements == ["tex", "tiger"]
    assert [p.elements for p in labels.panels] == [["tex"], ["tiger"]]
    assert load_gray(labels.panels[1].image).max() == 0  # the crop of the black panel
    only_tex = labels_from_catalogue(
        cat, "tex-001", home, tmp_path / "crops", elements=["tex"], aliases={"Tex Willer": "tex"}
    )
    assert [p.elements for p in only_tex.panels] == [["tex"], []]


def test_letterbox_round_trip_and_bad_images(tmp_path: Path) -> None:
    image = np.zeros((30, 60), np.uint8)
    square, box = letterbox(image, 32)
    assert square.shape == (32, 32) and square[0, 0] == 255 and unbox(square, box).shape == (16, 32)
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(InputFileError, match="not a readable image"):
        load_gray(tmp_path / "junk.png")
