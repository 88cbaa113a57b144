"""`nuvola serve` driven over HTTP with httpx: upload a generated volume and follow its reading, browse
pages, search the memory, write a 1-page issue with the scripted model and read it back, co-write in a
chat, and the load check. The worker is a real second process."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from tests.test_serve_harness import Served, start_server, synth_volume, truth_words


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    home, tmp = tmp_path_factory.mktemp("serve-home"), tmp_path_factory.mktemp("serve-tmp")
    running = start_server(home, tmp)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def read_volume(served: Served, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One generated volume uploaded as a CBZ and read (rules-only reconstruction), with its events."""
    cbz = synth_volume(tmp_path_factory.mktemp("synth"), pages=2, seed=3)
    with served.client() as api, cbz.open("rb") as handle:
        answer = api.ok(
            "POST",
            "/api/uploads",
            files={"files": (cbz.name, handle, "application/zip")},
            data={"use_llm": "false"},
        )
        events = api.events(answer["job"]["id"])
        job = api.ok("GET", f"/api/jobs/{answer['job']['id']}")
    return {"answer": answer, "events": events, "job": job, "words": truth_words(cbz), "name": cbz.stem}


def test_the_page_and_its_headers(served: Served) -> None:
    with served.client() as api:
        page = api.get("/")
        assert page.status_code == 200 and '<script src="/static/app.js">' in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert api.cookies.get("nuvola_csrf")
        assert api.get("/static/app.js").status_code == 200
        health = api.ok("GET", "/api/health")
        assert health["worker"]["pid"] and health["token_required"] is False


def test_upload_is_read_with_progress_events(read_volume: dict) -> None:
    answer, events, job = read_volume["answer"], read_volume["events"], read_volume["job"]
    assert answer["pages"] == 2 and answer["warnings"] == []
    steps = [e["node"] for e in events if e["event"] == "step"]
    assert steps[:2] == ["ingest", "ocr"] and "remember" in steps and steps[-1] == "finish"
    figures = {e["node"]: e["figures"] for e in events if e["event"] == "step"}
    assert figures["ingest"]["added"] == 2 and figures["ocr"]["read"] > 0 and figures["remember"]["added"] > 0
    assert events[-1]["event"] == "done" and job["status"] == "done", job
    assert job["result"]["volumes"] == [read_volume["name"]]


def test_volumes_pages_overlays_and_transcripts(served: Served, read_volume: dict) -> None:
    with served.client() as api:
        volumes = api.ok("GET", "/api/volumes")
        volume = next(v for v in volumes if v["name"] == read_volume["name"])
        assert volume["pages"] == 2 and volume["panels"] > 0 and volume["transcribed"] > 0
        pages = api.ok("GET", f"/api/volumes/{read_volume['name']}/pages")
        page = api.ok("GET", f"/api/pages/{pages[0]['id']}")
        assert page["panels"] and page["balloons"] and page["volume"] == read_volume["name"]
        x, y, w, h = page["panels"][0]["box"]
        assert 0 <= x < x + w <= page["width"] and 0 <= y < y + h <= page["height"]
        read = " ".join(b["text"] or "" for b in page["balloons"]).lower()
        assert sum(word in read for word in read_volume["words"]) >= 2, read
        image = api.get(f"/api/pages/{pages[0]['id']}/image")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_memory_search_finds_what_was_read(served: Served, read_volume: dict) -> None:
    with served.client() as api:
        volumes = {v["name"] for v in api.ok("GET", "/api/volumes")}
        assert read_volume["name"] in volumes
        word = read_volume["words"][0]
        hits = api.ok("GET", "/api/search", params={"q": word, "k": 5})["hits"]
        assert hits and any(word in h["text"].lower() for h in hits), hits
        lines = api.ok("GET", "/api/search", params={"q": word, "kind": "line", "k": 3})["hits"]
        assert lines and all(h["kind"] == "line" for h in lines)
        assert lines[0]["provenance"]["volume"] == read_volume["name"] and lines[0]["provenance"]["page_id"]


def test_a_second_reading_is_searchable_at_once(served: Served, read_volume: dict, tmp_path: Path) -> None:
    """Embedded Chroma keeps each process's index in memory: after the worker wrote the memory the server
    opens it again, so a volume read now is found by the next search."""
    cbz = synth_volume(tmp_path, pages=1, seed=8)
    query = {"q": read_volume["words"][0], "kind": "line", "volume": cbz.stem, "k": 5}
    with served.client() as api:
        assert api.ok("GET", "/api/search", params={**query, "volume": read_volume["name"]})["hits"]
        with cbz.open("rb") as handle:
            job = api.ok(
                "POST", "/api/uploads", files={"files": (cbz.name, handle)}, data={"use_llm": "false"}
            )["job"]
        assert api.finished(job["id"])["status"] == "done"
        hits = api.ok("GET", "/api/search", params=query)["hits"]
    assert hits and {h["provenance"]["volume"] for h in hits} == {cbz.stem}, hits


