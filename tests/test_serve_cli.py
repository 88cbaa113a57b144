"""`nuvola serve` as a command: the token is made and printed once, kept hashed, and works on a real server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from tests.test_serve_harness import REPO


def test_the_token_is_printed_once_and_stored_hashed(tmp_path: Path, monkeypatch) -> None:
    import uvicorn

    from agent.server.security import stored_digest, token_digest

    served: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append({"app": app, **kw}))
    first = CliRunner().invoke(
        cli, ["--home", str(tmp_path), "serve", "--host", "0.0.0.0", "--port", "9"], catch_exceptions=False
    )
    assert first.exit_code == 0, first.output
    token = first.output.split("only its hash is kept): ")[1].split()[0]
    assert (
        stored_digest(tmp_path) == token_digest(token)
        and token not in (tmp_path / "server" / "token.json").read_text()
    )
    again = CliRunner().invoke(
        cli, ["--home", str(tmp_path), "serve", "--host", "0.0.0.0"], catch_exceptions=False
    )
    assert token not in again.output and "the one made before" in again.output
    local = CliRunner().invoke(cli, ["--home", str(tmp_path), "serve"], catch_exceptions=False)
    assert "access token" not in local.output and "http://localhost:8765/" in local.output
    assert [s["host"] for s in served] == ["0.0.0.0", "0.0.0.0", "127.0.0.1"]
    assert served[0]["app"].state.guard.token_required and not served[2]["app"].state.guard.token_required


def test_the_docker_files_agree_with_the_makefile_and_the_settings(monkeypatch) -> None:
    """Docker cannot run here: check what can be checked. The image installs the Makefile's Debian packages
    (chromium aside) and torch pins, ships the page's files as package data, starts a valid `nuvola serve`,
    and compose's environment gives the settings a Chroma server."""
    import fnmatch
    import re
    import shlex
    import tomllib

    import yaml

    from agent.server.app import STATIC
    from tools.settings import load_settings

    dockerfile = (REPO / "Dockerfile").read_text()
    makefile = (REPO / "Makefile").read_text()
    apt = re.search(r"APT_PACKAGES := (.*?)\n(?!\s)", makefile, re.S).group(1).replace("\\\n", " ").split()
    assert [p for p in apt if p != "chromium" and p not in dockerfile.split()] == []
    assert re.search(r"torch==[\d.]+ torchvision==[\d.]+", makefile).group(0) in dockerfile
    cmake = re.search(r"CMAKE_ARGS \?= (.*?)\n(?!\s)", makefile, re.S).group(1).replace("\\\n", " ").split()
    assert [flag for flag in cmake if flag not in dockerfile] == []
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    assert all(any(fnmatch.fnmatch(f.name, g) for g in globs) for f in STATIC.iterdir())
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
    assert command[:2] == ["nuvola", "serve"]
    serve = cli.commands["serve"].make_context("serve", command[2:])
    assert serve.params["host"] == "0.0.0.0" and serve.params["port"] == 8765

    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    app, chroma = compose["services"]["app"], compose["services"]["chroma"]
    for key, value in app["environment"].items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.memory.mode == "server" and settings.memory.host == "chroma"
    assert f"--port {settings.memory.port}" in " ".join(chroma["command"]) and str(settings.home) == "/data"
    assert shlex.join(chroma["command"]).startswith("chroma run --path /chroma")
    assert app["ports"] == ["127.0.0.1:8765:8765"] and "ports" not in chroma
