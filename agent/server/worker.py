"""The worker process of `nuvola serve`: takes queued jobs one at a time and runs them through the same
library calls as the CLI (agent.read.run.read_paths, agent.write.run.write_issue, the chat's command handler).

Progress goes to the job's events. A job found `running` when a worker starts was cut short (kill -9,
a crash, a server restart): it is queued again and resumed from the graph's SQLite checkpoints.

    python -m agent.server.worker --home DIR [--model ROLE=NAME ...]
"""

from __future__ import annotations

import argparse
import fcntl
import io
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.server.jobs import SAFE_ID, Job, JobStore
from tools.errors import NuvolaError
from tools.settings import Settings, load_settings, parse_model_overrides

MEMORY_COUNTER = "memory_writes"
"""Bumped after every job that may have written the memory; the server then reopens its reader."""
LOCK_FILE = "server/worker.lock"
WEB_MODEL_REFUSAL = (
    "/model is not available in the web chat: the models are chosen by whoever runs the server "
    "(nuvola -m ROLE=NAME serve)"
)


def issue_dir(settings: Settings, run_id: str) -> Path:
    """Where a write job delivers its issue: NUVOLA_HOME/issues/<run id>."""
    return Path(settings.home) / "issues" / run_id


class Worker:
    """Runs the jobs of one data home, in order, until its parent process is gone."""

    def __init__(self, settings: Settings, store: JobStore, parent: int | None = None, poll: float = 0.2):
        self.settings = settings
        self.store = store
        self.parent = parent
        self.poll = poll
        self.handlers: dict[str, Callable[[Job], dict[str, Any]]] = {
            "read": self.run_read,
            "write": self.run_write,
            "chat": self.run_chat,
        }

    # ---- the loop --------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        for job in self.store.requeue_interrupted():
            print(
                f"worker {os.getpid()}: job {job.id} ({job.kind}) was cut short after {job.attempts} "
                "attempt(s)",
                flush=True,
            )
        while self.parent_alive():
            if not self.run_next():
                time.sleep(self.poll)

    def parent_alive(self) -> bool:
        return self.parent is None or os.getppid() == self.parent

    def run_next(self) -> bool:
        """Claim and run one queued job; False when the queue is empty."""
        job = self.store.claim(os.getpid())
        if job is None:
            return False
        self.store.event(job.id, "started", status="running", attempt=job.attempts, worker_pid=os.getpid())
        try:
            result = self.handlers[job.kind](job)
        except NuvolaError as exc:
            self.store.finish(job.id, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a failing job must not take the worker down
            traceback.print_exc()
            self.store.finish(job.id, error=f"{type(exc).__name__}: {exc}")
        else:
            self.store.finish(job.id, result=result)
        return True

    # ---- reading ---------------------------------------------------------------------------------
    def run_read(self, job: Job) -> dict[str, Any]:
        """`nuvola read` on the uploaded files: ingest, OCR, speakers, reconstruction, memory."""
        from agent.read.run import NothingToReadError, read_paths
        from agent.read.state import READ_STAGES
        from agent.runs import RunPaths

        p = job.params
        home = Path(self.settings.home)
        paths = [home / rel for rel in p["paths"]]
        started = time.perf_counter()

        def on_step(node: str, update: dict[str, Any]) -> None:
            if node in READ_STAGES:
                figures = next(iter(update.get("done", {}).values()), None) or update.get("ingest", {})
                self.store.event(
                    job.id,
                    "step",
                    node=node,
                    label=READ_STAGES[node],
                    figures=_plain(figures),
                    seconds=round(time.perf_counter() - started, 2),
                )

        resume = job.attempts > 1 and RunPaths.of(self.settings, job.id).checkpoints.is_file()
        options: dict[str, Any] = {
            "volume": p.get("volume"),
            "engine": p.get("engine"),
            "use_llm": bool(p.get("use_llm", True)),
        }
        try:
            state = read_paths(
                list(paths), self.settings, run_id=job.id, resume=resume, on_step=on_step, **options
            )
        except NothingToReadError:
            if not resume:
                raise
            self.store.event(job.id, "restart", detail="no checkpoint to resume from; reading again")
            state = read_paths(list(paths), self.settings, run_id=job.id, on_step=on_step, **options)
        finally:
            self.store.bump(MEMORY_COUNTER)
        errors = state.get("ingest", {}).get("errors", {})
        return {
            "run_id": job.id,
            "volumes": state["volumes"],
            "errors": {str(where).replace(f"{home}/", ""): causes for where, causes in errors.items()},
        }

    # ---- writing ---------------------------------------------------------------------------------
    def run_write(self, job: Job) -> dict[str, Any]:
        """`nuvola write-issue` into NUVOLA_HOME/issues/<run id>, resumed when the run has checkpoints."""
        from agent.runs import RunPaths
        from agent.write.run import write_issue

        p, run = job.params, RunPaths.of(self.settings, job.id)
        resume = job.attempts > 1 and run.checkpoints.is_file()
        if not resume and run.root.exists():  # cut short before its first checkpoint: start it again
            shutil.rmtree(run.root)
        progress = WriteProgress(self.store, job.id)
        script = write_issue(
            p["plot"],
            p["pages"],
            issue_dir(self.settings, job.id),
            cast=p.get("cast") or None,
            seed=int(p.get("seed", self.settings.seed)),
            settings=self.settings,
            run_id=job.id,
            resume=resume,
            constraints=list(p.get("notes", [])),
            strict=bool(p.get("strict", False)),
            on_step=progress,
            render={"enabled": True, "color": bool(p.get("color", True)), "artist": p.get("artist")},
        )
        return {
            "run_id": job.id,
            "title": script.title,
            "pages": len(script.pages),
            "fallbacks": len(script.fallbacks),
        }

    # ---- chatting --------------------------------------------------------------------------------
    def run_chat(self, job: Job) -> dict[str, Any]:
        """A new co-writing session, or one message to a session through the chat's own handler."""
        from rich.console import Console

        from agent.chat.app import ChatApp

        p = job.params
        if job.attempts > 1:
            raise NuvolaError(
                "the message was cut short by a worker restart; the session keeps what finished"
            )
        console = Console(file=io.StringIO(), width=100, color_system=None)
        chat = ChatApp(self.settings, console, pages=int(p.get("pages", 1)), seed=self.settings.seed)
        if p.get("action") == "new":
            with _closing(chat.new()) as session:
                return {"session": session.meta.id}
        return self._chat_message(chat, p)

    def _chat_message(self, chat: Any, p: dict[str, Any]) -> dict[str, Any]:
        from agent.chat.commands import Outcome, handle, story_from
        from agent.chat.session import ChatSession
        from agent.chat.sessions import SessionPaths, load_meta

        text = str(p["text"])
        with _closing(ChatSession.open(self.settings, p["session"], chat.console)) as session:
            if text.strip().split(" ")[0].lower() == "/model":
                session.hear(text)
                session.view.say("error", style="red", error=WEB_MODEL_REFUSAL)
                return {"session": session.meta.id}
            if not text.strip() and session.stage().kind not in ("outline", "scene"):
                return {"session": session.meta.id, "stage": session.meta.stage}
            editor = WebEditor(p.get("edit_text"))
            try:
                outcome = handle(session, text, editor)
            except NuvolaError as exc:  # as the terminal loop does: told in the session, which goes on
                session.view.say("error", style="red", error=str(exc))
                outcome = Outcome()
            result: dict[str, Any] = {"session": session.meta.id, "stage": session.meta.stage}
            if editor.shown is not None:
                result["edit_text"] = editor.shown
            lang = session.meta.lang
        if outcome.load is not None:
            if not SAFE_ID.match(outcome.load):
                raise NuvolaError(f"not a session id: {outcome.load!r}")
            load_meta(SessionPaths.of(self.settings, outcome.load))  # a clear error when it does not exist
            result["session"] = outcome.load
        elif outcome.new_story is not None:
            with _closing(chat.new(lang)) as other:
                if len(outcome.new_story.note.split()) >= 4:
                    story_from(other, outcome.new_story)
                result["session"] = other.meta.id
        return result


class WebEditor:
    """The chat's editor seam for the web: shows the text to edit (kept in `shown`) and returns the text the
    user sent with the message, or None (unchanged) when there is none yet."""

    def __init__(self, edited: str | None):
        self.edited = edited
        self.shown: str | None = None

    def __call__(self, text: str) -> str | None:
        self.shown = text
        return self.edited


class WriteProgress:
    """The write-issue graph's node updates as job events: node, label, scene, and the expected total."""

    def __init__(self, store: JobStore, job_id: str):
        from agent.write.state import STAGE_NAMES

        self.store, self.job_id, self.names = store, job_id, STAGE_NAMES
        self.started = time.perf_counter()
        self.total: int | None = None

    def __call__(self, node: str, update: dict[str, Any]) -> None:
        if node == "coordinator":
            return
        if update.get("outline"):
            self.total = 4 + 3 * len(update["outline"])
        scene = next(
            (
                int(next(iter(update[k])))
                for k in ("scene_beats", "scene_pages", "scene_dialogue")
                if update.get(k)
            ),
            None,
        )
        self.store.event(
            self.job_id,
            "step",
            node=node,
            label=self.names.get(node, node),
            scene=scene,
            total=self.total,
            seconds=round(time.perf_counter() - self.started, 2),
        )


@contextmanager
def _closing(session: Any) -> Iterator[Any]:
    try:
        yield session
    finally:
        session.close()


def _plain(figures: Any) -> dict[str, Any]:
    """Stage figures reduced to what an event shows: numbers and short strings, the numbers of a nested
    report (the memory's added/updated/unchanged), and lists or maps (errors by file) counted."""
    if not isinstance(figures, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) < 200):
            out[key] = value
        elif isinstance(value, dict) and any(_number(v) for v in value.values()):
            out.update({k: v for k, v in value.items() if _number(v) and k not in figures})
        elif isinstance(value, list | dict):
            out[key] = len(value)
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@contextmanager
def worker_lock(home: Path) -> Iterator[None]:
    """One worker per data home: a second one waits here until the first has gone."""
    path = Path(home) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m agent.server.worker", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--home", type=Path, required=True, help="The data home (NUVOLA_HOME).")
    parser.add_argument("--model", "-m", action="append", default=[], metavar="ROLE=NAME")
    parser.add_argument("--parent", type=int, default=None, help="Leave when this process is gone.")
    parser.add_argument("--poll", type=float, default=0.2, help="Seconds between looks at an empty queue.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ["NUVOLA_HOME"] = str(args.home)  # code that reads NUVOLA_HOME itself (adapters) sees it too
    settings = load_settings(args.home, parse_model_overrides(args.model))
    store = JobStore.of_home(settings.home)
    with worker_lock(settings.home):
        print(f"worker {os.getpid()} serving {settings.home}", flush=True)
        Worker(settings, store, parent=args.parent, poll=args.poll).serve_forever()


if __name__ == "__main__":
    main()
