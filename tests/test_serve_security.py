"""Hostile requests to `nuvola serve` each get a clear JSON 4xx and change nothing: path traversal,
oversized and mistyped uploads, zip bombs, malformed JSON, missing CSRF token, wrong Host, wrong token."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import httpx
import pytest
from PIL import Image

from agent.server.security import Limits
from tests.test_serve_harness import Api, Served, start_server

UPLOAD_LIMIT = 3 * 1024 * 1024
EXPANDED_LIMIT = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    home, tmp = tmp_path_factory.mktemp("hostile-home"), tmp_path_factory.mktemp("hostile-tmp")
    running = start_server(home, tmp, limits=Limits(upload_bytes=UPLOAD_LIMIT, expanded_bytes=EXPANDED_LIMIT))
    yield running
    running.stop()


@pytest.fixture
def api(served: Served) -> Api:
    with served.client() as client:
        yield client


def snapshot(served: Served) -> tuple:
    """What a refused request must not change: the job queue and every file of the data home (names and
    sizes; the server's own job database and logs aside)."""
    home = served.home
    files = sorted(
        (str(p.relative_to(home)), p.stat().st_size)
        for p in home.rglob("*")
        if p.is_file() and "server" not in p.relative_to(home).parts
    )
    return files, sorted(j["id"] for j in httpx.get(f"{served.url}/api/jobs").json())


@pytest.fixture(autouse=True)
def unchanged(request: pytest.FixtureRequest):
    """Every request test here must leave the data home and the job queue as they were."""
    if "served" not in request.fixturenames:
        yield
        return
    served = request.getfixturevalue("served")
    before = snapshot(served)
    yield
    assert snapshot(served) == before


def refused(response: httpx.Response, status: int, *words: str) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["error"]["message"]
    for word in words:
        assert word in message, message
    return message


def png_bytes(size: tuple[int, int] = (40, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 255).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "path",
    [
        "/api/pages/..%2F..%2F..%2Fetc%2Fpasswd/image",
        "/api/pages/../../etc/passwd/image",
        "/api/issues/..%2F..%2Fserver/download/json",
        "/api/issues/....//....//etc/download/cbz",
        "/api/issues/..%2Fserver/pages/1",
        "/static/..%2F..%2Fserver%2Fjobs.sqlite",
        "/static/%2e%2e/app.py",
        "/api/volumes/..%2F..%2Fetc/pages",
        "/api/chat/..%2F..%2Fserver",
        "/api/jobs/..%2Fjobs",
    ],
)
def test_path_traversal_finds_nothing(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404, (path, response.status_code, response.text[:200])
    assert "error" in response.json()


def test_a_page_id_that_is_not_one_is_404(api: Api) -> None:
    refused(api.get("/api/pages/" + "0" * 64), 404, "no page")
    refused(api.get("/api/issues/20260101-000000-beef"), 404, "no job")


def test_an_upload_over_the_limit_is_413(api: Api) -> None:
    big = b"\x89PNG\r\n\x1a\n" + bytes(UPLOAD_LIMIT + 1024)
    refused(api.post("/api/uploads", files={"files": ("big.png", big, "image/png")}), 413, "limit")


def test_a_chunked_upload_over_the_limit_is_413(api: Api) -> None:
    """Without Content-Length the body is counted as it arrives."""
    boundary = "nuvolaboundary"

    def body():
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode() + b"\x89PNG\r\n\x1a\n"
        for _ in range(UPLOAD_LIMIT // 65536 + 4):
            yield bytes(65536)
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    refused(api.post("/api/uploads", content=body(), headers=headers), 413, "limit")


def test_a_file_that_is_no_scan_is_415(api: Api) -> None:
    refused(
        api.post("/api/uploads", files={"files": ("page.png", b"\x7fELF\x02\x01\x01" + bytes(64))}),
        415,
        "page.png",
        "not an image",
    )
    refused(api.post("/api/uploads", files={"files": ("notes.txt", b"hello")}), 415, "notes.txt")


def test_a_zip_bomb_is_refused(api: Api) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("page_001.png", b"\x89PNG\r\n\x1a\n" + bytes(EXPANDED_LIMIT + 1024 * 1024))
    assert len(buffer.getvalue()) < UPLOAD_LIMIT  # small on the wire, huge unpacked
    refused(
        api.post("/api/uploads", files={"files": ("bomb.cbz", buffer.getvalue())}),
        422,
        "bomb.cbz",
        "unpacks to",
    )


def test_an_archive_of_unsafe_members_is_refused(api: Api) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.png", png_bytes())
        archive.writestr("/etc/cron.d/evil.png", png_bytes())
    message = refused(
        api.post("/api/uploads", files={"files": ("evil.cbz", buffer.getvalue())}), 422, "evil.cbz"
    )
    assert "leaves the archive" in message and "absolute path" in message


def test_a_decompression_bomb_image_is_refused(api: Api) -> None:
    """A PNG header claiming 20000 x 20000 pixels: ingest's own check refuses it before decoding."""
    header = struct.pack(">IIBBBBB", 20000, 20000, 1, 0, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(bytes(2501) * 64)), (b"IEND", b"")]
    png = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )
    refused(
        api.post("/api/uploads", files={"files": ("huge.png", png)}), 422, "huge.png", "decompression bomb"
    )


def test_malformed_and_invalid_json(api: Api) -> None:
    headers = {"content-type": "application/json"}
    refused(api.post("/api/issues", content=b'{"plot": "Tex', headers=headers), 400, "malformed JSON")
    message = refused(api.post("/api/issues", json={"plot": "Tex e Kit a cavallo", "pages": 0}), 422, "pages")
    assert "greater than or equal to 1" in message
    refused(
        api.post("/api/issues", json={"plot": "Tex e Kit a cavallo", "pages": 1, "out": "/etc"}), 422, "out"
    )
    refused(
        api.post("/api/issues", json={"plot": "Tex e Kit a cavallo", "pages": 1, "artist": "diffusers:/etc"}),
        422,
        "artist",
    )
    refused(api.post("/api/issues", json=["not", "an", "object"]), 422)
    refused(
        api.post("/api/issues", json={"plot": "Tex e Kit a cavallo", "pages": 1, "cast": ["x" * 61]}),
        422,
        "cast",
    )
    upload = {"files": ("page.png", png_bytes())}
    refused(api.post("/api/uploads", files=upload, data={"volume": "../../etc"}), 422, "slashes")
    refused(api.post("/api/uploads", files=upload, data={"engine": "vlm:/etc/passwd"}), 422, "engine")
    refused(api.post("/api/chat/nope/messages", json={"text": "ciao"}), 404, "nope")
    refused(api.get("/api/search", params={"q": "Tex", "k": 0}), 422, "k")


def test_a_too_large_json_body_is_413(api: Api) -> None:
    refused(api.post("/api/issues", json={"plot": "x" * (2 * 1024 * 1024), "pages": 1}), 413, "limit")


def test_cross_site_requests_are_refused(api: Api, served: Served) -> None:
    body = {"plot": "Tex e Kit Carson inseguono i banditi", "pages": 1}
    refused(api.post("/api/issues", json=body, headers={"X-CSRF-Token": "guess"}), 403, "CSRF")
    with httpx.Client(base_url=served.url) as bare:  # no cookie at all: a form posted from another site
        refused(bare.post("/api/issues", json=body), 403, "CSRF")
    refused(
        api.post("/api/issues", json=body, headers={"Origin": "http://evil.example"}), 403, "cross-origin"
    )
    refused(api.post("/api/issues", json=body, headers={"Sec-Fetch-Site": "cross-site"}), 403, "cross-site")


def test_another_host_name_is_refused_on_localhost(api: Api) -> None:
    """DNS rebinding: a page of evil.example resolving to 127.0.0.1 cannot use the server."""
    refused(api.get("/api/volumes", headers={"Host": "evil.example:8765"}), 421, "localhost")


def test_method_not_allowed_is_json(api: Api) -> None:
    refused(api.delete("/api/volumes"), 405, "DELETE")


def test_an_uploaded_name_cannot_leave_the_uploads_folder(api: Api, served: Served) -> None:
    from agent.server.uploads import safe_name

    assert safe_name("../../etc/passwd.png", ".png") == "passwd.png"
    assert safe_name("..\\..\\win.ini", ".png") == "win.png"
    assert safe_name(".hidden.cbz", ".cbz") == "hidden.cbz"
    assert safe_name("scan.exe", ".png") == "scan.png"


# ---- the token, with --host 0.0.0.0 ---------------------------------------------------------------
@pytest.fixture
def token_app(tmp_path: Path):
    from starlette.testclient import TestClient

    from agent.server.app import ServeConfig, create_app
    from agent.server.security import new_token, stored_digest

    token = new_token(tmp_path)
    app = create_app(
        ServeConfig(home=tmp_path, host="0.0.0.0", token_digest=stored_digest(tmp_path), start_worker=False)
    )
    with TestClient(app) as client:
        yield client, token, tmp_path


def test_a_token_is_needed_off_localhost(token_app) -> None:
    client, token, home = token_app
    assert token not in (home / "server" / "token.json").read_text()
    assert json.loads((home / "server" / "token.json").read_text())["sha256"]
    assert client.get("/").status_code == 200  # the page itself, to log in from
    refused(client.get("/api/volumes"), 401, "token")
    refused(client.get("/api/volumes", headers={"Authorization": "Bearer wrong"}), 401, "token")
    assert client.get("/api/volumes", headers={"Authorization": f"Bearer {token}"}).json() == []


def test_the_browser_logs_in_with_the_token(token_app) -> None:
    client, token, _ = token_app
    client.get("/api/csrf")
    csrf = {"X-CSRF-Token": client.cookies["nuvola_csrf"]}
    refused(client.post("/api/login", json={"token": "wrong"}, headers=csrf), 401, "wrong token")
    refused(client.get("/api/issues"), 401)
    answer = client.post("/api/login", json={"token": token}, headers=csrf)
    assert answer.status_code == 200 and "httponly" in answer.headers["set-cookie"].lower()
    assert client.get("/api/issues").json() == []
    refused(client.post("/api/issues", json={"plot": "Tex e Kit", "pages": 1}), 403, "CSRF")
