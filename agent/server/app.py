"""The web app of `nuvola serve`: a JSON API over the library calls the CLI makes, server-sent events
for running jobs, and the plain HTML/JS page in agent/server/static/.

Reading, writing and chat messages are queued for the worker process (agent/server/worker.py); the
routes themselves only read (catalogue, memory search, delivered files, transcripts).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import threading
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from agent.server.errors import ApiError, BodyTooLarge, install_error_handlers
from agent.server.jobs import TERMINAL, JobNotFoundError, JobStore
from agent.server.library import Library, checked_id
from agent.server.security import SESSION_COOKIE, SESSION_SECONDS, Guard, GuardMiddleware, Limits
from agent.server.supervisor import WorkerSupervisor
from agent.server.uploads import UploadFolder, check_saved, sniff_kind, volume_from
from agent.write.state import MAX_PAGES
from tools.settings import Settings, load_settings, parse_model_overrides

STATIC = Path(__file__).parent / "static"
MAX_FILES = 200
ENGINE = re.compile(r"^[a-z0-9_-]+(,[a-z0-9_-]+)*$")
KINDS = Literal["story", "scene", "line", "character", "panel", "passage"]


@dataclass
class ServeConfig:
    """How one server runs: its data home, address, model overrides, limits and worker."""

    home: Path
    host: str = "127.0.0.1"
    port: int = 8765
    models: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    token_digest: str | None = None
    worker_command: list[str] | None = None
    """The worker's command line before its own arguments (default: python -m agent.server.worker)."""
    start_worker: bool = True
    poll_seconds: float = 0.25

    @property
    def loopback_only(self) -> bool:
        from agent.server.security import is_loopback

        return is_loopback(self.host)


class WriteRequest(BaseModel):
    """A new issue, as `nuvola write-issue` takes it (the output folder is the server's choice)."""

    model_config = ConfigDict(extra="forbid")
    plot: str = Field(min_length=10, max_length=2000, description="the storyline, in a sentence or two")
    pages: int = Field(ge=1, le=MAX_PAGES)
    cast: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list, max_length=12)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    notes: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=10)
    color: bool = True
    artist: Literal["storyboard", "remix"] | None = None
    strict: bool = False


class ChatStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pages: int = Field(default=1, ge=1, le=MAX_PAGES)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=4000)
    edit_text: str | None = Field(default=None, max_length=200_000)


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200)


def create_app(config: ServeConfig, settings: Settings | None = None) -> FastAPI:
    """The app for one data home; the worker starts and stops with it (unless start_worker is off)."""
    settings = settings or load_settings(config.home, parse_model_overrides(config.models))
    jobs = JobStore.of_home(settings.home)
    library = Library(settings, jobs)
    supervisor = WorkerSupervisor(settings.home, config.models, config.worker_command)
    guard = Guard(token_digest=config.token_digest, loopback_only=config.loopback_only)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if config.start_worker:
            supervisor.start()
        threading.Thread(
            target=_quietly, args=(library.memory.warm,), name="nuvola-memory-warm", daemon=True
        ).start()
        try:
            yield
        finally:
            await run_in_threadpool(supervisor.stop)

    app = FastAPI(
        title="Nuvola", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json"
    )
    app.state.jobs, app.state.library, app.state.supervisor, app.state.guard = (
        jobs,
        library,
        supervisor,
        guard,
    )
    app.add_middleware(GuardMiddleware, guard=guard, limits=config.limits)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _pages_and_login(app, guard, supervisor)
    _shelf_routes(app, library, jobs, config)
    _job_routes(app, jobs, config)
    _issue_routes(app, library, jobs, settings)
    _chat_routes(app, library, jobs)
    return app


def _quietly(call: Any) -> None:
    """Run a warm-up; a failure is logged and left to the first real request to report."""
    try:
        call()
    except Exception:  # noqa: BLE001 - warming up must never stop the server
        traceback.print_exc()


def _pages_and_login(app: FastAPI, guard: Guard, supervisor: WorkerSupervisor) -> None:
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {
            "ok": True,
            "token_required": guard.token_required,
            "worker": {"pid": supervisor.pid, "restarts": supervisor.restarts},
        }

    @app.get("/api/csrf")
    def csrf() -> dict[str, Any]:
        """Nothing but the CSRF cookie (set on any answer to a browser that lacks it)."""
        return {"ok": True}

    @app.post("/api/login")
    def login(body: Login) -> JSONResponse:
        if not guard.token_required:
            return JSONResponse({"ok": True, "token_required": False})
        session = guard.login(body.token)
        if session is None:
            raise ApiError(401, "wrong token")
        response = JSONResponse({"ok": True, "token_required": True})
        response.set_cookie(
            SESSION_COOKIE, session, max_age=SESSION_SECONDS, httponly=True, samesite="strict"
        )
        return response

    @app.post("/api/logout")
    def logout(request: Request) -> JSONResponse:
        guard.logout(request.cookies.get(SESSION_COOKIE))
        response = JSONResponse({"ok": True})
        response.delete_cookie(SESSION_COOKIE)
        return response


