"""`nuvola write-issue` driven through Click, on the registry's fake model given a scripted responder."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.graph_fakes import WritingResponder
from tools.models import clear_cache, get_llm

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
FAKE = ["-m", "narrator=fake", "-m", "director=fake", "-m", "voice=fake"]


@pytest.fixture
def registry_fake():
    """The cached `fake` model the CLI resolves by name, answering in the writers' formats."""
    clear_cache()
    llm = get_llm("fake")
    llm.responder = WritingResponder()
    yield llm
    clear_cache()


def test_write_issue_command_writes_the_script(tmp_path, registry_fake):
    out = tmp_path / "out"
    args = [
        "write-issue",
        "--plot",
        PLOT,
        "--pages",
        "2",
        "--out",
        str(out),
        "--seed",
        "4",
        "--no-render",
        *FAKE,
    ]
    result = CliRunner().invoke(cli, args, catch_exceptions=False, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "starting run" in result.output and "narrator: outline" in result.output
    assert "title 0/1 (0%)" in result.output and "lines 0/" in result.output  # fallback rates per part
    assert "unusable model outputs" in result.output and "narrator 0/" in result.output
    assert "voices: balloons · scene 2/2" in result.output
    script = json.loads((out / "script.json").read_text())
    assert len(script["pages"]) == 2 and script["seed"] == 4 and script["models"]["voice"] == "fake"
    assert (out / "script.md").read_text().startswith("# TEX — ")
    assert registry_fake.prompts, "the CLI did not use the configured model"


def test_write_issue_interactive_reads_the_answer(tmp_path, registry_fake):
    args = ["write-issue", "--plot", PLOT, "--pages", "1", "--out", str(tmp_path), "--interactive", *FAKE]
    result = CliRunner().invoke(cli, args, input="\n", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Invio per approvarla" in result.output and (tmp_path / "script.json").is_file()


def test_write_issue_needs_a_plot_or_a_run_to_resume():
    result = CliRunner().invoke(cli, ["write-issue", "--pages", "2"])
    assert result.exit_code == 2 and "--plot" in result.output


def test_resume_of_an_unknown_run_is_a_clear_error():
    from agent.runs import RunNotFoundError

    result = CliRunner().invoke(cli, ["write-issue", "--resume", "nope"])
    assert isinstance(result.exception, RunNotFoundError) and "no run 'nope'" in str(result.exception)
