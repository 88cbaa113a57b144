"""A write-issue run killed with SIGKILL mid-node resumes where it stopped and ends with the same script."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent.runlog import read_run_log
from agent.runs import RunPaths
from agent.write.run import open_graph, write_issue
from tests.graph_fakes import WritingResponder
from tools.models import get_llm
from tools.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
ROLES = ("narrator", "director", "voice")
CHILD = """
import sys
sys.path.insert(0, {repo!r})
from agent.write.run import write_issue
from tests.graph_fakes import WritingResponder
from tools.models.fake import FakeLLM
from tools.settings import load_settings

llm = FakeLLM(responder=WritingResponder(delay={delay}))
write_issue({plot!r}, 3, {out!r}, settings=load_settings(), run_id="killed", seed=5,
            models={{role: llm for role in {roles!r}}})
"""


def fake_writer():
    llm = get_llm("fake", fresh=True)
    llm.responder = WritingResponder()
    return llm


def open_node(events):
    """The stage of a node that started and has not ended, with how many model calls it made."""
    ended = {e["stage"] for e in events if e["kind"] == "node_end"}
    started = [e["stage"] for e in events if e["kind"] == "node_start" and e["stage"] not in ended]
    if not started:
        return None, 0
    return started[-1], sum(e["kind"] == "llm" and e["stage"] == started[-1] for e in events)


def kill_mid_node(tmp_path, log_path):
    script = tmp_path / "child.py"
    script.write_text(
        CHILD.format(repo=str(REPO), delay=0.1, plot=PLOT, out=str(tmp_path / "out"), roles=ROLES)
    )
    child = subprocess.Popen([sys.executable, str(script)], env=os.environ.copy())
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            events = read_run_log(log_path)
            stage, calls = open_node(events)
            finished = sum(e["kind"] == "node_end" for e in events)
            if finished >= 3 and stage and calls >= 1:
                os.kill(child.pid, signal.SIGKILL)
                child.wait(10)
                return read_run_log(log_path)
            assert child.poll() is None, "the run ended before it could be killed"
            time.sleep(0.02)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    raise AssertionError("the run never reached a node to kill")


def test_killed_run_resumes_without_redoing_finished_nodes(tmp_path):
    settings = load_settings()
    paths = RunPaths.of(settings, "killed")
    before = kill_mid_node(tmp_path, paths.run_log)
    assert not (tmp_path / "out" / "script.json").exists()
    finished = {e["stage"] for e in before if e["kind"] == "node_end"}
    killed, _ = open_node(before)

    resumed = write_issue(
        None,
        None,
        None,
        settings=settings,
        run_id="killed",
        resume=True,
        models={role: fake_writer() for role in ROLES},
    )

    after = read_run_log(paths.run_log)[len(before) :]
    restarted = {e["stage"] for e in after if e["kind"] == "node_start"}
    assert after[0]["kind"] == "run_resume"
    assert not restarted & finished, f"finished nodes ran again: {sorted(restarted & finished)}"
    assert killed in restarted
    assert len(resumed.pages) == 3 and (tmp_path / "out" / "script.json").is_file()

    with open_graph(paths) as graph:
        state = graph.get_state({"configurable": {"thread_id": "killed"}}).values
    ends = [e["stage"] for e in state["run_log"] if e["kind"] == "node_end"]
    assert len(ends) == len(set(ends)) and {"prepare", "deliver"} <= set(ends)

    reference = write_issue(
        PLOT,
        3,
        tmp_path / "ref",
        settings=settings,
        run_id="reference",
        seed=5,
        models={role: fake_writer() for role in ROLES},
    )
    assert resumed.model_dump(exclude={"run_id"}) == reference.model_dump(exclude={"run_id"})


def test_resuming_a_finished_run_delivers_again(tmp_path):
    settings = load_settings()
    first = write_issue(
        PLOT, 1, tmp_path / "a", settings=settings, run_id="done", models={r: fake_writer() for r in ROLES}
    )
    again = write_issue(None, None, tmp_path / "b", settings=settings, run_id="done", resume=True)
    assert (
        again == first
        and (tmp_path / "b" / "script.json").read_text() == (tmp_path / "a" / "script.json").read_text()
    )