def _shelf_routes(app: FastAPI, library: Library, jobs: JobStore, config: ServeConfig) -> None:
    @app.get("/api/volumes")
    def volumes() -> list[dict[str, Any]]:
        return library.volumes()

    @app.get("/api/volumes/{name}/pages")
    def volume_pages(name: str) -> list[dict[str, Any]]:
        return library.pages(name)

    @app.get("/api/pages/{page_id}")
    def page(page_id: str) -> dict[str, Any]:
        return library.page(page_id)

    @app.get("/api/pages/{page_id}/image")
    def page_image(page_id: str) -> FileResponse:
        return FileResponse(library.page_image(page_id), headers={"cache-control": "private, max-age=3600"})

    @app.get("/api/search")
    def search(
        q: str = Query(min_length=1, max_length=500),
        kind: KINDS | None = None,
        character: str | None = Query(default=None, max_length=100),
        volume: str | None = Query(default=None, max_length=200),
        k: int = Query(default=10, ge=1, le=100),
    ) -> dict[str, Any]:
        hits = library.memory.search(q, kind, character or None, volume or None, k)
        return {"query": q, "hits": [{**h.model_dump(mode="json"), "reference": h.reference} for h in hits]}

    @app.post("/api/uploads", status_code=202)
    async def upload(request: Request) -> dict[str, Any]:
        form = await _form(request)
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise ApiError(422, "no file uploaded: send one or more scans in the `files` field")
        options = _read_options(form)
        upload_id = jobs_id()
        with UploadFolder(library.home, upload_id) as folder:
            saved = [await _keep(folder, f) for f in files]
            checks = [
                await run_in_threadpool(check_saved, path, shown, config.limits.expanded_bytes)
                for path, shown in saved
            ]
        params = {
            "paths": [folder.relative(path) for path, _ in saved],
            "volume": options["volume"] or volume_from(saved[0][1]),
            **options["read"],
        }
        job = jobs.enqueue("read", params, job_id=upload_id)
        warnings = [w for _, found in checks for w in found]
        return {"job": job.as_dict(), "pages": sum(n for n, _ in checks), "warnings": warnings}


def jobs_id() -> str:
    from agent.runs import new_run_id

    return new_run_id()


async def _form(request: Request) -> Any:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "send the scans as multipart/form-data (a form with a `files` field)")
    try:
        return await request.form(max_files=MAX_FILES, max_fields=20)
    except BodyTooLarge:
        raise
    except Exception as exc:  # noqa: BLE001 - python-multipart and Starlette's own parse errors
        raise ApiError(400, f"malformed form data ({exc})") from exc


def _read_options(form: Any) -> dict[str, Any]:
    volume = str(form.get("volume") or "").strip()
    engine = str(form.get("engine") or "").strip() or None
    if len(volume) > 100 or any(ord(c) < 32 or c in "/\\" for c in volume):
        raise ApiError(422, "volume: at most 100 printable characters, no slashes")
    if engine is not None and not ENGINE.match(engine):
        raise ApiError(
            422, f"engine: {engine!r} is not an OCR engine name (e.g. tesseract or rapidocr,tesseract)"
        )
    use_llm = str(form.get("use_llm", "true")).lower() not in ("false", "0", "no", "off")
    return {"volume": volume, "read": {"engine": engine, "use_llm": use_llm}}


async def _keep(folder: UploadFolder, upload: UploadFile) -> tuple[Path, str]:
    """Save one uploaded file under a safe name if its first bytes say it is a scan; (path, name shown)."""
    shown = Path((upload.filename or "upload").replace("\\", "/")).name[:120] or "upload"
    head = await upload.read(16)
    found = sniff_kind(head)
    if found is None:
        raise ApiError(
            415, f"{shown}: not an image, PDF or CBZ/CBR/CB7 archive (its first bytes say otherwise)"
        )
    target = folder.target(shown, found[1])

    def copy() -> None:
        with target.open("xb") as out:
            out.write(head)
            shutil.copyfileobj(upload.file, out, 1024 * 1024)

    await run_in_threadpool(copy)
    return target, shown


