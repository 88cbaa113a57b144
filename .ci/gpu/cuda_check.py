"""CUDA checks: the tests' tiny random-weight models, loaded explicitly on the GPU (`CHECK_DEVICE=cpu` to try
the script here). Prints PASS/FAIL a line per check and goes on after a failure."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, ".")
DEVICE = os.environ.get("CHECK_DEVICE", "cuda")
TMP = Path(tempfile.mkdtemp())


def step(name: str, check: Callable[[], str]) -> None:
    start = time.perf_counter()
    try:
        print(f"PASS {name} {time.perf_counter() - start:.2f}s {check()}")
    except Exception as exc:  # report and go on to the next check
        traceback.print_exc()
        print(f"FAIL {name}: {type(exc).__name__}: {exc}")


def qwen_vl() -> str:
    from tests.test_ocr_vlm import build_tiny_qwen2_vl
    from tools.ocr.registry import get_ocr_engine
    from tools.ocr.samples import draw_balloon
    from tools.settings import load_settings

    path = build_tiny_qwen2_vl(TMP / "vlm")
    engine = get_ocr_engine(f"vlm:hf:{path}?max_pixels=12544&max_tokens=12&device={DEVICE}", load_settings())
    result = engine.read(draw_balloon(["E' PIU' TARDI"], size=20).image)
    _, model = engine._ensure()
    return f"device={next(model.parameters()).device} confidence={result.confidence:.3f}"


def stable_diffusion() -> str:
    import numpy as np

    from tests.test_render_diffusers import build_tiny_pipeline
    from tools.render.art import ArtContext
    from tools.render.artists import get_artist
    from tools.render.samples import load_sample

    paths = build_tiny_pipeline(TMP / "sd")
    artist = get_artist(
        f"diffusers:{paths['sd']}?controlnet={paths['controlnet']}&lora={paths['lora']}&steps=2&size=64&device={DEVICE}"
    )
    panel = load_sample().panels[0]
    first, again = (artist.draw(panel, (40, 52), ArtContext(seed=3)) for _ in range(2))
    pixels = np.asarray(first.image)
    same = first.image.tobytes() == again.image.tobytes()
    return f"size={first.image.size} same_seed_same_art={same} mean={pixels.mean():.1f} std={pixels.std():.1f}"


if __name__ == "__main__":
    import torch

    print("torch", torch.__version__, "cuda available:", torch.cuda.is_available(), "checking on", DEVICE)
    step("qwen2-vl tiny", qwen_vl)
    step("stable-diffusion + controlnet + lora tiny (fp16 on cuda)", stable_diffusion)
