"""`nuvola serve` over a Chroma server (memory.mode = "server", as compose.yaml runs it): the search route
sees what another process wrote at once. (The embedded memory's reopen is tested in test_serve.py.)"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from agent.server.app import ServeConfig, create_app
from memory.records import MemoryRecord, Provenance
from memory.store import MemoryStore
from tests.servers import free_port, local_command_server
from tools.settings import MemorySettings, load_settings

pytestmark = pytest.mark.real


def lines(volume: str, *texts: str) -> list[MemoryRecord]:
    return [
        MemoryRecord(
            kind="line",
            key=f"{volume}:{i}",
            text=text,
            metadata={"speaker": "Tex", "line": text},
            provenance=Provenance(volume=volume, page_index=0),
        )
        for i, text in enumerate(texts)
    ]


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
            update={"memory": MemorySettings(mode="server", host="127.0.0.1", port=port)}
        )
        writer = MemoryStore.open(settings)  # another process's client, as the worker's would be
        writer.upsert(lines("Tex 1", "FERMO LA, BANDITO DEL DESERTO"))
        app = create_app(ServeConfig(home=settings.home, start_worker=False), settings)
        with TestClient(app, base_url="http://localhost") as client:
            assert search(client, "bandito deserto")[0].endswith("FERMO LA, BANDITO DEL DESERTO")
            writer.upsert(lines("Tex 2", "IL CANYON DEI COYOTE CI ASPETTA"))
            assert any("COYOTE" in text for text in search(client, "canyon coyote"))
