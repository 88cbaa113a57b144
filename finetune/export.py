"""peft LoRA -> GGUF LoRA for llama.cpp, written with the `gguf` package (no llama.cpp checkout needed).

What llama.cpp's `convert_lora_to_gguf.py` does, for the architectures Nuvola trains: tensors renamed with
gguf's own name map (`model.layers.3.self_attn.q_proj` -> `blk.3.attn_q.weight`), `.lora_a`/`.lora_b`
suffixes, A and B kept as peft stores them, B rows permuted for Llama's q/k like the base conversion does,
and the `adapter.type`/`adapter.lora.alpha` keys llama.cpp reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.atomic import atomic_path
from tools.errors import NuvolaError

PEFT_WEIGHTS = "adapter_model.safetensors"
PEFT_CONFIG = "adapter_config.json"
LORA_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<which>[AB])(?:\.[^.]+)?\.weight$")


class ExportError(NuvolaError):
    """The adapter cannot be written as a GGUF LoRA (unsupported architecture or module)."""


@dataclass(frozen=True)
class ArchInfo:
    """How one transformers architecture maps to llama.cpp's."""

    gguf_arch: str
    permute_qk: bool = False


ARCHS: dict[str, ArchInfo] = {
    "gemma3_text": ArchInfo("GEMMA3"),
    "gemma2": ArchInfo("GEMMA2"),
    "gemma": ArchInfo("GEMMA"),
    "qwen2": ArchInfo("QWEN2"),
    "qwen3": ArchInfo("QWEN3"),
    "llama": ArchInfo("LLAMA", permute_qk=True),
    "mistral": ArchInfo("LLAMA", permute_qk=True),
}


def arch_info(model_type: str) -> ArchInfo:
    info = ARCHS.get(model_type)
    if info is None:
        raise ExportError(
            f"no GGUF export for {model_type!r} adapters (supported: {', '.join(ARCHS)}); the peft adapter "
            "still works with hf: models, or convert it with llama.cpp's convert_lora_to_gguf.py"
        )
    return info


def permute_rows(weights: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's rotary row order for Llama q/k (convert_hf_to_gguf `LlamaModel.permute`), on rows."""
    rows = weights.shape[0]
    return (
        weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def read_peft(peft_dir: Path) -> tuple[dict[str, Any], dict[str, dict[str, np.ndarray]]]:
    """(adapter config, {module name: {"A": array, "B": array}}) from a saved peft adapter folder."""
    from safetensors.numpy import load_file

    config = json.loads((peft_dir / PEFT_CONFIG).read_text("utf-8"))
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for key, value in load_file(str(peft_dir / PEFT_WEIGHTS)).items():
        match = LORA_KEY.match(key)
        if match is None:
            raise ExportError(
                f"{peft_dir}: tensor {key!r} is not a LoRA A/B weight (only LoRA on linear layers exports)"
            )
        pairs.setdefault(match.group("module"), {})[match.group("which")] = value
    return config, pairs


def gguf_lora_tensors(
    pairs: dict[str, dict[str, np.ndarray]], base_config: dict[str, Any]
) -> list[tuple[str, np.ndarray]]:
    """(GGUF name, float16 array) for every LoRA A and B, renamed and permuted for llama.cpp."""
    import gguf

    info = arch_info(str(base_config.get("model_type")))
    name_map = gguf.get_tensor_name_map(
        getattr(gguf.MODEL_ARCH, info.gguf_arch), int(base_config["num_hidden_layers"])
    )
    out = []
    for module, ab in sorted(pairs.items()):
        target = name_map.get_name(module + ".weight", try_suffixes=(".weight",))
        if target is None or "token_embd" in target or target == "output.weight":
            raise ExportError(
                f"LoRA on {module!r} has no GGUF counterpart (train on attention/MLP projections)"
            )
        lora_b = ab["B"]
        if info.permute_qk and module.endswith(("q_proj", "k_proj")):
            heads = base_config["num_attention_heads"]
            if module.endswith("k_proj"):
                heads = base_config.get("num_key_value_heads") or heads
            lora_b = permute_rows(lora_b, heads)
        out += [
            (f"{target}.lora_a", ab["A"].astype(np.float16)),
            (f"{target}.lora_b", lora_b.astype(np.float16)),
        ]
    return out


def export_gguf_lora(peft_dir: Path, base_config: dict[str, Any], out_path: Path) -> Path:
    """Write the GGUF LoRA of the peft adapter in `peft_dir` for a base with `base_config` (config.json)."""
    import gguf

    config, pairs = read_peft(peft_dir)
    if config.get("rank_pattern") or config.get("alpha_pattern") or config.get("use_rslora"):
        raise ExportError(
            f"{peft_dir}: per-module ranks/alphas and rsLoRA have no GGUF LoRA form (one alpha/rank)"
        )
    tensors = gguf_lora_tensors(pairs, base_config)
    arch = gguf.MODEL_ARCH_NAMES[
        getattr(gguf.MODEL_ARCH, arch_info(str(base_config["model_type"])).gguf_arch)
    ]
    with atomic_path(out_path) as tmp:
        writer = gguf.GGUFWriter(str(tmp), arch)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
        for name, array in tensors:
            writer.add_tensor(name, array)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
    return out_path
