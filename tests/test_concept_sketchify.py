"""Sketchify: finished ink panels become thin, grey, jittered sketches; each step does what it says."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tools.concept.scenes import random_scene, render_scene
from tools.concept.sketchify import (
    SketchifyConfig,
    change_thickness,
    jitter,
    line_art,
    normalize_sketch,
    simplify_strokes,
    sketchify,
)

STEPS = ["ink", "line_art", "simplified", "thickness", "jittered", "dropout", "pencil"]


def solid_square(size: int = 96) -> np.ndarray:
    image = np.full((size, size), 255, np.uint8)
    cv2.rectangle(image, (24, 24), (72, 72), 0, -1)
    return image


def ink_panel(seed: int = 0) -> np.ndarray:
    spec = random_scene(np.random.default_rng(seed), 112, 96, ["tex", "tiger"], seed=seed)
    return render_scene(spec, "ink")


def test_sketch_is_lighter_thinner_and_the_same_shape() -> None:
    panel = ink_panel()
    sketch = sketchify(panel, np.random.default_rng(0))
    assert sketch.shape == panel.shape and sketch.dtype == np.uint8
    assert (sketch < 128).mean() < 0.6 * (panel < 128).mean()  # much less ink
    assert sketch.min() > 0  # pencil grey, never full black
    assert np.percentile(sketch, 50) > 200  # mostly paper


def test_seeded_and_varied() -> None:
    panel = ink_panel(1)
    a, b = sketchify(panel, np.random.default_rng(3)), sketchify(panel, np.random.default_rng(3))
    c = sketchify(panel, np.random.default_rng(4))
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 1.0


def test_solid_blacks_become_outlines() -> None:
    image = solid_square()
    config = SketchifyConfig(
        edge_mode_p=0.0,
        drop_thin_p=0.0,
        jitter=0.0,
        affine=0.0,
        dropout=0.0,
        skeleton_p=0.0,
        thicken_p=0.0,
        margin_p=0.0,
    )
    trace: dict[str, np.ndarray] = {}
    sketchify(image, np.random.default_rng(0), config, trace=trace)
    assert list(trace) == STEPS
    lines = trace["line_art"]
    assert lines[48, 48] == 0  # the inside of the solid is paper now
    assert lines[24:27, 30:66].max() == 1  # its border is a line
    assert (trace["pencil"][40:56, 40:56] > 200).all()


def test_edge_mode_traces_the_outline_too() -> None:
    image = solid_square()
    ink = (image < 128).astype(np.float32)
    edges = line_art(image, ink, np.random.default_rng(0), SketchifyConfig(edge_mode_p=1.0), scale=0.75)
    assert edges[48, 48] == 0 and edges[20:29, 48].max() == 1


def test_simplify_drops_small_marks_and_the_border() -> None:
    lines = np.zeros((64, 64), np.float32)
    lines[30, 10:50] = 1  # a stroke
    lines[5, 5] = lines[50, 50] = 1  # specks
    lines[0, :] = 1  # a panel border
    config = SketchifyConfig(skeleton_p=0.0, margin_p=1.0)
    out = simplify_strokes(lines, np.random.default_rng(0), config, scale=0.5)
    assert out[30, 10:50].all() and out[5, 5] == 0 and out[50, 50] == 0 and out[0].sum() == 0


def test_skeleton_thins_and_thickness_thickens() -> None:
    lines = np.zeros((64, 64), np.float32)
    lines[20:28, 8:56] = 1  # an 8-px-thick bar
    thin = simplify_strokes(
        lines, np.random.default_rng(0), SketchifyConfig(skeleton_p=1.0, margin_p=0.0), 0.5
    )
    assert 0 < thin.sum() < 0.5 * lines.sum()
    thick = change_thickness(thin, np.random.default_rng(0), SketchifyConfig(thicken_p=1.0, thickness=(2, 2)))
    assert thick.sum() > thin.sum()


def test_jitter_moves_strokes_but_keeps_their_amount() -> None:
    lines = np.zeros((64, 64), np.float32)
    lines[:, 32] = 1
    moved = jitter(lines, np.random.default_rng(0), SketchifyConfig(jitter=3.0, affine=0.02), scale=0.5)
    assert not np.allclose(moved, lines)
    assert moved.sum() == pytest.approx(lines.sum(), rel=0.2)


def test_colour_input_and_bad_shapes() -> None:
    rgb = np.repeat(ink_panel(2)[..., None], 3, axis=2)
    assert sketchify(rgb, np.random.default_rng(0)).ndim == 2
    with pytest.raises(ValueError, match="grey or RGB"):
        sketchify(np.zeros((4, 4, 2), np.uint8), np.random.default_rng(0))


def test_normalize_stretches_faint_pencil_and_keeps_blank_paper_blank() -> None:
    faint = np.full((32, 32), 230, np.uint8)
    faint[16, :] = 170
    out = normalize_sketch(faint)
    assert out.dtype == np.float32 and out[0, 0] == pytest.approx(1.0) and out[16, 5] == pytest.approx(0.0)
    assert (normalize_sketch(np.full((8, 8), 200, np.uint8)) == 1).all()


def test_sketch_pair_warps_the_target_like_the_strokes() -> None:
    from tools.concept.sketchify import sketch_pair

    image = np.full((96, 96), 255, np.uint8)
    cv2.line(image, (10, 20), (86, 76), 0, 3)
    config = SketchifyConfig(jitter=4.0, affine=0.05, dropout=0.0, drop_thin_p=0.0, edge_mode_p=0.0)
    sketch, target = sketch_pair(image, np.random.default_rng(1), config)
    strokes = sketch < 200
    near_target = cv2.dilate((target < 128).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    near_original = cv2.dilate((image < 128).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert strokes.sum() > 20
    assert (strokes & near_target).sum() > 0.9 * strokes.sum()  # aligned with the warped target...
    assert (strokes & near_original).sum() < (strokes & near_target).sum()  # ...better than with the original
