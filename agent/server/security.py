"""Who may talk to `nuvola serve`, and how: the access token, the login cookie, CSRF, the Host header,
body size limits and the headers every answer carries.

On localhost no token is needed (but the Host header must name localhost, so a web page elsewhere
cannot reach the server through DNS rebinding). On any other address a token is required: it is
generated once, printed once, and only its SHA-256 is stored (NUVOLA_HOME/server/token.json). Browsers
log in with it and get an HttpOnly cookie; scripts send `Authorization: Bearer TOKEN`.

Every POST from a browser must carry the `X-CSRF-Token` header equal to the `nuvola_csrf` cookie
(double submit; both SameSite=Strict): a form on another site can send neither.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.server.errors import BodyTooLarge, json_error
from tools.atomic import write_text_atomic

TOKEN_FILE = "server/token.json"
CSRF_COOKIE = "nuvola_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "nuvola_session"
SESSION_SECONDS = 7 * 24 * 3600
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
OPEN_PATHS = {"/api/health", "/api/login", "/api/csrf"}
"""API paths answered without a token (they reveal nothing)."""
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def stored_digest(home: Path) -> str | None:
    """The stored token's SHA-256, or None when no token was made yet."""
    path = Path(home) / TOKEN_FILE
    if not path.is_file():
        return None
    return str(json.loads(path.read_text(encoding="utf-8"))["sha256"])


def new_token(home: Path) -> str:
    """Make a token, store its hash (replacing any older one) and return it: the only time it is seen."""
    token = secrets.token_urlsafe(32)
    record = {"sha256": token_digest(token), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path = write_text_atomic(Path(home) / TOKEN_FILE, json.dumps(record) + "\n")
    path.chmod(0o600)
    return token


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Limits:
    """Body size limits: uploads (scans), and every other request."""

    upload_bytes: int = 512 * 1024 * 1024
    body_bytes: int = 1024 * 1024
    expanded_bytes: int = 4 * 1024 * 1024 * 1024
    """What the pages of one uploaded archive may add up to once unpacked (zip bombs)."""


@dataclass
class Guard:
    """The access rules of one server: whether a token is needed, its hash, and the logged-in browsers."""

    token_digest: str | None = None
    loopback_only: bool = True
    sessions: dict[str, float] = field(default_factory=dict)

    @property
    def token_required(self) -> bool:
        return not self.loopback_only

    def check_token(self, token: str) -> bool:
        return self.token_digest is not None and hmac.compare_digest(token_digest(token), self.token_digest)

    def login(self, token: str) -> str | None:
        """A session id for a browser that gave the right token."""
        if not self.check_token(token):
            return None
        session = secrets.token_urlsafe(32)
        self.sessions[session] = time.time() + SESSION_SECONDS
        return session

    def logout(self, session: str | None) -> None:
        if session:
            self.sessions.pop(session, None)

    def authenticated(self, headers: Headers, cookies: dict[str, str]) -> tuple[bool, bool]:
        """(allowed, by bearer token): no token needed, a valid bearer token, or a live login cookie."""
        if not self.token_required:
            return True, False
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return self.check_token(auth[7:].strip()), True
        expires = self.sessions.get(cookies.get(SESSION_COOKIE, ""))
        return expires is not None and expires > time.time(), False


def _cookies(headers: Headers) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed Cookie header is treated as no cookies
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class GuardMiddleware:
    """Host check, token check, CSRF check and body limits before the app; security headers after."""

    def __init__(self, app: ASGIApp, guard: Guard, limits: Limits):
        self.app = app
        self.guard = guard
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = _cookies(headers)
        refusal = self._refusal(scope, headers, cookies)
        send = self._with_headers(send, cookies)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        limit = self.limits.upload_bytes if scope["path"] == "/api/uploads" else self.limits.body_bytes
        await self.app(scope, _limited(receive, limit), send)

    def _refusal(self, scope: Scope, headers: Headers, cookies: dict[str, str]) -> Any:
        path, method = scope["path"], scope["method"]
        if self.guard.loopback_only and not is_loopback(_host_name(headers.get("host", ""))):
            return json_error(
                421, "this server answers to localhost only (the Host header names another host)"
            )
        allowed, by_bearer = self.guard.authenticated(headers, cookies)
        if path.startswith("/api/") and path not in OPEN_PATHS and not allowed:
            return json_error(
                401, "a valid token is needed: log in on the page or send Authorization: Bearer TOKEN"
            )
        if method in UNSAFE and not by_bearer:
            problem = _csrf_problem(headers, cookies)
            if problem:
                return json_error(403, problem)
        limit = self.limits.upload_bytes if path == "/api/uploads" else self.limits.body_bytes
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return json_error(413, f"request body larger than the limit of {limit / 1e6:.1f} MB", limit=limit)
        return None

    def _with_headers(self, send: Send, cookies: dict[str, str]) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-content-type-options"] = "nosniff"
                headers["x-frame-options"] = "DENY"
                headers["referrer-policy"] = "no-referrer"
                headers["content-security-policy"] = CSP
                headers["cache-control"] = headers.get("cache-control", "no-store")
                if CSRF_COOKIE not in cookies:
                    headers.append(
                        "set-cookie", f"{CSRF_COOKIE}={secrets.token_urlsafe(24)}; Path=/; SameSite=Strict"
                    )
            await send(message)

        return wrapped


def _csrf_problem(headers: Headers, cookies: dict[str, str]) -> str | None:
    """Why an unsafe browser request is refused as a possible cross-site request, or None."""
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "cross-site request refused"
    origin = headers.get("origin")
    if origin and origin != "null":
        if origin.split("://", 1)[-1] != headers.get("host", ""):
            return f"cross-origin request refused (Origin {origin})"
    expected, sent = cookies.get(CSRF_COOKIE, ""), headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected, sent):
        return "missing or wrong CSRF token: send the nuvola_csrf cookie's value in the X-CSRF-Token header"
    return None


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive` that raises BodyTooLarge once more than `limit` body bytes have come in."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return wrapped
