"""The diffusers artist: Stable Diffusion 1.5 or SDXL from a local folder, optionally guided by a ControlNet
(lineart or scribble) fed with the storyboard sketch, and optionally with a LoRA.

    diffusers:/models/sd15
    diffusers:/models/sd15?controlnet=/models/cn-lineart&control=lineart&lora=/adapters/tex&steps=25&size=512

Prompts come from the panel (shot, description, setting, light) and the character sheets of its cast. Each
panel's seed is fixed by its main character, so a character is drawn from the same noise in every panel.
Nothing is downloaded: every folder must already hold the weights (`local_files_only`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from tools.comic_script import PanelSpec
from tools.errors import MissingDependencyError, ModelLoadError
from tools.models.spec import ModelSpec
from tools.offline import forbid_downloads
from tools.render.art import ArtContext, PanelArt
from tools.render.storyboard import StoryboardArtist, estimate_figures, stage_for
from tools.render.user_art import load_user_art
from tools.series.profile import canonical_name, profile_character

log = logging.getLogger(__name__)

SHOT_PROMPTS = {
    "campo lunghissimo": "extreme long shot, vast landscape, tiny figures",
    "campo lungo": "long shot, figures in the setting",
    "figura intera": "full body shot",
    "piano americano": "cowboy shot from the knees up",
    "mezza figura": "medium shot from the waist up",
    "primo piano": "close-up of head and shoulders",
    "primissimo piano": "extreme close-up of a face",
    "dettaglio": "detail shot of an object",
}
LIGHT_PROMPTS = {"day": "daylight", "night": "night", "dawn": "dawn", "dusk": "dusk", "interior": "interior"}
STYLE = "black and white western comic, ink drawing, hatching"
NEGATIVE = "colour, photo, blurry, text, letters, speech bubble, watermark, signature, deformed hands"


@dataclass(frozen=True)
class DiffusionOptions:
    """What a `diffusers:` name can set after `?`."""

    controlnet: str | None = None
    control: str = "lineart"  # or "scribble": how the storyboard sketch is fed to the ControlNet
    control_scale: float = 0.8
    lora: str | None = None
    lora_scale: float = 0.8
    steps: int = 25
    guidance: float = 7.0
    size: int | None = None  # long side in pixels (default 512, SDXL 1024)
    device: str | None = None
    threads: int | None = None  # CPU threads for torch (1 is fastest for tiny models on a busy machine)

    @classmethod
    def from_options(cls, options: dict[str, str]) -> DiffusionOptions:
        known = set(cls.__dataclass_fields__)
        unknown = set(options) - known
        if unknown:
            raise ModelLoadError(f"unknown diffusers option(s) {sorted(unknown)}; known: {sorted(known)}")
        typed: dict[str, Any] = {}
        for key, value in options.items():
            kind = cls.__dataclass_fields__[key].type
            typed[key] = int(value) if "int" in str(kind) else float(value) if "float" in str(kind) else value
        if typed.get("control", "lineart") not in ("lineart", "scribble"):
            raise ModelLoadError(f"control must be lineart or scribble, got {typed['control']!r}")
        return cls(**typed)


def character_seed(name: str, seed: int) -> int:
    """The fixed seed of a character within an issue: the same in every panel it leads."""
    return int.from_bytes(hashlib.sha256(f"{seed}|{name.lower()}".encode()).digest()[:4], "big") & 0x7FFFFFFF


def lead_of(panel: PanelSpec, profile: Any) -> str | None:
    """The panel's main character: its first figure, else its first speaker."""
    for name in [f.name for f in panel.figures] + [b.speaker for b in panel.balloons if b.speaker]:
        return canonical_name(name, profile)
    return None


def describe_character(name: str, context: ArtContext) -> str:
    """A few words from the character sheet: memory's sheet when there is a store, else the series profile."""
    character: Any = None
    if context.character_sheet is not None and context.profile is not None:
        try:
            character = context.character_sheet(context.profile, name)
        except Exception as exc:  # the memory is optional here: fall back to the profile  # noqa: BLE001
            log.warning("character sheet of %s unavailable: %s", name, exc)
    character = character or profile_character(context.profile, name)
    if character is None:
        return name
    role = str(getattr(character, "role", "") or "").split(",")[0].strip()
    traits = [str(t) for t in (getattr(character, "traits", None) or [])[:1]]
    words = ", ".join(b for b in [role, *traits] if b)
    return f"{name} ({words})" if words else name


POSE_PROMPTS = {
    "stand": "standing",
    "walk": "walking",
    "run": "running",
    "ride": "riding a horse",
    "aim": "aiming a gun",
    "shoot": "firing a gun, muzzle flash",
    "punch": "throwing a punch",
    "fall": "falling backwards",
    "lie": "lying on the ground",
    "sit": "sitting",
    "crouch": "crouching",
    "point": "pointing",
    "talk": "talking, gesturing",
}
PROP_PROMPTS = {
    "horse": "horses",
    "rifle": "winchester rifle",
    "revolver": "colt revolver",
    "rope": "lasso rope",
    "bottle": "whisky bottle",
    "cards": "playing cards",
    "torch": "burning torch",
    "campfire": "campfire",
    "wagon": "covered wagon",
}
LIGHT_PROMPTS["lamp"] = "interior lit by an oil lamp"


def action_words(panel: PanelSpec, context: ArtContext) -> tuple[str, str, str]:
    """The staged beat in prompt words: who does what, which props, under which light (the storyboard's plan)."""
    stage = stage_for(panel, context)
    doings = [
        f"{describe_character(a.name, context) if a.label else a.name} {POSE_PROMPTS.get(a.pose, a.pose)}"
        for a in stage.actors
    ]
    props = [PROP_PROMPTS[p] for p in stage.action.props if p in PROP_PROMPTS]
    return "; ".join(doings), ", ".join(props), LIGHT_PROMPTS.get(stage.light, "")


