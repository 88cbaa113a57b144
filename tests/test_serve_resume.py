"""A write-issue job survives its worker: after `kill -9` of the worker mid-node and a server restart the
run resumes from its checkpoints, nodes that had finished are not run again and no page is duplicated; and
the server starts a killed worker again."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

from agent.runlog import read_run_log
from tests.test_serve_harness import start_server

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"


def wait_for(check, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def open_node(log: Path) -> str | None:
    """A node that started, made a model call and has not ended, once two nodes have ended."""
    events = read_run_log(log)
    ended = {e["stage"] for e in events if e["kind"] == "node_end"}
    started = [e["stage"] for e in events if e["kind"] == "node_start" and e["stage"] not in ended]
    if len(ended) < 2 or not started:
        return None
    calls = sum(e["kind"] == "llm" and e["stage"] == started[-1] for e in events)
    return started[-1] if calls else None


def test_kill_9_then_a_server_restart_resumes_the_run(tmp_path: Path) -> None:
    """The worker is killed mid-node and the server stopped at once; the next server's worker finds the job
    still marked running and resumes it."""
    home = tmp_path / "home"
    served = start_server(home, tmp_path, delay=0.05)
    try:
        with served.client() as api:
            job = api.ok("POST", "/api/issues", json={"plot": PLOT, "pages": 1, "seed": 7})["job"]
            log = home / "runs" / job["id"] / "run_log.jsonl"
            wait_for(lambda: open_node(log), "a node in progress")
            pid = api.ok("GET", "/api/health")["worker"]["pid"]
            os.kill(pid, signal.SIGKILL)
    finally:
        served.stop()
    at_kill = read_run_log(log)  # final: the worker is dead
    ended_before = {e["stage"] for e in at_kill if e["kind"] == "node_end"}
    cut_short = {e["stage"] for e in at_kill if e["kind"] == "node_start"} - ended_before
    assert len(ended_before) >= 2 and "illustrate" not in ended_before
    restarted = start_server(home, tmp_path)
    try:
        with restarted.client() as api:
            done = api.finished(job["id"])
            events = [e["kind"] for e in api.ok("GET", f"/api/jobs/{job['id']}")["events"]]
            issue = api.ok("GET", f"/api/issues/{job['id']}")
    finally:
        restarted.stop()
    assert done["status"] == "done", done
    assert events.count("interrupted") == 1 and done["attempts"] == 2
    run_log = read_run_log(log)
    assert sum(e["kind"] == "run_resume" for e in run_log) == 1
    starts = Counter(e["stage"] for e in run_log if e["kind"] == "node_start")
    assert all(starts[stage] == 1 for stage in ended_before), (ended_before, starts)
    assert all(starts[stage] == 2 for stage in cut_short), (
        cut_short,
        starts,
    )  # ran again from its start, once
    script = json.loads((home / "issues" / job["id"] / "script.json").read_text())
    assert [page["number"] for page in script["pages"]] == [1]
    assert issue["pages"] == 1 and "cbz" in issue["downloads"]


def test_the_supervisor_starts_a_killed_worker_again(tmp_path: Path) -> None:
    import sys

    from agent.server.supervisor import WorkerSupervisor

    command = [sys.executable, "-c", "import sys, time; print(sys.argv[1:], flush=True); time.sleep(60)"]
    supervisor = WorkerSupervisor(tmp_path, ("narrator=fake",), command, check_every=0.05)
    log = tmp_path / "server" / "worker.log"
    supervisor.start()
    try:
        first = wait_for(
            lambda: log.is_file() and log.read_text().count("--home") == 1 and supervisor.pid, "a worker"
        )
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: log.read_text().count("--home") == 2, "a new worker")
        assert supervisor.restarts == 1 and supervisor.pid not in (None, first)
    finally:
        supervisor.stop()
    assert supervisor.pid is None
    assert "'--parent'" in log.read_text() and "'narrator=fake'" in log.read_text()
