"""Start real local servers for tests on 127.0.0.1 (free port, bounded wait, always stopped)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx


class JsonHandler(BaseHTTPRequestHandler):
    """An in-process HTTP handler for fake model servers: reads a JSON body, answers JSON, logs nothing."""

    def read_json(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def send_json(self, payload: Any, status: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_server(args: list[str], ready_path: str, port: int, timeout: float = 120.0) -> Iterator[str]:
    """Run `python -m <args>` as a server (see `local_command_server`)."""
    return local_command_server([sys.executable, "-m", *args], ready_path, port, timeout)


@contextmanager
def local_command_server(
    argv: list[str], ready_path: str, port: int, timeout: float = 120.0
) -> Iterator[str]:
    """Run `argv` until GET ready_path answers 200; yield the base URL; terminate it after."""
    log = tempfile.TemporaryFile()  # a file, not a pipe: a chatty server must never block on a full pipe
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server {argv[0]} exited: {log.read().decode(errors='replace')[-800:]}")
            try:
                if httpx.get(base + ready_path, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise TimeoutError(f"server {argv[0]} not ready after {timeout:.0f}s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