def test_pdf_and_cb7_uploads_read_into_one_volume(served: Served, tmp_path: Path) -> None:
    """Several files of other formats in one upload: one volume, every page."""
    import py7zr
    from PIL import Image

    folder = synth_volume(tmp_path, pages=2, seed=5).parent / "synth-5"
    first, second = sorted(folder.glob("page_*.png"))
    pdf, cb7 = tmp_path / "uno.pdf", tmp_path / "due.cb7"
    Image.open(first).save(pdf, "PDF", resolution=150)
    with py7zr.SevenZipFile(cb7, "w") as archive:
        archive.write(second, second.name)
    with served.client() as api, pdf.open("rb") as a, cb7.open("rb") as b:
        answer = api.ok(
            "POST",
            "/api/uploads",
            files=[("files", (pdf.name, a)), ("files", (cb7.name, b))],
            data={"volume": "Misto", "use_llm": "false"},
        )
        assert answer["pages"] == 2
        job = api.finished(answer["job"]["id"])
        assert job["status"] == "done" and job["result"]["volumes"] == ["Misto"], job
        pages = api.ok("GET", "/api/volumes/Misto/pages")
    assert [p["source"] for p in pages] == ["uno.pdf/page 0001", "due.cb7/page_002.png"]


def test_write_a_one_page_issue_and_read_it(served: Served) -> None:
    plot = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
    with served.client() as api:
        job = api.ok("POST", "/api/issues", json={"plot": plot, "pages": 1, "seed": 2})["job"]
        events = api.events(job["id"])
        nodes = [e["node"] for e in events if e["event"] == "step"]
        assert nodes[0] == "prepare" and "outline" in nodes and nodes[-2:] == ["deliver", "illustrate"]
        assert events[-1]["event"] == "done", events[-1]
        issue = api.ok("GET", f"/api/issues/{job['id']}")
        assert issue["status"] == "done" and issue["pages"] == 1 and issue["title"]
        assert {"cbz", "pdf", "md", "json"} <= set(issue["downloads"])
        assert api.get(f"/api/issues/{job['id']}/pages/1").content.startswith(b"\x89PNG")
        assert api.get(f"/api/issues/{job['id']}/pages/2").status_code == 404
        cbz = api.get(f"/api/issues/{job['id']}/download/cbz")
        assert "attachment" in cbz.headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(cbz.content)) as archive:
            assert sum(n.endswith(".png") for n in archive.namelist()) == 1
        assert api.get(f"/api/issues/{job['id']}/download/pdf").content.startswith(b"%PDF")
        assert any(i["id"] == job["id"] for i in api.ok("GET", "/api/issues"))


def test_chat_session_with_the_chat_commands(served: Served) -> None:
    storyline = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
    with served.client() as api:
        session = api.finished(api.ok("POST", "/api/chat", json={"pages": 1})["job"]["id"])["result"][
            "session"
        ]

        def say(**body):
            return api.finished(api.ok("POST", f"/api/chat/{session}/messages", json=body)["job"]["id"])

        assert say(text=storyline)["status"] == "done"
        state = api.ok("GET", f"/api/chat/{session}")
        assert state["stage"] == "outline" and any(t["kind"] == "outline" for t in state["turns"])
        shown = say(text="/edit")["result"]["edit_text"]  # the editor's text comes back to the page
        assert "SCENA 1" in shown and "TITOLO:" in shown, shown
        edited = "\n".join(
            "TITOLO: LA VALLE DEL FUOCO" if line.startswith("TITOLO:") else line
            for line in shown.splitlines()
        )
        assert say(text="/edit", edit_text=edited)["status"] == "done"
        assert api.ok("GET", f"/api/chat/{session}")["title"] == "LA VALLE DEL FUOCO"
        say(text="/model narrator=llamacpp:/etc/passwd")
        turns = api.ok("GET", f"/api/chat/{session}")["turns"]
        assert "not available in the web chat" in turns[-1]["text"]
        assert say(text="/help")["status"] == "done"
        assert "/outline" in api.ok("GET", f"/api/chat/{session}")["turns"][-1]["text"]
        assert any(s["id"] == session for s in api.ok("GET", "/api/chat"))
        assert say(text="ok")["status"] == "done"  # the outline approved: scene 1 is written
        assert say(text="ok")["status"] == "done"  # on to delivery: the page is drawn
        state = api.ok("GET", f"/api/chat/{session}")
        assert state["stage"] == "done" and state["drawn"]["pages"] == 1, state["turns"][-3:]
        assert api.get(f"/api/chat/{session}/pages/1").content.startswith(b"\x89PNG")
        assert api.get(f"/api/chat/{session}/download/cbz").content[:2] == b"PK"


