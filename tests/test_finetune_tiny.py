"""The real chain on a tiny random Gemma 3 built by the test: train -> GGUF LoRA -> llama.cpp, numerically
checked against transformers + peft; seeded, resumable; registered adapters used by the runtime seam.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.real

TEXT = "Tex galoppa nella prateria. Carson lo segue brontolando.\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from finetune.tiny import build_tiny_gemma3

    return build_tiny_gemma3(tmp_path_factory.mktemp("tiny-gemma3"))


def _train(base: Path, work: Path, steps: int, lr: float = 5e-2, max_minutes: float | None = None):
    """(tokenizer, peft model, result) after `steps` steps on TEXT, resuming from `work` if it has checkpoints."""
    from finetune.base import load_base, resolve_base
    from finetune.data.examples import TextExample
    from finetune.encode import encode_examples
    from finetune.train import TrainConfig, train_lora, wrap_lora

    tokenizer, model = load_base(resolve_base(f"hf:{base}"))
    config = TrainConfig(
        steps=steps, batch_size=2, block_size=32, lr=lr, save_every=2, warmup_steps=0, max_minutes=max_minutes
    )
    features = encode_examples(tokenizer, [TextExample("", TEXT * 8)], config.block_size)
    model = wrap_lora(model, config)
    return tokenizer, model, train_lora(model, tokenizer, features, config, work)


def _lora_state(model) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items() if "lora_" in k}


def test_gguf_lora_in_llamacpp_matches_peft(tiny: Path, tmp_path: Path) -> None:
    import torch

    from finetune.evaluate import llamacpp_logits
    from finetune.export import export_gguf_lora

    tokenizer, model, result = _train(tiny, tmp_path / "work", steps=6)
    ids = tokenizer("Tex galoppa verso il forte.").input_ids
    with torch.no_grad():
        batch = torch.tensor([ids], device=model.device)
        adapted = model(batch).logits[0].float().cpu().numpy()
        with model.disable_adapter():
            base = model(batch).logits[0].float().cpu().numpy()
    config = json.loads((tiny / "config.json").read_text())
    gguf_lora = export_gguf_lora(result.peft_dir, config, tmp_path / "adapter.gguf")
    llama_base = llamacpp_logits(str(tiny / "tiny.gguf"), ids)
    llama_adapted = llamacpp_logits(str(tiny / "tiny.gguf"), ids, str(gguf_lora))
    shift = np.abs(adapted - base).max()
    assert shift > 0.05  # the adapter really changes the model...
    assert np.abs(llama_base - base).max() < 0.01 * shift  # ...the GGUF base is the same model...
    assert (
        np.abs((llama_adapted - llama_base) - (adapted - base)).max() < 0.05 * shift
    )  # ...and so is the LoRA


def test_training_is_seeded_and_resumes_where_it_stopped(tiny: Path, tmp_path: Path) -> None:
    _, straight, run = _train(tiny, tmp_path / "a", steps=4)
    _, _, cut = _train(tiny, tmp_path / "b", steps=4, max_minutes=1e-9)  # the budget stops it after step 1
    _, resumed, rest = _train(tiny, tmp_path / "b", steps=4)
    assert run.steps == 4 and cut.steps == 1 and cut.stopped_by_budget
    assert rest.resumed_from == 1 and rest.steps == 4 and rest.tokens == 3 * cut.tokens  # only 3 steps re-run
    a, b = _lora_state(straight), _lora_state(resumed)
    assert a.keys() == b.keys() and a
    assert all(
        np.allclose(a[k], b[k], atol=1e-6) for k in a
    )  # same seed, same data order, same optimiser state
    assert [row["step"] for row in rest.log] == [1, 2, 3, 4]  # the log carries the step before the resume


def test_finetune_command_registers_an_adapter_the_runtime_uses(
    tiny: Path, tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from cli.main import cli
    from tools.models import get_llm
    from tools.models.adapters import get_adapter, model_for_role_with_adapter
    from tools.settings import load_settings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the converted GGUF base is cached there
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXT * 30, encoding="utf-8")
    (corpus / "b.txt").write_text("Carson brontola nel deserto.\n" * 10, encoding="utf-8")
    base = f"llamacpp:{tiny / 'tiny.gguf'}"  # the GGUF loader path, as for the packaged Gemma
    args = [
        "finetune",
        "style",
        "--source",
        str(corpus),
        "--base",
        base,
        "--steps",
        "3",
        "--batch-size",
        "2",
        "--block-size",
        "32",
        "--lr",
        "0.05",
        "--name",
        "style:tex",
    ]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "registered style:tex" in result.output
    record = get_adapter(isolated_home, "style:tex")
    report = json.loads((record.directory / "report.json").read_text())
    assert report["training"]["steps"] == 3 and report["perplexity"]["ppl_after"] > 0
    assert report["dataset"]["heldout_sources"] == [str(corpus / "b.txt")]
    assert (record.directory / "loss.png").stat().st_size > 1000 and record.path_for("llamacpp").is_file()
    assert report["samples"][0]["base"] != report["samples"][0]["adapter"]

    settings = load_settings(models={"narrator": base})
    name = model_for_role_with_adapter(settings, "narrator")
    assert get_llm(name, fresh=True).lora_path == str(record.path_for("llamacpp"))
    listing = CliRunner().invoke(cli, ["adapters", "list"])
    assert "style:tex" in listing.output and "gguf, peft" in listing.output
