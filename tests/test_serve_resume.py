"""A write-issue job survives its worker: after `kill -9` of the worker mid-node the run resumes from its
checkpoints, nodes that had finished are not run again and no page is duplicated."""

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


def test_kill_9_of_the_worker_resumes_the_run(tmp_path: Path) -> None:
    """The server starts a new worker, which finds the job cut short and resumes it. (A server restart
    takes the same path: the new server's worker finds the job still marked running.)"""
    home = tmp_path / "home"
    served = start_server(home, tmp_path, delay=0.05)
    try:
        with served.client() as api:
            job = api.ok("POST", "/api/issues", json={"plot": PLOT, "pages": 1, "seed": 7})["job"]
            log = home / "runs" / job["id"] / "run_log.jsonl"
            killed_in = wait_for(lambda: open_node(log), "a node in progress")
            pid = api.ok("GET", "/api/health")["worker"]["pid"]
            os.kill(pid, signal.SIGKILL)
            ended_before = {e["stage"] for e in read_run_log(log) if e["kind"] == "node_end"}
            done = api.finished(job["id"])
            health = api.ok("GET", "/api/health")["worker"]
            events = [e["kind"] for e in api.ok("GET", f"/api/jobs/{job['id']}")["events"]]
            issue = api.ok("GET", f"/api/issues/{job['id']}")
    finally:
        served.stop()
    assert done["status"] == "done", done
    assert health["restarts"] == 1 and health["pid"] != pid
    assert events.count("interrupted") == 1 and done["attempts"] == 2
    run_log = read_run_log(log)
    assert sum(e["kind"] == "run_resume" for e in run_log) == 1
    starts = Counter(e["stage"] for e in run_log if e["kind"] == "node_start")
    assert all(starts[stage] == 1 for stage in ended_before), (ended_before, starts)
    assert starts[killed_in] == 2  # the killed node ran again from its start, once
    script = json.loads((home / "issues" / job["id"] / "script.json").read_text())
    assert [page["number"] for page in script["pages"]] == [1]
    assert issue["pages"] == 1 and "cbz" in issue["downloads"]
