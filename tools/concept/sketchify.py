"""Sketchify: turn a finished panel into something like a user's rough concept sketch.

The style network learns sketch -> series look from pairs (sketchify(panel), panel) of the user's own
corpus, so the sketches must look like what users draw: thin grey lines, no solid blacks, no hatching,
an unsure hand. A sketch is a sequence of named steps on the page, each one random within `SketchifyConfig`:
ink mask -> line art (fills become outlines, or an edge map) -> simplified strokes (thin strokes and small
marks dropped, lines thinned to a skeleton) -> thickness change -> jitter (smooth warp + small affine) ->
stroke dropout -> pencil rendering on paper. `trace=` collects each step's image for debugging.
`sketch_pair` also warps the panel itself the same way, so training pairs stay aligned.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tools.concept.images import as_gray


@dataclass(frozen=True)
class SketchifyConfig:
    """Ranges each step draws from; lengths are in pixels at 128 px and scale with the image."""

    edge_mode_p: float = 0.35  # Canny edge map instead of "fills become outlines"
    ink_threshold: tuple[int, int] = (70, 130)  # below this grey level is ink
    drop_thin_p: float = 0.85  # drop strokes thinner than ~1 px (hatching) before tracing
    min_mark: float = 6.0  # marks with fewer pixels than this are dropped
    skeleton_p: float = 0.9  # thin lines to one pixel (then thickness applies)
    thicken_p: float = 0.3  # chance of thicker strokes
    thickness: tuple[int, int] = (1, 2)  # dilations when thickening
    jitter: float = 1.5  # amplitude of the smooth warp
    affine: float = 0.03  # scale/shift of the small affine, as a fraction
    dropout: float = 0.12  # fraction of the stroke area lost to gaps
    margin_p: float = 0.8  # erase the panel border (sketches rarely have one)
    grey: tuple[float, float] = (0.3, 0.75)  # pencil darkness
    paper_noise: float = 0.03


def sketchify(
    image: np.ndarray,
    rng: np.random.Generator,
    config: SketchifyConfig = SketchifyConfig(),
    trace: dict[str, np.ndarray] | None = None,
    warp: Warp | None = None,
) -> np.ndarray:
    """A pencil sketch (uint8, same size) of a finished grey or RGB panel.

    `warp` fixes the jitter step's geometry (see `sketch_pair`); by default it is drawn from `rng`.
    """
    gray = as_gray(image)
    scale = max(gray.shape) / 128.0
    steps = [
        ("ink", lambda _: ink_mask(gray, rng, config)),
        ("line_art", lambda ink: line_art(gray, ink, rng, config, scale)),
        ("simplified", lambda lines: simplify_strokes(lines, rng, config, scale)),
        ("thickness", lambda lines: change_thickness(lines, rng, config)),
        ("jittered", lambda lines: (warp or random_warp(lines.shape, rng, config, scale)).apply(lines, 0.0)),
        ("dropout", lambda lines: drop_strokes(lines, rng, config, scale)),
        ("pencil", lambda lines: render_pencil(lines, rng, config)),
    ]
    value: np.ndarray = gray
    for name, step in steps:
        value = step(value)
        if trace is not None:
            trace[name] = value
    return value


def sketch_pair(
    image: np.ndarray, rng: np.random.Generator, config: SketchifyConfig = SketchifyConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """(sketch, target): the target is the panel under the same jitter warp as the sketch's strokes.

    Training on aligned pairs teaches the style network the series' look at the user's own line
    positions; unaligned pairs would teach it to hedge between positions, i.e. to blur.
    """
    gray = as_gray(image)
    warp = random_warp(gray.shape, rng, config, max(gray.shape) / 128.0)
    return sketchify(gray, rng, config, warp=warp), warp.apply(gray, 255.0)


@dataclass(frozen=True)
class Warp:
    """Sampling maps of a smooth random warp plus a small affine (cv2.remap convention)."""

    map_x: np.ndarray
    map_y: np.ndarray

    def apply(self, image: np.ndarray, border: float) -> np.ndarray:
        return cv2.remap(image, self.map_x, self.map_y, cv2.INTER_LINEAR, borderValue=border)


def ink_mask(gray: np.ndarray, rng: np.random.Generator, config: SketchifyConfig) -> np.ndarray:
    """1.0 where the panel is inked, else 0.0; strokes thinner than ~1 px (hatching) may be dropped."""
    ink = (gray < rng.integers(*config.ink_threshold, endpoint=True)).astype(np.uint8)
    if rng.random() < config.drop_thin_p:
        dark = (gray < config.ink_threshold[0] * 0.6).astype(np.uint8)  # only full-strength ink survives
        ink = cv2.bitwise_and(ink, cv2.dilate(dark, np.ones((2, 2), np.uint8)))
    return ink.astype(np.float32)


def line_art(
    gray: np.ndarray, ink: np.ndarray, rng: np.random.Generator, config: SketchifyConfig, scale: float
) -> np.ndarray:
    """Solid blacks replaced by their outlines (or, sometimes, a Canny edge map of the panel)."""
    if rng.random() < config.edge_mode_p:
        blurred = cv2.GaussianBlur(((1 - ink) * 255).astype(np.uint8), (0, 0), 0.8 * scale)
        return (cv2.Canny(blurred, 60, 160) > 0).astype(np.float32)
    mask = ink.astype(np.uint8)
    r = max(2, round(2 * scale))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    solid = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    outline = cv2.morphologyEx(solid, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    strokes = cv2.bitwise_and(mask, cv2.bitwise_not(solid * 255) // 255)
    return np.maximum(strokes, outline).astype(np.float32)


def simplify_strokes(
    lines: np.ndarray, rng: np.random.Generator, config: SketchifyConfig, scale: float
) -> np.ndarray:
    """Drop tiny marks and the panel border; (usually) thin every line to a one-pixel skeleton."""
    mask = (lines > 0.5).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < config.min_mark * scale * scale
    small[0] = False
    mask[small[labels]] = 0
    if rng.random() < config.margin_p:
        m = max(2, round(3 * scale))
        mask[:m], mask[-m:], mask[:, :m], mask[:, -m:] = 0, 0, 0, 0
    if rng.random() < config.skeleton_p:
        mask = skeleton(mask)
    return mask.astype(np.float32)


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Morphological (Lantuéjoul) skeleton of a 0/1 mask, closed once to keep lines connected."""
    element = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    skel = np.zeros_like(mask)
    current = mask.copy()
    while current.any():
        eroded = cv2.erode(current, element)
        opened = cv2.dilate(eroded, element)
        skel |= current & (1 - opened)
        current = eroded
    return cv2.morphologyEx(skel, cv2.MORPH_CLOSE, np.ones((2, 2), np.uint8))


