"""The diffusion backend: Stable Diffusion img2img, or txt2img guided by a ControlNet-scribble, from local
folders, with the element classifiers choosing the best of N candidates per panel.

Selection minimises panel j's BCE term of the Comic Book Loss, Σ_i BCE(p̂_ij, p_ij): the candidate whose
elements agree best with the script wins. "Before" is the first candidate (what plain diffusion gives),
"after" the selected one. Nothing is downloaded (`local_files_only`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tools.concept.images import as_gray, letterbox, to_tensor
from tools.concept.loss import bce_matrix
from tools.concept.nets import ElementNet, pick_device
from tools.errors import MissingDependencyError, ModelLoadError
from tools.offline import forbid_downloads

STYLE_PROMPT = "black and white western comic panel, clean ink lines, solid blacks, hatching"
NEGATIVE_PROMPT = "colour, photo, blurry, text, letters, speech bubble, watermark"


@dataclass(frozen=True)
class DiffusionConfig:
    """A local SD pipeline folder, an optional ControlNet-scribble folder, and sampling knobs."""

    model: Path
    controlnet: Path | None = None
    steps: int = 25
    strength: float = 0.75
    guidance: float = 7.0
    size: int = 512
    candidates: int = 4
    device: str = "auto"
    prompt: str = STYLE_PROMPT
    negative: str = NEGATIVE_PROMPT


class DiffusionStylizer:
    """Loads the pipeline lazily, once; `candidates()` draws N restylings of one sketch."""

    def __init__(self, config: DiffusionConfig):
        self.config = config
        self._pipe: Any = None

    @property
    def device(self) -> torch.device:
        return pick_device(self.config.device)

    def pipeline(self) -> Any:
        if self._pipe is None:
            self._pipe = self._load()
        return self._pipe

    def _load(self) -> Any:
        model = Path(self.config.model).expanduser()
        if not (model / "model_index.json").is_file():
            raise ModelLoadError(f"{model}: not a diffusers pipeline folder (no model_index.json)")
        forbid_downloads()
        try:
            import diffusers
        except ImportError as exc:
            raise MissingDependencyError(
                "the diffusion backend needs `pip install diffusers transformers`"
            ) from exc
        dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        kwargs: dict[str, Any] = {
            "dtype": dtype,
            "local_files_only": True,
            "safety_checker": None,
            "requires_safety_checker": False,
        }
        try:
            if self.config.controlnet:
                controlnet = diffusers.ControlNetModel.from_pretrained(
                    str(Path(self.config.controlnet).expanduser()), dtype=dtype, local_files_only=True
                )
                pipe = diffusers.StableDiffusionControlNetPipeline.from_pretrained(
                    str(model), controlnet=controlnet, **kwargs
                )
            else:
                pipe = diffusers.StableDiffusionImg2ImgPipeline.from_pretrained(str(model), **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{model}: cannot load the diffusers pipeline ({exc})") from exc
        pipe.set_progress_bar_config(disable=True)
        return pipe.to(self.device)

    def condition(self, sketch: np.ndarray) -> Any:
        """The sketch as the pipeline wants it: RGB image for img2img, white-on-black for ControlNet."""
        from PIL import Image, ImageOps

        square = letterbox(as_gray(sketch), self.config.size)[0]
        image = Image.fromarray(square).convert("RGB")
        return ImageOps.invert(image) if self.config.controlnet else image

    def candidates(self, sketch: np.ndarray, prompt: str, n: int, seed: int) -> list[np.ndarray]:
        """N grey uint8 restylings (size x size) of one normalised sketch, seeds seed..seed+n-1."""
        pipe = self.pipeline()
        image = self.condition(sketch)
        out = []
        for k in range(n):
            generator = torch.Generator(device="cpu").manual_seed(seed + k)
            common = {
                "prompt": prompt,
                "negative_prompt": self.config.negative,
                "guidance_scale": self.config.guidance,
                "num_inference_steps": self.config.steps,
                "generator": generator,
            }
            if self.config.controlnet:
                result = pipe(image=image, height=self.config.size, width=self.config.size, **common)
            else:
                result = pipe(image=image, strength=self.config.strength, **common)
            out.append(as_gray(np.asarray(result.images[0])))
        return out


def prompt_for(elements: Sequence[str], extra: str | None, base: str = STYLE_PROMPT) -> str:
    parts = [base, extra or "", ", ".join(elements)]
    return ", ".join(p for p in parts if p)


@torch.no_grad()
def rank_candidates(
    classifier: ElementNet,
    candidates: Sequence[np.ndarray],
    prior_row: np.ndarray,
) -> tuple[int, list[float]]:
    """Index of the candidate with the lowest Σ_i BCE(p̂_ij, p_ij), and every candidate's BCE."""
    x = to_tensor([letterbox(c, classifier.config.size)[0] for c in candidates])
    logits = classifier.eval()(x.to(next(classifier.parameters()).device)).cpu()
    prior = torch.from_numpy(np.asarray(prior_row, np.float32)).expand_as(logits)
    bce = bce_matrix(logits, prior).sum(dim=1)
    return int(bce.argmin()), [float(v) for v in bce]
