"""The job queue the web server and its worker share: one SQLite file under NUVOLA_HOME/server/.

The server only enqueues jobs and reads them; the worker claims them one at a time, records each step
as an event (the server streams them as server-sent events) and marks them done or failed. The
graphs' own SQLite checkpoints (runs/<id>/checkpoints.sqlite, chats/<id>/checkpoints.sqlite) hold the
work itself, so a job whose worker died is queued again and resumed from its last finished node.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.runs import new_run_id
from tools.errors import NuvolaError

JobKind = Literal["read", "write", "chat"]
JobStatus = Literal["queued", "running", "done", "failed"]
TERMINAL = ("done", "failed")
MAX_ATTEMPTS = 4
"""A job cut short this many times (a kill, a crash, a restart) is given up."""
JOBS_FILE = "server/jobs.sqlite"
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
"""Run, job and session ids as they may appear in a URL: never a path."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker_pid INTEGER,
    result TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, created);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    t REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events(job_id, seq);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class JobNotFoundError(NuvolaError):
    """A request names a job the queue does not hold."""


@dataclass
class Job:
    """One queued piece of work: a reading run, a write-issue run or one chat message."""

    id: str
    kind: JobKind
    params: dict[str, Any]
    status: JobStatus
    created: float
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    worker_pid: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "status": self.status,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "attempts": self.attempts,
            "result": self.result,
            "error": self.error,
        }


@dataclass
class Event:
    """One step of a job (a finished graph node, a resume, the end) as the event stream shows it."""

    seq: int
    job_id: str
    t: float
    kind: str
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "job": self.job_id, "t": self.t, "kind": self.kind, **self.data}


class JobStore:
    """The jobs table over one SQLite file; a connection per operation, so any thread may use it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @classmethod
    def of_home(cls, home: Path) -> JobStore:
        return cls(Path(home) / JOBS_FILE)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ---- the server's side -----------------------------------------------------------------------
    def enqueue(self, kind: JobKind, params: dict[str, Any], job_id: str | None = None) -> Job:
        """Queue a job; its id doubles as the run id of reading and writing jobs."""
        job_id = job_id or new_run_id()
        now = time.time()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO jobs (id, kind, params, status, created) VALUES (?, ?, ?, 'queued', ?)",
                (job_id, kind, json.dumps(params, ensure_ascii=False), now),
            )
            _add_event(db, job_id, "queued", {"status": "queued"})
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        with self._db() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFoundError(f"no job {job_id!r}")
        return _job(row)

    def jobs(self, kind: str | None = None, limit: int = 100) -> list[Job]:
        """The most recent jobs first."""
        query = "SELECT * FROM jobs" + (" WHERE kind = ?" if kind else "") + " ORDER BY created DESC LIMIT ?"
        with self._db() as db:
            rows = db.execute(query, (kind, limit) if kind else (limit,)).fetchall()
        return [_job(r) for r in rows]

    def events(self, job_id: str, after: int = 0) -> list[Event]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq", (job_id, after)
            ).fetchall()
        return [Event(r["seq"], r["job_id"], r["t"], r["kind"], json.loads(r["data"])) for r in rows]

    def counter(self, key: str) -> int:
        """A shared counter (e.g. how many times the memory was written by the worker)."""
        with self._db() as db:
            row = db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    # ---- the worker's side -----------------------------------------------------------------------
    def claim(self, pid: int) -> Job | None:
        """Take the oldest queued job for the worker `pid` (atomically), or None."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created, id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', started = ?, worker_pid = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                (time.time(), pid, row["id"]),
            )
        return self.get(row["id"])

    def requeue_interrupted(self, max_attempts: int = MAX_ATTEMPTS) -> list[Job]:
        """Jobs left `running` by a worker that is gone go back to the queue, to resume; one that was cut
        short `max_attempts` times (it may be what kills the worker) fails instead."""
        with self._transaction() as db:
            rows = db.execute("SELECT * FROM jobs WHERE status = 'running'").fetchall()
            for row in rows:
                if row["attempts"] >= max_attempts:
                    error = (
                        f"the worker stopped {row['attempts']} times while running this job; not tried again"
                    )
                    db.execute(
                        "UPDATE jobs SET status = 'failed', finished = ?, error = ? WHERE id = ?",
                        (time.time(), error, row["id"]),
                    )
                    _add_event(db, row["id"], "failed", {"status": "failed", "error": error, "result": {}})
                    continue
                db.execute("UPDATE jobs SET status = 'queued', worker_pid = NULL WHERE id = ?", (row["id"],))
                _add_event(
                    db, row["id"], "interrupted", {"status": "queued", "worker_pid": row["worker_pid"]}
                )
        return [_job(r) for r in rows]

    def event(self, job_id: str, kind: str, **data: Any) -> None:
        with self._transaction() as db:
            _add_event(db, job_id, kind, data)

    def finish(self, job_id: str, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        status = "failed" if error else "done"
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET status = ?, finished = ?, result = ?, error = ? WHERE id = ?",
                (status, time.time(), json.dumps(result or {}, ensure_ascii=False), error, job_id),
            )
            _add_event(db, job_id, status, {"status": status, "error": error, "result": result or {}})

    def bump(self, key: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO state (key, value) VALUES (?, '1') "
                "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                (key,),
            )


def _add_event(db: sqlite3.Connection, job_id: str, kind: str, data: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO events (job_id, t, kind, data) VALUES (?, ?, ?, ?)",
        (job_id, round(time.time(), 3), kind, json.dumps(data, ensure_ascii=False, default=str)),
    )


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        params=json.loads(row["params"]),
        status=row["status"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        attempts=row["attempts"],
        worker_pid=row["worker_pid"],
        result=json.loads(row["result"]) if row["result"] else {},
        error=row["error"],
    )
