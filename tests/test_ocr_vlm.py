"""The multimodal-LLM engines: a tiny random-weight Qwen2-VL built and saved here, and a loopback server."""

from __future__ import annotations

import math
import threading
from http.server import HTTPServer
from pathlib import Path

import pytest

from tests.servers import JsonHandler
from tools.errors import ModelLoadError
from tools.ocr.registry import clear_engines, get_ocr_engine
from tools.ocr.samples import draw_balloon
from tools.ocr.vlm import OpenAIVisionEngine, QwenVLEngine, parse_lines
from tools.settings import load_settings

SPECIAL = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_qwen2_vl(folder: Path) -> Path:
    """A ~100k-parameter Qwen2-VL with a byte-level BPE tokenizer trained on a few lines, saved to `folder`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        PreTrainedTokenizerFast,
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(
        ["E' PIU' TARDI DI QUANTO CREDI, KIT!", "Transcribe the lettered lines verbatim."], trainer
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", chat_template=CHAT_TEMPLATE
    )
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL}
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(min_pixels=28 * 28, max_pixels=28 * 28 * 16),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE,
    )
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
        "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 1, 1]},
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    vision = {"depth": 1, "embed_dim": 32, "hidden_size": 32, "num_heads": 4, "mlp_ratio": 2}
    config = Qwen2VLConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(0)
    Qwen2VLForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    pytest.importorskip("qwen_vl_utils")
    return build_tiny_qwen2_vl(tmp_path_factory.mktemp("tiny-qwen2-vl"))


@pytest.mark.real
def test_qwen2_vl_engine_runs_end_to_end_on_the_tiny_model(tiny_vlm: Path) -> None:
    import torch

    engine = get_ocr_engine(f"vlm:hf:{tiny_vlm}?max_pixels=12544&max_tokens=12&device=cpu", load_settings())
    assert isinstance(engine, QwenVLEngine)
    crop = draw_balloon(["E' PIU' TARDI"], size=20).image
    result = engine.read(crop)
    assert 0.0 < result.confidence <= 1.0 and result.engine == f"vlm:hf:{tiny_vlm.name}"

    # The same answer straight from transformers: the engine adds only the prompt, image and parsing.
    processor, model = engine._ensure()
    inputs = engine.model_inputs(crop)
    assert inputs["pixel_values"].shape[0] > 0 and "image_grid_thw" in inputs
    prompt = processor.batch_decode(inputs["input_ids"])[0]
    assert (
        "lettered lines verbatim" in prompt
        and prompt.count("<|image_pad|>") == int(inputs["image_grid_thw"].prod()) // 4
    )
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    direct = processor.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)[0]
    assert result.texts == parse_lines(direct)
    clear_engines()


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    engine = QwenVLEngine.from_name(f"vlm:hf:{tmp_path}/absent")
    with pytest.raises(ModelLoadError, match="config.json"):
        engine.read(draw_balloon(["TEX"]).image)
    with pytest.raises(ModelLoadError, match="integers"):
        QwenVLEngine.from_name("vlm:hf:/m?max_pixels=lots")


def test_parse_lines_drops_markup() -> None:
    assert parse_lines("```\n1. E' PIU'\n- TARDI\n\"KIT!\"\n```") == ["E' PIU'", "TARDI", "KIT!"]


class _VisionServer(JsonHandler):
    requests: list[dict] = []
    answer: dict = {}

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.read_json()
        type(self).requests.append({"path": self.path, "body": body})
        self.send_json(type(self).answer)


@pytest.fixture
def vision_server():
    server = HTTPServer(("127.0.0.1", 0), _VisionServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _VisionServer.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_vision_engine_sends_the_crop_and_reads_logprobs(vision_server: str) -> None:
    _VisionServer.answer = {
        "choices": [
            {
                "message": {"role": "assistant", "content": "E' PIU'\nTARDI"},
                "logprobs": {"content": [{"token": "E", "logprob": -0.1}, {"token": "'", "logprob": -0.3}]},
            }
        ]
    }
    engine = get_ocr_engine(f"vlm:openai:{vision_server}#qwen2-vl", load_settings())
    result = engine.read(draw_balloon(["E' PIU'", "TARDI"]).image, kind="caption")
    assert result.texts == ["E' PIU'", "TARDI"]
    assert result.confidence == pytest.approx(math.exp(-0.2))
    sent = _VisionServer.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["body"]["model"] == "qwen2-vl"
    content = sent["body"]["messages"][0]["content"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "caption box" in content[0]["text"]
    clear_engines()


def test_openai_vision_engine_without_logprobs_and_with_a_bad_server(vision_server: str) -> None:
    _VisionServer.answer = {"choices": [{"message": {"content": "TEX!"}}]}
    engine = OpenAIVisionEngine(vision_server)
    assert engine.read(draw_balloon(["TEX!"]).image).confidence == pytest.approx(0.8)
    _VisionServer.answer = {"error": "no model"}
    with pytest.raises(ModelLoadError, match="no usable answer"):
        engine.read(draw_balloon(["TEX!"]).image)
    with pytest.raises(ModelLoadError, match="needs a URL"):
        OpenAIVisionEngine("localhost:8080")
