"""`nuvola serve` over a Chroma server (memory.mode = "server", as compose.yaml runs it): the search route
sees what another process wrote at once, and the embedded-mode reader reopens after the worker writes."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from agent.server.app import ServeConfig, create_app
from agent.server.worker import MEMORY_COUNTER
from memory.records import MemoryRecord, Provenance
from memory.store import MemoryStore
from tests.servers import free_port, local_command_server
from tools.settings import MemorySettings, load_settings

pytestmark = pytest.mark.real


def lines(volume: str, *texts: str) -> list[MemoryRecord]:
    return [MemoryRecord(kind="line", key=f"{volume}:{i}", text=text, metadata={"speaker": "Tex", "line": text},
                         provenance=Provenance(volume=volume, page_index=0)) for i, text in enumerate(texts)]


def search(client: TestClient, query: str) -> list[str]:
    answer = client.get("/api/search", params={"q": query, "kind": "line", "k": 5})
    assert answer.status_code == 200, answer.text
    return [hit["text"] for hit in answer.json()["hits"]]


def test_search_over_a_chroma_server(tmp_path: Path) -> None:
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(chroma).exists():
        pytest.skip("the `chroma` command (chromadb) is not installed")
    port = free_port()
    argv = [chroma, "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1", "--port", str(port)]
    with local_command_server(argv, "/api/v2/heartbeat", port, timeout=60):
        settings = load_settings(tmp_path / "home", {"embedder": "fake"}).model_copy(
            update={"memory": MemorySettings(mode="server", host="127.0.0.1", port=port)})
        writer = MemoryStore.open(settings)  # another process's client, as the worker's would be
        writer.upsert(lines("Tex 1", "FERMO LA, BANDITO DEL DESERTO"))
        app = create_app(ServeConfig(home=settings.home, start_worker=False), settings)
        with TestClient(app, base_url="http://localhost") as client:
            assert search(client, "bandito deserto")[0].endswith("FERMO LA, BANDITO DEL DESERTO")
            writer.upsert(lines("Tex 2", "IL CANYON DEI COYOTE CI ASPETTA"))
            assert any("COYOTE" in text for text in search(client, "canyon coyote"))


def test_embedded_memory_is_reopened_after_the_worker_writes(tmp_path: Path) -> None:
    """Chroma keeps each process's index in memory: a write by another process shows only after a reopen,
    which the server does when the worker's write counter moves."""
    import subprocess

    settings = load_settings(tmp_path / "home", {"embedder": "fake"})
    MemoryStore.open(settings).upsert(lines("Tex 1", "FERMO LA, BANDITO DEL DESERTO"))
    app = create_app(ServeConfig(home=settings.home, start_worker=False), settings)
    with TestClient(app, base_url="http://localhost") as client:
        assert search(client, "bandito deserto")
        child = f"""
import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from memory.store import MemoryStore
from tests.test_serve_memory_server import lines
from tools.settings import load_settings
MemoryStore.open(load_settings({str(settings.home)!r}, {{"embedder": "fake"}})).upsert(
    lines("Tex 2", "IL CANYON DEI COYOTE CI ASPETTA"))
"""
        subprocess.run([sys.executable, "-c", child], check=True, timeout=120)
        app.state.jobs.bump(MEMORY_COUNTER)  # what the worker does after a reading job
        assert any("COYOTE" in text for text in search(client, "canyon coyote"))
