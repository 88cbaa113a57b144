"""A bounded load check for a running `nuvola serve`: concurrent memory searches and page views (page JSON
plus its image), with p50/p95 latencies and every error kept. Used by benchmarks/serve.py and the tests."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import httpx


@dataclass
class LoadReport:
    """Seconds per request by kind, and what failed."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    wall: float = 0.0

    @property
    def errors(self) -> int:
        return len(self.failures)

    def count(self, kind: str) -> int:
        return len(self.seconds.get(kind, []))

    def percentile(self, kind: str, q: float) -> float:
        values = sorted(self.seconds.get(kind, []))
        if not values:
            return float("nan")
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]

    def table(self) -> str:
        lines = [f"{'request':<8} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"]
        for kind, values in sorted(self.seconds.items()):
            lines.append(
                f"{kind:<8} {len(values):>5} {1000 * self.percentile(kind, 50):>8.1f} "
                f"{1000 * self.percentile(kind, 95):>8.1f} {1000 * max(values):>8.1f}"
            )
        lines.append(f"errors {self.errors}; wall {self.wall:.1f} s")
        return "\n".join(lines)


def page_ids(client: httpx.Client) -> list[str]:
    """Every catalogued page id of the server."""
    ids: list[str] = []
    for volume in _json(client.get("/api/volumes")):
        ids += [p["id"] for p in _json(client.get(f"/api/volumes/{volume['name']}/pages"))]
    return ids


def run_load(
    url: str,
    *,
    searches: int = 50,
    page_views: int = 200,
    concurrency: int = 50,
    queries: list[str] | None = None,
    token: str | None = None,
) -> LoadReport:
    """Fire `searches` searches and `page_views` page views, `concurrency` at a time, and time each."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    report = LoadReport()
    with httpx.Client(
        base_url=url, headers=headers, timeout=120, limits=httpx.Limits(max_connections=concurrency)
    ) as client:
        pages = page_ids(client)
        if not pages and page_views:
            raise ValueError(f"{url} has no page to view: read a volume first")
        words = queries or ["Tex", "Carson", "forte", "bandito"]
        calls: list[tuple[str, Callable[[], None]]] = []
        calls += [("search", partial(_search, client, words[i % len(words)])) for i in range(searches)]
        calls += [("page", partial(_view, client, pages[i % len(pages)])) for i in range(page_views)]
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            for kind, seconds, failure in pool.map(_timed, calls):
                report.seconds.setdefault(kind, []).append(seconds)
                if failure:
                    report.failures.append(f"{kind}: {failure}")
        report.wall = time.perf_counter() - started
    return report


def _timed(call: tuple[str, Callable[[], None]]) -> tuple[str, float, str | None]:
    kind, fn = call
    start = time.perf_counter()
    try:
        fn()
        failure = None
    except (httpx.HTTPError, AssertionError) as exc:
        failure = f"{type(exc).__name__}: {exc}"
    return kind, time.perf_counter() - start, failure


def _search(client: httpx.Client, query: str) -> None:
    _ok(client.get("/api/search", params={"q": query, "k": 10}))


def _view(client: httpx.Client, page_id: str) -> None:
    _ok(client.get(f"/api/pages/{page_id}"))
    _ok(client.get(f"/api/pages/{page_id}/image"))


def _ok(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise AssertionError(f"{response.request.url.path}: {response.status_code} {response.text[:200]}")


def _json(response: httpx.Response) -> list[dict[str, str]]:
    _ok(response)
    return response.json()
