"""Every refused request gets one JSON shape: {"error": {"status": N, "message": "...", ...}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from memory.errors import MemoryStoreError
from tools.errors import InputFileError, NuvolaError, UnknownVolumeError


class ApiError(HTTPException):
    """A refusal with a status, a message a user can act on, and optional details."""

    def __init__(self, status: int, message: str, **details: Any):
        super().__init__(status_code=status, detail=message)
        self.details = details


class BodyTooLarge(ApiError):
    """The request body is larger than the limit for its route (raised while it is being read)."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than the limit of {limit / 1e6:.1f} MB", limit=limit)


def error_body(status: int, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"status": status, "message": message, **details}}


def json_error(status: int, message: str, **details: Any) -> JSONResponse:
    return JSONResponse(error_body(status, message, **details), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """JSON answers for HTTP errors, bad bodies, Nuvola's own errors and anything unexpected."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        details = getattr(exc, "details", {})
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return json_error(exc.status_code, message, **details)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            first = next(e for e in errors if e.get("type") == "json_invalid")
            where = (first.get("ctx") or {}).get("error", "")
            return json_error(400, f"malformed JSON body{': ' + str(where) if where else ''}")
        fields = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e.get("msg", "")}
            for e in errors
        ]
        summary = "; ".join(f"{f['field'] or 'body'}: {f['problem']}" for f in fields[:5])
        return json_error(422, f"invalid request: {summary}", fields=fields)

    @app.exception_handler(UnknownVolumeError)
    async def unknown_volume(request: Request, exc: UnknownVolumeError) -> JSONResponse:
        return json_error(404, str(exc))

    @app.exception_handler(InputFileError)
    async def bad_input(request: Request, exc: InputFileError) -> JSONResponse:
        return json_error(422, str(exc))

    @app.exception_handler(MemoryStoreError)
    async def memory_unavailable(request: Request, exc: MemoryStoreError) -> JSONResponse:
        return json_error(503, f"the memory cannot be used: {exc}")

    @app.exception_handler(NuvolaError)
    async def nuvola_error(request: Request, exc: NuvolaError) -> JSONResponse:
        return json_error(400, str(exc), kind=type(exc).__name__)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return json_error(500, f"internal error ({type(exc).__name__}); see the server's log")