def _job_routes(app: FastAPI, jobs: JobStore, config: ServeConfig) -> None:
    @app.get("/api/jobs")
    def job_list(kind: Literal["read", "write", "chat"] | None = None) -> list[dict[str, Any]]:
        return [j.as_dict() for j in jobs.jobs(kind)]

    @app.get("/api/jobs/{job_id}")
    def job(job_id: str) -> dict[str, Any]:
        found = _job(jobs, job_id)
        return {**found.as_dict(), "events": [e.as_dict() for e in jobs.events(found.id)]}

    @app.get("/api/jobs/{job_id}/events")
    async def job_events(
        job_id: str, request: Request, after: int = Query(default=0, ge=0)
    ) -> StreamingResponse:
        """Server-sent events: every event of the job after `after` (or Last-Event-ID), then `end`."""
        _job(jobs, job_id)
        last_id = request.headers.get("last-event-id", "")
        start = int(last_id) if last_id.isdigit() else after
        stream = _event_stream(jobs, job_id, start, request, config.poll_seconds)
        return StreamingResponse(
            stream,
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )


def _job(jobs: JobStore, job_id: str) -> Any:
    try:
        return jobs.get(checked_id(job_id, "job"))
    except JobNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc


async def _event_stream(
    jobs: JobStore, job_id: str, last: int, request: Request, poll: float
) -> AsyncIterator[str]:
    quiet = 0.0
    yield "retry: 2000\n\n"
    while not await request.is_disconnected():
        events = await run_in_threadpool(jobs.events, job_id, last)
        for event in events:
            last = event.seq
            yield f"id: {event.seq}\nevent: {event.kind}\ndata: {json.dumps(event.as_dict(), ensure_ascii=False)}\n\n"
        if not events and (await run_in_threadpool(jobs.get, job_id)).status in TERMINAL:
            yield f"event: end\ndata: {json.dumps({'job': job_id})}\n\n"
            return
        quiet = 0.0 if events else quiet + poll
        if quiet >= 15:
            yield ": still working\n\n"
            quiet = 0.0
        await asyncio.sleep(poll)


def _issue_routes(app: FastAPI, library: Library, jobs: JobStore, settings: Settings) -> None:
    @app.post("/api/issues", status_code=202)
    def write(body: WriteRequest) -> dict[str, Any]:
        params = body.model_dump()
        params["seed"] = settings.seed if body.seed is None else body.seed
        params["cast"] = [c.strip() for c in body.cast if c.strip()]
        return {"job": jobs.enqueue("write", params).as_dict()}

    @app.get("/api/issues")
    def issues() -> list[dict[str, Any]]:
        return library.issues()

    @app.get("/api/issues/{run_id}")
    def issue(run_id: str) -> dict[str, Any]:
        return _known(library.issue, run_id)

    @app.get("/api/issues/{run_id}/pages/{number}")
    def issue_page(run_id: str, number: int) -> FileResponse:
        return FileResponse(_known(library.drawn_page, "issue", run_id, number), media_type="image/png")

    @app.get("/api/issues/{run_id}/download/{fmt}")
    def download(run_id: str, fmt: str) -> FileResponse:
        path, media, name = _known(library.drawn_file, "issue", run_id, fmt)
        return FileResponse(path, media_type=media, filename=name)


def _known(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except JobNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc


def _session_call(call: Any, *args: Any) -> Any:
    from agent.chat.sessions import SessionNotFoundError

    try:
        return call(*args)
    except SessionNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc


def _chat_routes(app: FastAPI, library: Library, jobs: JobStore) -> None:
    @app.get("/api/chat")
    def sessions() -> list[dict[str, Any]]:
        return library.sessions()

    @app.post("/api/chat", status_code=202)
    def new_session(body: ChatStart) -> dict[str, Any]:
        return {"job": jobs.enqueue("chat", {"action": "new", "pages": body.pages}).as_dict()}

    @app.get("/api/chat/{session_id}")
    def session(session_id: str) -> dict[str, Any]:
        return _session_call(library.session, session_id)

    @app.get("/api/chat/{session_id}/pages/{number}")
    def session_page(session_id: str, number: int) -> FileResponse:
        return FileResponse(
            _session_call(library.drawn_page, "chat", session_id, number), media_type="image/png"
        )

    @app.get("/api/chat/{session_id}/download/{fmt}")
    def session_download(session_id: str, fmt: str) -> FileResponse:
        path, media, name = _session_call(library.drawn_file, "chat", session_id, fmt)
        return FileResponse(path, media_type=media, filename=name)

    @app.post("/api/chat/{session_id}/messages", status_code=202)
    def message(session_id: str, body: ChatMessage) -> dict[str, Any]:
        session(session_id)  # 404 for an unknown session before anything is queued
        params = {"action": "message", "session": session_id, "text": body.text, "edit_text": body.edit_text}
        return {"job": jobs.enqueue("chat", params).as_dict()}
