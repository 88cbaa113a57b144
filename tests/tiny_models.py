"""Tiny random-weight models that tests build and save themselves (nothing is downloaded).

`build_tiny_sd(folder)` saves a Stable Diffusion img2img pipeline (UNet, VAE, CLIP text encoder, a
byte-level CLIP tokenizer, DDIM) of a few thousand parameters; `build_tiny_controlnet(folder)` a matching
ControlNet. Both load with `from_pretrained(folder, local_files_only=True)` like the real ones.
"""

from __future__ import annotations

from pathlib import Path

CROSS_DIM = 16
MAX_TOKENS = 77


def byte_level_vocab() -> dict[str, int]:
    """A CLIP vocabulary of the 256 byte symbols (and their end-of-word forms): no merges needed."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    symbols = [chr(b) for b in printable] + [chr(256 + n) for n in range(256 - len(printable))]
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in symbols + [s + "</w>" for s in symbols]:
        vocab.setdefault(symbol, len(vocab))
    return vocab


def build_tiny_sd(folder: Path, seed: int = 0) -> Path:
    """Save a tiny random StableDiffusionImg2ImgPipeline to `folder` (32-px images work)."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionImg2ImgPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    vocab = byte_level_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=MAX_TOKENS)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=CROSS_DIM,
        norm_num_groups=4,
        attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=[8, 16],
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        norm_num_groups=4,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        sample_size=16,
    )
    text = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=CROSS_DIM,
            intermediate_size=32,
            num_attention_heads=2,
            num_hidden_layers=2,
            vocab_size=len(vocab),
            max_position_embeddings=MAX_TOKENS,
            projection_dim=CROSS_DIM,
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = StableDiffusionImg2ImgPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)
    return folder


def build_tiny_controlnet(folder: Path, seed: int = 0) -> Path:
    """Save a tiny random ControlNetModel matching `build_tiny_sd`'s UNet."""
    import torch
    from diffusers import ControlNetModel

    torch.manual_seed(seed)
    controlnet = ControlNetModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        in_channels=4,
        cross_attention_dim=CROSS_DIM,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        conditioning_embedding_out_channels=(4, 8),
        norm_num_groups=4,
        attention_head_dim=2,
    )
    controlnet.save_pretrained(folder)
    return folder
