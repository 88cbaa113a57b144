"""The server's parts on their own: the job queue, upload sniffing and naming, the token guard."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.datastructures import Headers

from agent.server.jobs import JobStore
from agent.server.security import SESSION_COOKIE, Guard, is_loopback, new_token, stored_digest, token_digest
from agent.server.uploads import safe_name, sniff_kind, volume_from


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore.of_home(tmp_path)


def test_a_job_is_claimed_once_in_queue_order(store: JobStore) -> None:
    first = store.enqueue("read", {"paths": ["uploads/a/a.cbz"]}, job_id="a")
    store.enqueue("write", {"plot": "Tex", "pages": 1}, job_id="b")
    assert first.status == "queued" and [e.kind for e in store.events("a")] == ["queued"]
    claimed = store.claim(pid=123)
    assert claimed.id == "a" and claimed.status == "running" and claimed.attempts == 1
    assert store.claim(pid=123).id == "b" and store.claim(pid=123) is None


def test_a_cut_short_job_is_queued_again_then_given_up(store: JobStore) -> None:
    store.enqueue("write", {"plot": "Tex", "pages": 1}, job_id="w")
    for attempt in range(1, 4):
        assert store.claim(pid=1).attempts == attempt
        [requeued] = store.requeue_interrupted(max_attempts=4)
        assert requeued.id == "w" and store.get("w").status == "queued"
    store.claim(pid=1)
    store.requeue_interrupted(max_attempts=4)
    job = store.get("w")
    assert job.status == "failed" and "stopped 4 times" in job.error
    assert [e.kind for e in store.events("w")].count("interrupted") == 3


def test_events_after_a_sequence_number_and_the_end(store: JobStore) -> None:
    store.enqueue("read", {}, job_id="r")
    store.claim(pid=1)
    store.event("r", "step", node="ingest", figures={"added": 2})
    seen = store.events("r")
    store.finish("r", result={"volumes": ["Tex"]})
    later = store.events("r", after=seen[-1].seq)
    assert [e.kind for e in later] == ["done"] and later[0].data["result"] == {"volumes": ["Tex"]}
    assert seen[-1].as_dict()["node"] == "ingest" and store.get("r").status == "done"


def test_the_memory_write_counter(store: JobStore) -> None:
    assert store.counter("memory_writes") == 0
    store.bump("memory_writes")
    store.bump("memory_writes")
    assert store.counter("memory_writes") == 2


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0", ("image", ".png")),
        (b"\xff\xd8\xff\xe0", ("image", ".jpg")),
        (b"RIFF\0\0\0\0WEBPVP8 ", ("image", ".webp")),
        (b"II*\0", ("image", ".tif")),
        (b"PK\x03\x04", ("zip", ".cbz")),
        (b"Rar!\x1a\x07\x01\0", ("rar", ".cbr")),
        (b"7z\xbc\xaf\x27\x1c", ("7z", ".cb7")),
        (b"%PDF-1.7", ("pdf", ".pdf")),
        (b"<html>", None),
        (b"\x7fELF", None),
        (b"", None),
    ],
)
def test_uploads_are_known_by_their_first_bytes(head: bytes, kind) -> None:
    assert sniff_kind(head) == kind


def test_upload_names() -> None:
    assert safe_name("Tex 1 - Il totem misterioso.cbr", ".cbr") == "Tex 1 - Il totem misterioso.cbr"
    assert safe_name("comic.zip", ".cbz") == "comic.zip"  # a ZIP may be called .zip or .cbz
    assert safe_name("page.jpeg", ".jpg") == "page.jpeg"
    assert safe_name("page.png", ".pdf") == "page.pdf"  # the bytes decide
    assert safe_name("", ".png") == "upload.png" and safe_name("...", ".png") == "upload.png"
    assert volume_from("C:\\scans\\Tex 12.cbz") == "Tex 12"


def test_the_token_is_kept_hashed(tmp_path: Path) -> None:
    token = new_token(tmp_path)
    assert (
        stored_digest(tmp_path) == token_digest(token)
        and token not in (tmp_path / "server/token.json").read_text()
    )
    assert (tmp_path / "server/token.json").stat().st_mode & 0o777 == 0o600
    assert new_token(tmp_path) != token and stored_digest(tmp_path) != token_digest(token)


def test_the_guard(tmp_path: Path) -> None:
    local = Guard(loopback_only=True)
    assert local.authenticated(Headers({}), {}) == (True, False)
    token = "s3cret-token"
    guard = Guard(token_digest=token_digest(token), loopback_only=False)
    assert guard.authenticated(Headers({}), {}) == (False, False)
    assert guard.authenticated(Headers({"authorization": f"Bearer {token}"}), {}) == (True, True)
    assert guard.authenticated(Headers({"authorization": "Bearer nope"}), {}) == (False, True)
    assert guard.login("nope") is None
    session = guard.login(token)
    assert guard.authenticated(Headers({}), {SESSION_COOKIE: session}) == (True, False)
    guard.sessions[session] = time.time() - 1  # expired
    assert guard.authenticated(Headers({}), {SESSION_COOKIE: session}) == (False, False)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