def test_bounded_load(served: Served, read_volume: dict) -> None:
    """Concurrent searches and page views: no error, and the latencies reported."""
    from agent.server.loadtest import run_load

    started = time.perf_counter()
    report = run_load(
        served.url, searches=20, page_views=60, concurrency=10, queries=read_volume["words"][:5]
    )
    print(report.table())
    assert report.errors == 0, report.failures[:3]
    assert report.count("search") == 20 and report.count("page") == 60
    assert time.perf_counter() - started < 30


# ---- the web page in headless Chromium ---------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package `chromium`; `make setup` installs it)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is a dev dependency (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


def test_the_web_page_reads_searches_writes_and_shows_the_issue(
    served: Served, browser, tmp_path: Path
) -> None:
    """Upload a generated volume and watch it read, look at a page's overlays, search, write a 1-page issue
    and read it in the viewer: all through the page, as a reader would."""
    cbz = synth_volume(tmp_path, pages=1, seed=11)
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(served.url + "/")

    page.set_input_files("#upload-files", str(cbz))
    page.check("#upload-rules")
    page.click("#upload-submit")
    done = page.wait_for_selector("#upload-done", timeout=90_000)
    assert done.inner_text().startswith("read: "), page.inner_text("#upload-log")
    assert "✓ OCR" in page.inner_text("#upload-log")  # progress came as server-sent events

    page.locator("a.volume-link", has_text=cbz.stem).click()
    page.click(".page-link")
    page.wait_for_selector("#overlay rect.panel")
    assert page.locator("#overlay rect.balloon").count() >= 1
    assert page.locator("#transcript li").count() == page.locator("#overlay rect.balloon").count()
    page.uncheck("#show-panels")
    assert "hide-panels" in page.get_attribute("#overlay", "class")
    assert page.evaluate("document.getElementById('page-image').naturalWidth") > 0

    word = truth_words(cbz)[0]
    page.click("#nav-search")
    page.fill("#search-q", word)
    page.press("#search-q", "Enter")
    page.wait_for_selector("#hits li.hit")
    assert word in page.inner_text("#hits").lower()

    page.click("#nav-write")
    page.fill("#write-plot", "Tex e Kit Carson difendono un ranch dai predoni al confine del Texas")
    page.fill("#write-pages", "1")
    page.click("#write-submit")
    page.wait_for_selector("#open-issue", timeout=120_000)
    assert "✓ narrator: outline" in page.inner_text("#write-log")
    assert page.evaluate(
        "(() => { const b = document.getElementById('write-progress'); return b.value === b.max; })()"
    )
    page.click("#open-issue")
    page.wait_for_selector("#viewer-page")
    shown = "(() => { const i = document.getElementById('viewer-page'); return i.complete && i.naturalWidth > 0; })()"
    deadline = time.monotonic() + 30  # polled from here: the page's CSP forbids wait_for_function's eval
    while not page.evaluate(shown):
        assert time.monotonic() < deadline, "the viewer's page image did not load"
        time.sleep(0.05)
    assert page.inner_text("#viewer-count") == "1 / 1"
    assert page.is_disabled("#viewer-next")
    cbz_link = page.get_attribute("#download-cbz", "href")
    download = page.request.get(served.url + cbz_link)
    assert download.ok and download.body()[:2] == b"PK"
    assert not problems, problems


def test_the_page_asks_for_the_token_off_localhost(browser, tmp_path: Path) -> None:
    """Served on another address, the page opens the login dialog, refuses a wrong token, and takes the
    right one typed in or given in the address (#token=...), which it then removes from the address."""
    from agent.server.security import new_token, stored_digest

    token = new_token(tmp_path)
    running = start_server(
        tmp_path, tmp_path, host="0.0.0.0", token_digest=stored_digest(tmp_path), worker=False
    )
    try:
        page = browser.new_page()
        page.goto(running.url + "/")
        page.wait_for_selector("#login[open]")
        page.fill("#login-token", "wrong")
        page.click("#login-form button")
        page.wait_for_selector("#login-error:has-text('wrong token')")
        page.fill("#login-token", token)
        page.click("#login-form button")
        page.wait_for_selector("#volumes td:has-text('nothing read yet')")
        assert not page.is_visible("#login")
        other = browser.new_page()
        other.goto(f"{running.url}/#token={token}")
        other.wait_for_selector("#volumes td:has-text('nothing read yet')")
        assert "token" not in other.url
    finally:
        running.stop()
