"""`nuvola finetune ... --dry-run` and `nuvola adapters ...`, driven through Click."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from tools.models.adapters import get_adapter, list_adapters


def _invoke(*args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_voice_dry_run_resolves_the_alias_and_shows_examples() -> None:
    output = _invoke("finetune", "voice", "Carson", "--source", "story-bank", "--dry-run")
    assert "voice:Kit Carson:" in output and "story-bank" in output and "KIT CARSON:" in output


def test_ocr_clean_dry_run_without_an_engine() -> None:
    output = _invoke(
        "finetune",
        "ocr-clean",
        "--engine",
        "none",
        "--eval-set",
        "none",
        "--heldout-balloons",
        "10",
        "--dry-run",
    )
    assert "ocr-clean:" in output and "10 held-out" in output and "Testo corretto" in output


def test_style_without_memory_or_source_is_one_clear_error(isolated_home: Path) -> None:
    result = CliRunner().invoke(cli, ["finetune", "style", "--dry-run"])
    assert result.exit_code != 0
    assert "no scenes or passages" in str(result.exception)


def test_adapters_add_list_disable_show_remove(tmp_path: Path, isolated_home: Path) -> None:
    gguf = tmp_path / "a.gguf"
    gguf.write_bytes(b"GGUF")
    assert "no adapters yet" in _invoke("adapters", "list")
    _invoke(
        "adapters",
        "add",
        "voice:Tex",
        "--base",
        "llamacpp:gemma3-270m",
        "--gguf",
        str(gguf),
        "--kind",
        "voice",
    )
    assert get_adapter(isolated_home, "voice:Tex").path_for("llamacpp").read_bytes() == b"GGUF"
    listing = _invoke("adapters", "list")
    assert "voice:Tex" in listing and "yes" in listing
    _invoke("adapters", "disable", "voice:Tex")
    assert get_adapter(isolated_home, "voice:Tex").enabled is False
    assert json.loads(_invoke("adapters", "show", "voice:Tex"))["name"] == "voice:Tex"
    _invoke("adapters", "remove", "voice:Tex", input="y\n")
    assert list_adapters(isolated_home) == []


def test_adapters_add_needs_a_file() -> None:
    result = CliRunner().invoke(cli, ["adapters", "add", "style:tex", "--base", "llamacpp:gemma3-270m"])
    assert result.exit_code != 0 and "--gguf and/or --peft" in result.output
