"""The base model a LoRA is trained on: the packaged Gemma (dequantised from its GGUF) or an `hf:` folder.

Loading the packaged GGUF through transformers takes about a minute on 2 cores (the tokenizer conversion
alone ~20 s), so the converted model is kept once in `$XDG_CACHE_HOME/nuvola/hf-bases/` (float32, ~1 GB)
and later runs load it in seconds. The weights are the GGUF's own dequantised values, so an adapter trained
here fits the quantised model that llama.cpp runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.errors import ModelLoadError, UnknownModelError
from tools.models.spec import parse_model_name


@dataclass(frozen=True)
class BaseRef:
    """Where a base model's weights are for transformers, and the GGUF llama.cpp runs for it (if any)."""

    name: str
    path: Path
    gguf_file: str | None = None
    gguf: Path | None = None

    @property
    def backend(self) -> str:
        return self.name.partition(":")[0]


def hf_cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nuvola" / "hf-bases"


def resolve_base(name: str) -> BaseRef:
    """A `llamacpp:` (packaged alias or .gguf path) or `hf:` (folder, optional `?gguf_file=`) model name."""
    spec = parse_model_name(name)
    if spec.backend == "llamacpp":
        from tools.models.llamacpp import resolve_gguf

        gguf = resolve_gguf(spec.target or "gemma3-270m")
        return BaseRef(f"llamacpp:{spec.target or 'gemma3-270m'}", gguf.parent, gguf.name, gguf)
    if spec.backend == "hf":
        path = Path(spec.target).expanduser().resolve()
        if not path.is_dir():
            raise ModelLoadError(f"{path}: base model folder not found")
        gguf_file = spec.options.get("gguf_file")
        return BaseRef(f"hf:{path}", path, gguf_file, path / gguf_file if gguf_file else None)
    raise UnknownModelError(f"cannot fine-tune {name!r}: the base must be a llamacpp: GGUF or an hf: folder")


def _converted_dir(ref: BaseRef) -> Path | None:
    if ref.gguf is None:
        return None
    stat = ref.gguf.stat()  # a rebuilt or replaced GGUF gets a new conversion
    return hf_cache_root() / f"{ref.gguf.stem}-{stat.st_size}-{stat.st_mtime_ns}"


def load_base(ref: BaseRef, dtype: Any = None) -> tuple[Any, Any]:
    """(tokenizer, model) of the base, in training mode; a GGUF base is converted once and cached."""
    from tools.models.hf import load_causal_lm

    cached = _converted_dir(ref)
    if cached is not None and (cached / "config.json").is_file():
        tokenizer, model = load_causal_lm(str(cached))
    else:
        tokenizer, model = load_causal_lm(str(ref.path), ref.gguf_file)
        if ref.gguf_file:
            drop_gguf_quantizer(model)
        if cached is not None and _save_converted(tokenizer, model, cached):
            model.name_or_path = str(cached)  # peft looks for the base's config.json there
    if dtype is not None:
        model = model.to(dtype)
    complete_special_tokens(tokenizer, model.config)
    model.train()
    return tokenizer, model


def complete_special_tokens(tokenizer: Any, config: Any) -> None:
    """BOS/EOS/PAD from the model config where the tokenizer lacks them (GGUF vocabularies may); PAD=EOS last."""
    for role in ("bos", "eos", "pad"):
        token_id = getattr(config, f"{role}_token_id", None)
        if getattr(tokenizer, f"{role}_token") is None and isinstance(token_id, int):
            setattr(tokenizer, f"{role}_token", tokenizer.convert_ids_to_tokens(token_id))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token


def _save_converted(tokenizer: Any, model: Any, target: Path) -> bool:
    """Save the dequantised model under a temporary name, then move it in (never a half-written cache)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, target)
        return True
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # no cache is fine: the next run converts again
        return False


def drop_gguf_quantizer(model: Any) -> None:
    """Forget that the weights came from a GGUF: they are plain dequantised tensors, saveable like any model."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    model.config.architectures = [type(model).__name__]


def architecture(model: Any) -> str:
    """The transformers model type of a (possibly peft-wrapped) model, e.g. `gemma3_text`."""
    config = getattr(model, "config", None)
    return str(getattr(config, "model_type", "") or "")
