"""The panel eval: matching, scores, reading order, GT loading, and scoring a folder."""

from __future__ import annotations

import json

import pytest

from evals.panels import PanelScore, evaluate_folder, iou, load_ground_truth, match_alternatives, match_boxes
from tools.errors import InputFileError
from tools.synth import generate_volume


def test_iou_and_one_to_one_matching():
    assert iou([0, 0, 10, 10], [5, 0, 10, 10]) == pytest.approx(50 / 150)
    gt = [[0, 0, 10, 10], [20, 0, 10, 10]]
    pred = [[1, 0, 10, 10], [0, 0, 9, 10], [40, 40, 5, 5]]
    assert match_boxes(gt, pred) == [(0, 1)] or match_boxes(gt, pred) == [(0, 0)]
    assert match_boxes([[0, 0, 10, 10]], [[6, 0, 10, 10]]) == []  # IoU 0.25 < 0.5
    assert match_alternatives([[[0, 0, 10, 5], [0, 0, 10, 10]]], [[0, 0, 10, 9]]) == [(0, 0)]


def test_scores_count_misses_extras_and_order():
    score = PanelScore()
    boxes = [[0, 0, 10, 10], [20, 0, 10, 10], [0, 20, 30, 10]]
    score.add_page("right.png", boxes, list(boxes))
    score.add_page("swapped.png", boxes, [boxes[1], boxes[0], boxes[2]])
    score.add_page("missed.png", boxes, [boxes[0], [50, 50, 5, 5]])
    assert (score.gt, score.predicted, score.matched) == (9, 8, 7)
    assert score.precision == pytest.approx(7 / 8) and score.recall == pytest.approx(7 / 9)
    assert score.reading_order == pytest.approx(1 / 3)
    assert score.order_pairs == pytest.approx((3 + 2) / 6)  # the third page has one match, no pair
    assert score.failed_pages == ["swapped.png", "missed.png"]


def test_ground_truth_format_is_checked(tmp_path):
    good = tmp_path / "gt.json"
    good.write_text(json.dumps({"pages": {"a/p1.png": [[1, 2, 3, 4]]}, "notes": "ignored"}))
    assert load_ground_truth(good).pages == {"a/p1.png": [[1.0, 2.0, 3.0, 4.0]]}
    bad = tmp_path / "bad.json"
    for content in ('{"page": {}}', '{"pages": {"p.png": [[1, 2, 3]]}}', "not json"):
        bad.write_text(content)
        with pytest.raises(InputFileError, match="bad.json"):
            load_ground_truth(bad)


def test_evaluate_a_generated_folder(tmp_path):
    truth = generate_volume(tmp_path, pages=2, seed=12, height=800)
    report = evaluate_folder(truth, tmp_path)
    assert report.panels.pages == 2 and report.panels.f1 >= 0.95 and report.panels.reading_order == 1.0
    assert report.balloons is not None and report.balloons.recall >= 0.9
    data = json.loads(truth.read_text())
    data["pages"]["missing.png"] = [[0, 0, 10, 10]]
    (tmp_path / "gt.json").write_text(json.dumps({"pages": data["pages"]}))
    partial = evaluate_folder(tmp_path / "gt.json", tmp_path)
    assert "missing.png" in partial.errors and partial.balloons is None
    assert partial.panels.recall < report.panels.recall