def change_thickness(lines: np.ndarray, rng: np.random.Generator, config: SketchifyConfig) -> np.ndarray:
    """Sometimes dilate the strokes a few times (the skeleton step already made them thin)."""
    if rng.random() >= config.thicken_p:
        return lines
    times = int(rng.integers(config.thickness[0], config.thickness[1], endpoint=True))
    return cv2.dilate(lines, np.ones((2, 2), np.uint8), iterations=times)


def random_warp(
    shape: tuple[int, ...], rng: np.random.Generator, config: SketchifyConfig, scale: float
) -> Warp:
    """A smooth random displacement (wobbly strokes) plus a small affine (the whole drawing a bit off)."""
    h, w = shape[:2]
    amp = config.jitter * scale
    field = [
        cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), max(h, w) / 12)
        for _ in range(2)
    ]
    field = [f / (np.abs(f).max() + 1e-6) * amp for f in field]
    s = 1 + rng.uniform(-config.affine, config.affine)
    angle = rng.uniform(-2, 2)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, s)
    m[:, 2] += rng.uniform(-config.affine, config.affine, 2) * (w, h)
    inv = cv2.invertAffineTransform(m)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2] + field[0]
    map_y = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2] + field[1]
    return Warp(map_x.astype(np.float32), map_y.astype(np.float32))


def jitter(lines: np.ndarray, rng: np.random.Generator, config: SketchifyConfig, scale: float) -> np.ndarray:
    """The jitter step on its own: `lines` under a random warp."""
    return random_warp(lines.shape, rng, config, scale).apply(lines, 0.0)


def drop_strokes(
    lines: np.ndarray, rng: np.random.Generator, config: SketchifyConfig, scale: float
) -> np.ndarray:
    """Gaps where the pencil lifted: a low-frequency noise mask removes about `dropout` of the ink."""
    if config.dropout <= 0:
        return lines
    noise = cv2.GaussianBlur(rng.normal(0, 1, lines.shape).astype(np.float32), (0, 0), 2.5 * scale)
    cut = np.quantile(noise, 1 - config.dropout)
    return lines * (noise < cut)


def normalize_sketch(sketch: np.ndarray) -> np.ndarray:
    """Contrast-stretch a grey sketch to 0..1 floats: paper -> 1, the darkest strokes -> 0.

    Training inputs and the user's sketches both go through this, so pencil pressure and scanner
    exposure do not matter to the style network.
    """
    x = as_gray(sketch).astype(np.float32) / 255.0
    paper, ink = float(np.percentile(x, 60)), float(np.percentile(x, 0.5))
    if paper - ink < 0.05:  # a blank page: nothing to stretch
        return np.ones_like(x)
    return np.clip((x - ink) / (paper - ink), 0.0, 1.0)


def render_pencil(lines: np.ndarray, rng: np.random.Generator, config: SketchifyConfig) -> np.ndarray:
    """Grey strokes on slightly uneven paper, uint8."""
    soft = cv2.GaussianBlur(np.clip(lines, 0, 1), (0, 0), 0.5)
    paper = rng.uniform(0.92, 0.99) + cv2.GaussianBlur(
        rng.normal(0, config.paper_noise, lines.shape).astype(np.float32), (0, 0), 1.0
    )
    out = paper * (1 - rng.uniform(*config.grey) * np.clip(soft * 1.2, 0, 1))
    return np.clip(out * 255, 0, 255).astype(np.uint8)
