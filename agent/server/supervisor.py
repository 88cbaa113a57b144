"""Keeps the worker process of `nuvola serve` alive: starts it with the server, starts it again when it
dies (a crash, `kill -9`), stops it with the server. The worker resumes what the dead one left."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

WORKER_MODULE = [sys.executable, "-m", "agent.server.worker"]
MAX_DELAY = 10.0


class WorkerSupervisor:
    """A thread that watches one worker process and replaces it when it exits."""

    def __init__(
        self,
        home: Path,
        models: tuple[str, ...] = (),
        command: list[str] | None = None,
        check_every: float = 0.2,
    ):
        self.home = Path(home)
        self.models = models
        self.command = list(command or WORKER_MODULE)
        self.check_every = check_every
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="nuvola-worker-supervisor", daemon=True)

    @property
    def argv(self) -> list[str]:
        models = [arg for pair in self.models for arg in ("--model", pair)]
        return [*self.command, "--home", str(self.home), "--parent", str(os.getpid()), *models]

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.poll() is None else None

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        log = self.home / "server" / "worker.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "NUVOLA_HOME": str(self.home)}
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL
            )
        self._started = time.monotonic()

    def _watch(self) -> None:
        delay = 0.2
        while not self._stop.wait(self.check_every):
            process = self.process
            if process is None or process.poll() is None:
                continue
            lived = time.monotonic() - self._started
            delay = 0.2 if lived > 5 else min(MAX_DELAY, delay * 2)  # a crash loop backs off
            if self._stop.wait(delay):
                return
            self.restarts += 1
            self._spawn()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching and end the worker (a job it was running resumes at the next start)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
