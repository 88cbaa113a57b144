"""Tiny random-weight Gemma 3 models, built locally (no download): the whole train -> export -> llama.cpp
chain runs on them in seconds, in tests and in `benchmarks/finetune.py`.

`build_tiny_gemma3(folder)` saves a transformers model + tokenizer there and writes `tiny.gguf`, the same
weights as a llama.cpp GGUF (what convert_hf_to_gguf.py writes for Gemma 3: norms +1, tied output, an
SPM vocabulary with byte fallback).
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

SPECIALS = ("<pad>", "<eos>", "<bos>", "<unk>")
BYTE_TOKENS = tuple(f"<0x{b:02X}>" for b in range(256))
WORD_PIECES = tuple("▁" + c for c in string.ascii_letters) + tuple(
    string.ascii_letters + string.digits + ".,;:!?'-"
)
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_BYTE = 1, 2, 3, 6


def tiny_vocab() -> list[str]:
    """Specials, the 256 byte tokens, then letters with and without the SPM word-start mark."""
    return [*SPECIALS, *BYTE_TOKENS, "▁", *WORD_PIECES]


def tiny_tokenizer(vocab: list[str]) -> Any:
    """A byte-fallback BPE tokenizer over `vocab` (no merges) that adds BOS, as Gemma's does."""
    from tokenizers import Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE
    from transformers import PreTrainedTokenizerFast

    ids = {token: i for i, token in enumerate(vocab)}
    core = Tokenizer(BPE(vocab=ids, merges=[], unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    core.normalizer = normalizers.Replace(" ", "▁")
    core.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    core.post_processor = processors.TemplateProcessing(
        single="<bos> $A", special_tokens=[("<bos>", ids["<bos>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>"
    )


def tiny_config(vocab_size: int, layers: int = 2) -> Any:
    from transformers import Gemma3TextConfig

    return Gemma3TextConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        query_pre_attn_scalar=32,
        sliding_window=512,
        max_position_embeddings=1024,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    )


def build_tiny_gemma3(folder: Path, seed: int = 0, layers: int = 2) -> Path:
    """Save a tiny random Gemma 3 (transformers folder) and its `tiny.gguf`; returns the folder."""
    import torch
    from transformers import Gemma3ForCausalLM

    torch.manual_seed(seed)
    vocab = tiny_vocab()
    model = Gemma3ForCausalLM(tiny_config(len(vocab), layers)).eval()
    with torch.no_grad():  # random norms, so a wrong +1 shift in the GGUF would show
        for name, param in model.named_parameters():
            if name.endswith("norm.weight"):
                param.normal_(0.0, 0.1)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tiny_tokenizer(vocab).save_pretrained(folder)
    write_gemma3_gguf(model, vocab, folder / "tiny.gguf")
    return folder


def _gguf_tensors(model: Any) -> list[tuple[str, Any]]:
    import gguf

    n_layers = model.config.num_hidden_layers
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.GEMMA3, n_layers)
    tensors = []
    for name, param in model.state_dict().items():
        if name == "lm_head.weight":
            continue  # tied to the embeddings
        data = param.detach().float().numpy()
        if name.endswith("norm.weight"):
            data = data + 1.0  # Gemma3RMSNorm multiplies by (1 + weight); llama.cpp by the stored weight
        target = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        if target is None:
            raise ValueError(f"no GGUF name for {name}")
        tensors.append((target, data))
    return tensors


def write_gemma3_gguf(model: Any, vocab: list[str], path: Path) -> Path:
    """The model's weights (float32) and an SPM vocabulary as a llama.cpp Gemma 3 GGUF."""
    import gguf

    cfg = model.config
    writer = gguf.GGUFWriter(str(path), "gemma3")
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(cfg.num_attention_heads)
    writer.add_head_count_kv(cfg.num_key_value_heads)
    writer.add_key_length(cfg.head_dim)
    writer.add_value_length(cfg.head_dim)
    writer.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    writer.add_rope_freq_base(cfg.rope_parameters["full_attention"]["rope_theta"])
    writer.add_sliding_window(cfg.sliding_window)
    _add_vocab(writer, vocab)
    for name, data in _gguf_tensors(model):
        writer.add_tensor(name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _token_type(token: str) -> int:
    if token == "<unk>":
        return TOKEN_UNKNOWN
    if token in SPECIALS:
        return TOKEN_CONTROL
    return TOKEN_BYTE if token in BYTE_TOKENS else TOKEN_NORMAL


def _add_vocab(writer: Any, vocab: list[str]) -> None:
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(vocab)
    writer.add_token_scores([-float(i) for i in range(len(vocab))])
    writer.add_token_types([_token_type(t) for t in vocab])
    writer.add_bos_token_id(vocab.index("<bos>"))
    writer.add_eos_token_id(vocab.index("<eos>"))
    writer.add_unk_token_id(vocab.index("<unk>"))
    writer.add_pad_token_id(vocab.index("<pad>"))
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(False)
