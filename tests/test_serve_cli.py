"""`nuvola serve` as a command: the token is made and printed once, kept hashed, and works on a real server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from agent.cli.main import cli
from tests.test_serve_harness import REPO, free_port


def test_the_token_is_printed_once_and_stored_hashed(tmp_path: Path, monkeypatch) -> None:
    import uvicorn

    from agent.server.security import stored_digest, token_digest

    served: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append({"app": app, **kw}))
    first = CliRunner().invoke(cli, ["--home", str(tmp_path), "serve", "--host", "0.0.0.0", "--port", "9"],
                               catch_exceptions=False)
    assert first.exit_code == 0, first.output
    token = first.output.split("only its hash is kept): ")[1].split()[0]
    assert stored_digest(tmp_path) == token_digest(token) and token not in (tmp_path / "server" / "token.json").read_text()
    again = CliRunner().invoke(cli, ["--home", str(tmp_path), "serve", "--host", "0.0.0.0"], catch_exceptions=False)
    assert token not in again.output and "the one made before" in again.output
    local = CliRunner().invoke(cli, ["--home", str(tmp_path), "serve"], catch_exceptions=False)
    assert "access token" not in local.output and "http://localhost:8765/" in local.output
    assert [s["host"] for s in served] == ["0.0.0.0", "0.0.0.0", "127.0.0.1"]
    assert served[0]["app"].state.guard.token_required and not served[2]["app"].state.guard.token_required


def test_serve_answers_with_the_printed_token(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "300"}
    command = [sys.executable, "-m", "agent.cli.main", "--home", str(tmp_path), "serve", "--host", "0.0.0.0",
               "--port", str(port), "--no-worker"]
    child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = ""
        while "serving" not in output:
            line = child.stdout.readline()
            assert line, f"nuvola serve stopped: {output}"
            output += line
        token = output.split("only its hash is kept): ")[1].split()[0]
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"{url}/api/volumes", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, output
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.json() == []
        assert httpx.get(f"{url}/api/volumes").status_code == 401
        assert httpx.get(f"{url}/api/health").json()["worker"]["pid"] is None  # --no-worker
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)
