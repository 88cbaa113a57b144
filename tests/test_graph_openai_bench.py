"""The script benchmark runs unchanged against an `openai:` endpoint: a loopback OpenAI-compatible
completions server (answering in the writers' line formats) stands in for llama.cpp server, Ollama or vLLM."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.graph_fakes import WritingResponder
from tests.servers import JsonHandler

REPO = Path(__file__).resolve().parents[1]


class _Completions(JsonHandler):
    """POST /v1/completions: the fake writer's answer, cut at the request's stop sequences."""

    responder = WritingResponder()
    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.read_json()
        type(self).requests.append({"path": self.path, "body": body})
        prompt = body["prompt"][0] if isinstance(body["prompt"], list) else body["prompt"]
        text = self.responder(prompt)
        for stop in body.get("stop") or []:
            text = text.split(stop)[0]
        answer = {
            "id": "c1",
            "object": "text_completion",
            "model": body.get("model"),
            "created": 0,
            "choices": [{"text": text, "index": 0, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        self.send_json(answer, 200 if self.path == "/v1/completions" else 404)


@pytest.fixture
def completions_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Completions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_benchmark_runs_against_an_openai_endpoint(completions_server, tmp_path, shared_dir):
    if not (shared_dir / "corpus" / "eltec-ita").is_dir():
        pytest.skip("ELTeC corpus not present")
    models = [
        arg
        for role in ("narrator", "director", "voice")
        for arg in ("-m", f"{role}=openai:{completions_server}#writer")
    ]
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "write_issue.py"),
            "--dev-only",
            "--seeds",
            "1",
            "--pages",
            "1",
            "--out",
            str(tmp_path),
            *models,
            "-m",
            "embedder=fake",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "fallback: lines" in done.stdout and "fluency: perplexity per token" in done.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["error"] for r in report["runs"]] == [""]
    script = json.loads(Path(report["runs"][0]["script"]).read_text())
    assert set(script["models"].values()) == {f"openai:{completions_server}#writer"}
    sent = _Completions.requests
    assert sent and all(r["path"] == "/v1/completions" and r["body"]["model"] == "writer" for r in sent)
