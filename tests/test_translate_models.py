"""Translation through the model seam's real backends: a tiny random-weight MarianMT built by the test goes
through `hf:`; a loopback OpenAI-compatible completions server stands in for llama.cpp server / vLLM / Ollama
behind `openai:`; and the CLI (`nuvola translate`, `--correct`, `nuvola eval translation`) end to end."""

from __future__ import annotations

import json
import re
import threading
import zipfile
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.servers import JsonHandler
from tools.translate.italian import looks_italian

VOCAB = [
    "<pad>",
    "</s>",
    "<unk>",
    "the",
    "horse",
    "is",
    "gone",
    "where",
    "rider",
    "night",
    "eagle",
    "fort",
    "dust",
    "trail",
    "we",
    "ride",
    "now",
    "sheriff",
    "!",
    "?",
    ".",
]
SAMPLE = Path(__file__).resolve().parents[1] / "tools" / "render" / "samples" / "il_carro_bruciato.json"
DICTIONARY = {"dove": "where", "cavalli": "horses", "sono": "are", "andiamo": "let's go", "forte": "fort"}


def build_tiny_marian(folder: Path) -> Path:
    """A random-weight MarianMT of a few thousand parameters with an English-word tokenizer, saved to `folder`."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    torch.manual_seed(0)
    raw = Tokenizer(models.WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )
    config = MarianConfig(
        vocab_size=len(VOCAB),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=128,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        forced_eos_token_id=1,
    )
    MarianMTModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.real
def test_tiny_marian_translates_through_the_hf_backend(tmp_path):
    from tools.models import get_llm
    from tools.translate import Translator, prompt_style
    from tools.translate.context import TranslationUnit
    from tools.translate.glossary import Glossary

    folder = build_tiny_marian(tmp_path / "marian")
    llm = get_llm(f"hf:{folder}?max_tokens=6&temperature=0", fresh=True)
    assert prompt_style(llm) == "plain"
    out = Translator(llm, Glossary(), style="plain", max_tokens=8).translate(
        TranslationUnit("k", "Dove sono i cavalli?")
    )
    produced = out.text.split()
    assert produced and all(w in VOCAB for w in produced), out.text  # decoded from the model's own vocabulary
    assert type(llm._ensure()[1]).__name__ == "MarianMTModel"


class _Completions(JsonHandler):
    """POST /v1/completions: translates the prompt's last `Italian:` line word by word (a loopback stand-in)."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.read_json()
        type(self).requests.append({"path": self.path, "body": body})
        prompt = body["prompt"][0] if isinstance(body["prompt"], list) else body["prompt"]
        source = re.findall(r"Italian: (.*)\nEnglish:\s*$", prompt)[-1]
        text = (
            " "
            + " ".join(DICTIONARY.get(w.lower().strip("?!.,"), "ok") for w in source.split())
            + "\nItalian:"
        )
        for stop in body.get("stop") or []:
            text = text.split(stop)[0]
        self.send_json(
            {
                "id": "c1",
                "object": "text_completion",
                "model": body.get("model"),
                "created": 0,
                "choices": [{"text": text, "index": 0, "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )


@pytest.fixture
def completions_server() -> Iterator[str]:
    _Completions.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Completions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _nuvola(*args: str, catch: bool = False) -> object:
    from cli.main import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=catch)


def _one_page_plan(folder: Path) -> Path:
    """The shipped sample plan cut to its first page (a smaller render)."""
    from tools.comic_script import IssueScript

    script = IssueScript.model_validate_json(SAMPLE.read_text("utf-8"))
    script.pages = script.pages[:1]
    target = folder / "script.json"
    target.write_text(script.model_dump_json(), "utf-8")
    return target


def test_translate_cli_on_a_written_issue_through_openai(completions_server, tmp_path):
    from tools.models import clear_cache

    clear_cache()
    model = f"translator=openai:{completions_server}#mt"
    plan = _one_page_plan(tmp_path)
    result = _nuvola(
        "translate",
        str(plan),
        "--to",
        "en",
        "-m",
        model,
        "-m",
        "embedder=fake",
        "--out",
        str(tmp_path / "en"),
        "--dpi",
        "72",
    )
    assert result.exit_code == 0, result.output
    sent = _Completions.requests
    assert sent and all(r["path"] == "/v1/completions" and r["body"]["model"] == "mt" for r in sent)
    assert all("Italian:" in r["body"]["stop"] for r in sent)
    report = json.loads((tmp_path / "en" / "translation.json").read_text())
    assert report["summary"]["balloons"] == len(report["balloons"]) >= 5
    assert all(not looks_italian(b["english"]) for b in report["balloons"])
    with zipfile.ZipFile(tmp_path / "en" / "issue.cbz") as archive:
        assert "<LanguageISO>en</LanguageISO>" in archive.read("ComicInfo.xml").decode()
    # a second run takes every line that passed the checks from the translation memory
    again = _nuvola(
        "translate",
        str(plan),
        "-m",
        model,
        "-m",
        "embedder=fake",
        "--out",
        str(tmp_path / "en2"),
        "--dpi",
        "72",
    )
    assert again.exit_code == 0, again.output
    second = {
        b["key"]: b for b in json.loads((tmp_path / "en2" / "translation.json").read_text())["balloons"]
    }
    passed = [b for b in report["balloons"] if not b["problems"] and b["origin"] == "model"]
    assert passed and all(second[b["key"]]["origin"] == "memory" for b in passed)
    assert all(second[b["key"]]["english"] == b["english"] for b in passed)
    clear_cache()


def test_correction_is_reused_by_the_cli(completions_server, tmp_path):
    from tools.models import clear_cache

    clear_cache()
    stored = _nuvola(
        "-m", "embedder=fake", "translate", "--correct", "Andiamo al forte!", "To the fort, pards!"
    )
    assert stored.exit_code == 0 and "correction stored" in stored.output
    listed = _nuvola("-m", "embedder=fake", "translate", "--corrections")
    assert "To the fort, pards!" in listed.output
    from memory.store import MemoryStore
    from memory.translations import TranslationMemory
    from tools.settings import load_settings
    from tools.translate import Translator, build_glossary
    from tools.translate.context import TranslationUnit

    memory = TranslationMemory(MemoryStore.open(load_settings(models={"embedder": "fake"})))
    out = Translator(None, build_glossary(object()), memory=memory).translate(
        TranslationUnit("k", "ANDIAMO AL FORTE!")
    )
    assert (out.text, out.origin) == ("To the fort, pards!", "user")
    clear_cache()


def test_translate_cli_errors_name_the_cause(tmp_path):
    missing = _nuvola("translate", "no-such-volume", "-m", "translator=fake", catch=True)
    assert missing.exit_code != 0 and "no-such-volume" in str(missing.exception)
    assert "catalogue" in str(missing.exception)
    bad = tmp_path / "script.json"
    bad.write_text("{not json")
    broken = _nuvola("translate", str(bad), "-m", "translator=fake", "-m", "embedder=fake", catch=True)
    assert broken.exit_code != 0 and str(bad) in str(broken.exception) and "not JSON" in str(broken.exception)


def test_eval_translation_controls_on_the_real_pages(shared_dir, tmp_path):
    pages = shared_dir / "comics" / "peppercarrot-it"
    if not pages.is_dir():
        pytest.skip("the Pepper&Carrot pages are not in ../shared")
    out = tmp_path / "report.json"
    result = _nuvola(
        "eval",
        "translation",
        "--pages",
        str(pages),
        "--method",
        "copy",
        "--split",
        "frozen",
        "--json",
        str(out),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    [score] = report["scores"]
    assert score["n"] == 13 and 0 < score["chrf"] < 40  # Italian against English shares names only
    assert score["chrf_ci"][0] <= score["chrf"] <= score["chrf_ci"][1]
    assert score["balloons"] == 12 and "frozen" in result.output


def test_translate_cli_on_a_read_volume(completions_server, isolated_home, tmp_path):
    from tests.test_translate import catalogue_from_synth
    from tools.models import clear_cache
    from tools.synth import generate_volume

    clear_cache()
    catalogue_from_synth(isolated_home, generate_volume(tmp_path / "synth", pages=1, seed=2)).close()
    result = _nuvola(
        "translate", "synth", "-m", f"translator=openai:{completions_server}#mt", "-m", "embedder=fake"
    )
    assert result.exit_code == 0, result.output
    out = isolated_home / "editions" / "synth-en"
    report = json.loads((out / "translation.json").read_text())
    assert report["balloons"] and all("lettering" in b for b in report["balloons"])
    assert all(b["lettering"]["cleaned"] == "fill" for b in report["balloons"])
    with zipfile.ZipFile(out / "issue.cbz") as archive:
        assert "<LanguageISO>en</LanguageISO>" in archive.read("ComicInfo.xml").decode()
    assert (out / "issue.pdf").stat().st_size > 0 and (out / "index.html").is_file()
    clear_cache()