def prompt_for(panel: PanelSpec, context: ArtContext) -> str:
    """The text prompt of a panel: framing, what happens, who does what (with their sheets), props, where, light,
    style — the same staging the storyboard draws."""
    doings, props, light = action_words(panel, context)
    parts = [SHOT_PROMPTS.get(panel.shot, ""), panel.description, doings, props, panel.setting, light, STYLE]
    return ", ".join(p for p in parts if p)


def generation_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """The panel's aspect at `long_side` pixels, both sides multiples of 8."""
    w, h = size
    scale = long_side / max(w, h)
    return max(64, round(w * scale / 8) * 8), max(64, round(h * scale / 8) * 8)


class DiffusersArtist:
    """Stable Diffusion panels from a local pipeline folder; loads on first use, once."""

    name = "diffusers"

    def __init__(self, path: Path, options: DiffusionOptions):
        self.path, self.options = path, options
        self._pipe: Any = None
        self._sdxl = False

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> DiffusersArtist:
        return cls(Path(spec.target).expanduser(), DiffusionOptions.from_options(spec.options))

    def prepare(self, context: ArtContext) -> None:
        self.pipeline()

    def pipeline(self) -> Any:
        if self._pipe is None:
            self._pipe = self._load()
        return self._pipe

    def _load(self) -> Any:
        index = self.path / "model_index.json"
        if not index.is_file():
            raise ModelLoadError(f"{self.path}: not a diffusers pipeline folder (no model_index.json)")
        forbid_downloads()
        try:
            import diffusers
            import torch
        except ImportError as exc:
            raise MissingDependencyError(
                f"the diffusers artist needs torch and diffusers: pip install diffusers ({exc})"
            ) from exc
        if self.options.threads:
            torch.set_num_threads(self.options.threads)
        self._sdxl = "XL" in json.loads(index.read_text("utf-8")).get("_class_name", "")
        device = self.options.device or ("cuda" if torch.cuda.is_available() else "cpu")
        kwargs: dict[str, Any] = {
            "torch_dtype": torch.float16 if device.startswith("cuda") else torch.float32,
            "local_files_only": True,
        }
        if not self._sdxl:
            kwargs.update(safety_checker=None, requires_safety_checker=False)
        try:
            if self.options.controlnet:
                controlnet = diffusers.ControlNetModel.from_pretrained(
                    str(Path(self.options.controlnet).expanduser()),
                    torch_dtype=kwargs["torch_dtype"],
                    local_files_only=True,
                )
                kwargs["controlnet"] = controlnet
                cls: Any = (
                    diffusers.StableDiffusionXLControlNetPipeline
                    if self._sdxl
                    else diffusers.StableDiffusionControlNetPipeline
                )
            else:
                cls = diffusers.StableDiffusionXLPipeline if self._sdxl else diffusers.StableDiffusionPipeline
            pipe = cls.from_pretrained(str(self.path), **kwargs)
            if self.options.lora:
                self._load_lora(pipe)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{self.path}: cannot load the diffusers pipeline: {exc}") from exc
        pipe.set_progress_bar_config(disable=True)
        return pipe.to(device)

    def _load_lora(self, pipe: Any) -> None:
        lora = Path(str(self.options.lora)).expanduser()
        if lora.is_file():
            pipe.load_lora_weights(str(lora.parent), weight_name=lora.name, adapter_name="nuvola")
        elif lora.is_dir():
            pipe.load_lora_weights(str(lora), adapter_name="nuvola")
        else:
            raise ModelLoadError(f"{lora}: LoRA not found (a folder or a .safetensors file)")
        pipe.set_adapters(["nuvola"], adapter_weights=[self.options.lora_scale])

    def control_image(self, panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> Image.Image:
        """The panel's sketch (the user's art, else the storyboard) as a ControlNet condition: white lines on
        black, thicker for scribble."""
        if panel.art_path:
            sketch = load_user_art(panel.art_path, size)
        else:
            sketch = StoryboardArtist().draw(panel, size, context).image
        if self.options.control == "scribble":
            from PIL import ImageFilter

            sketch = sketch.filter(ImageFilter.MinFilter(3))
        return ImageOps.invert(sketch).convert("RGB")

    def draw(self, panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> PanelArt:
        import torch

        pipe = self.pipeline()
        long_side = self.options.size or (1024 if self._sdxl else 512)
        width, height = generation_size(size, long_side)
        lead = lead_of(panel, context.profile)
        seed = character_seed(lead or panel.id, context.seed)
        call: dict[str, Any] = {
            "prompt": prompt_for(panel, context),
            "negative_prompt": NEGATIVE,
            "width": width,
            "height": height,
            "num_inference_steps": self.options.steps,
            "guidance_scale": self.options.guidance,
            "generator": torch.Generator(device="cpu").manual_seed(seed),
        }
        if self.options.controlnet:
            call["image"] = self.control_image(panel, (width, height), context)
            call["controlnet_conditioning_scale"] = self.options.control_scale
        result = pipe(**call).images[0]
        ink = ImageOps.autocontrast(result.convert("L").resize(size, Image.Resampling.LANCZOS), cutoff=1)
        return PanelArt(
            image=ink,
            figures=estimate_figures(panel, size, context.profile, context),
            plan=stage_for(panel, context).plan(),
            source=f"diffusers:{self.path.name} seed={seed}" + (f" lead={lead}" if lead else ""),
        )
