"""Helpers for the `nuvola serve` tests (no tests here): a real server on a free port with its worker
process, an httpx client that speaks its CSRF rule, a server-sent events reader, generated volumes."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
FAKE_ROLES = ("narrator=fake", "director=fake", "voice=fake", "chat=fake", "embedder=fake")
WORKER = """
import sys
sys.path.insert(0, {repo!r})
from tests.graph_fakes import WritingResponder
from tools.models import get_llm

get_llm("fake").responder = WritingResponder(delay={delay})  # the scripted writers' model, in this process
from agent.server.worker import main

main(sys.argv[1:])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running server: its address, data home, app and uvicorn handle."""

    url: str
    home: Path
    app: Any
    server: Any
    thread: threading.Thread

    def client(self, **kwargs: Any) -> Api:
        return Api(self.url, **kwargs)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def start_server(
    home: Path,
    tmp: Path,
    *,
    delay: float = 0.0,
    limits: Any = None,
    host: str = "127.0.0.1",
    token_digest: str | None = None,
    worker: bool = True,
) -> Served:
    """`nuvola serve` as create_app + uvicorn in a thread; the worker runs the scripted fake writers."""
    import uvicorn

    from agent.server.app import ServeConfig, create_app
    from agent.server.security import Limits

    script = tmp / f"worker-{free_port()}.py"
    script.write_text(WORKER.format(repo=str(REPO), delay=delay))
    config = ServeConfig(
        home=home,
        host=host,
        models=FAKE_ROLES,
        limits=limits or Limits(),
        worker_command=[sys.executable, str(script)],
        token_digest=token_digest,
        poll_seconds=0.1,
        start_worker=worker,
    )
    app = create_app(config)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return Served(f"http://127.0.0.1:{port}", home, app, server, thread)


class Api(httpx.Client):
    """An httpx client that fetches the CSRF cookie first and sends it back as the header, as the page does."""

    def __init__(self, url: str, **kwargs: Any):
        super().__init__(base_url=url, timeout=60, **kwargs)

    def request(self, method: str, url: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        headers = dict(kwargs.pop("headers", None) or {})
        if method.upper() in ("POST", "PUT", "PATCH", "DELETE") and "X-CSRF-Token" not in headers:
            if not self.cookies.get("nuvola_csrf"):
                super().request("GET", "/api/csrf")  # the cookie a browser gets with the page
            headers["X-CSRF-Token"] = self.cookies.get("nuvola_csrf", "")
        return super().request(method, url, headers=headers, **kwargs)

    def ok(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        assert response.status_code < 300, f"{method} {url}: {response.status_code} {response.text}"
        return response.json()

    def events(self, job_id: str, timeout: float = 120) -> list[dict[str, Any]]:
        """Every server-sent event of a job until `end`, parsed."""
        found: list[dict[str, Any]] = []
        with self.stream("GET", f"/api/jobs/{job_id}/events", timeout=timeout) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            kind, data = "", ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and kind:
                    if kind == "end":
                        return found
                    found.append({"event": kind, **json.loads(data)})
                    kind, data = "", ""
        raise AssertionError(f"the event stream of {job_id} ended without `end`: {found}")

    def finished(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        """The job once it is done or failed (polled)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.ok("GET", f"/api/jobs/{job_id}")
            if job["status"] in ("done", "failed"):
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def synth_volume(out: Path, pages: int = 2, seed: int = 0) -> Path:
    """`nuvola synth` pages (small), packed as a CBZ; returns the CBZ (truth.json lies beside the pages)."""
    from cli.main import cli

    folder = out / f"synth-{seed}"
    args = ["synth", str(folder), "--pages", str(pages), "--seed", str(seed), "--height", "900"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    cbz = out / f"Tex prova {seed}.cbz"
    with zipfile.ZipFile(cbz, "w") as archive:
        for page in sorted(folder.glob("page_*.png")):
            archive.write(page, page.name)
    return cbz


def truth_words(cbz: Path) -> list[str]:
    """Long words lettered on the generated pages (what OCR should find)."""
    truth = json.loads((cbz.parent / f"synth-{cbz.stem.split()[-1]}" / "truth.json").read_text())
    words = [
        w.strip(".,!?;:'\"…").lower()
        for b in truth["balloons"].values()
        for x in b
        for w in x["text"].split()
    ]
    return sorted({w for w in words if len(w) >= 7 and w.isalpha()})
