"""Server mode: the memory over a real `chroma run` on 127.0.0.1 that the test starts and always stops."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from agent.cli.main import cli
from memory.errors import MemoryStoreError
from memory.records import MemoryRecord, Provenance
from memory.retrieval import search
from memory.store import MemoryStore
from tools.settings import MemorySettings, load_settings

pytestmark = pytest.mark.real
READY_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _chroma() -> str:
    found = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(found).exists():
        pytest.skip("the `chroma` command (chromadb) is not installed")
    return found


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """`chroma run --path DIR --host 127.0.0.1 --port N`; waits (bounded) until its heartbeat answers."""
    port = _free_port()
    args = [
        _chroma(),
        "run",
        "--path",
        str(tmp_path / "server-db"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log = tmp_path / "chroma.log"  # a file, not a pipe: the server logs every request and would block
    with log.open("wb") as err:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited: {log.read_text(errors='replace')[-800:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"chroma run not answering after {READY_TIMEOUT:.0f}s")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _server_settings(home: Path, port: int):
    settings = load_settings(home=home, models={"embedder": "fake"})
    return settings.model_copy(update={"memory": MemorySettings(mode="server", host="127.0.0.1", port=port)})


def test_store_works_against_a_chroma_server(chroma_server: int, isolated_home: Path) -> None:
    store = MemoryStore.open(_server_settings(isolated_home, chroma_server))
    assert store.location == f"http://127.0.0.1:{chroma_server}"
    records = [
        MemoryRecord(
            kind="line",
            key=f"V#{i}",
            text=text,
            metadata={"speaker": who, "characters": [who]},
            provenance=Provenance(volume="V", page_index=i, balloon_ids=[f"p{i}:b0"]),
        )
        for i, (who, text) in enumerate(
            [("Tex", "Sella i cavalli, Carson."), ("Mefisto", "Le mie ombre ti avranno!")]
        )
    ]
    assert store.upsert(records).added == 2
    assert store.upsert(records).unchanged == 2
    [hit] = search(store, "ombre", character="Mefisto", k=5)
    assert hit.text == "Mefisto: Le mie ombre ti avranno!" and hit.provenance.page_index == 1
    assert not (isolated_home / "memory").exists()  # nothing embedded on disk in server mode
    assert store.remove_volume("V")["line"] == 2


def test_cli_uses_the_server_from_the_environment(chroma_server: int, isolated_home: Path) -> None:
    env = {
        "NUVOLA_MEMORY__MODE": "server",
        "NUVOLA_MEMORY__PORT": str(chroma_server),
        "NUVOLA_MODELS__EMBEDDER": "fake",
    }
    result = CliRunner().invoke(cli, ["memory", "profile", "load", "tex"], env=env)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["memory", "stats"], env=env)
    assert f"http://127.0.0.1:{chroma_server}" in result.output and "11" in result.output


def test_unreachable_server_is_a_clear_error(isolated_home: Path) -> None:
    with pytest.raises(MemoryStoreError, match="no Chroma server answers at 127.0.0.1.*chroma run"):
        MemoryStore.open(_server_settings(isolated_home, _free_port()))
