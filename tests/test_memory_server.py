"""Server mode: the memory over a real `chroma run` on 127.0.0.1 that the test starts and always stops."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from memory.errors import MemoryStoreError
from memory.records import MemoryRecord, Provenance
from memory.retrieval import search
from memory.store import MemoryStore
from tests.servers import free_port, local_command_server
from tools.settings import MemorySettings, load_settings

pytestmark = pytest.mark.real
READY_TIMEOUT = 60.0


def _chroma() -> str:
    found = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(found).exists():
        pytest.skip("the `chroma` command (chromadb) is not installed")
    return found


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """`chroma run --path DIR --host 127.0.0.1 --port N`; waits (bounded) until its heartbeat answers."""
    port = free_port()
    argv = [
        _chroma(),
        "run",
        "--path",
        str(tmp_path / "server-db"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with local_command_server(argv, "/api/v2/heartbeat", port, timeout=READY_TIMEOUT):
        yield port


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


def test_a_client_sees_what_another_client_wrote_in_a_filtered_query(
    chroma_server: int, isolated_home: Path
) -> None:
    """Each client remembers which ids a filter matches; another client's write renews the collection's
    generation token, so the first one asks again (memory/matching.py)."""
    settings = _server_settings(isolated_home, chroma_server)
    reader, writer = MemoryStore.open(settings), MemoryStore.open(settings)
    mefisto = {"speaker": "Mefisto"}

    def line(n: int, text: str) -> MemoryRecord:
        return MemoryRecord(
            kind="line",
            key=f"V#{n}",
            text=text,
            metadata={"speaker": "Mefisto"},
            provenance=Provenance(volume=f"V{n}"),
        )

    writer.upsert([line(0, "Le mie ombre ti avranno!")])
    assert [r.text for r, _ in reader.query("line", text="ombre", where=mefisto)] == [
        "Le mie ombre ti avranno!"
    ]
    writer.upsert([line(1, "Vi ritroverò tutti!")])
    writer.remove_volume("V0")
    assert [r.text for r, _ in reader.query("line", text="ombre", where=mefisto)] == ["Vi ritroverò tutti!"]


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
        MemoryStore.open(_server_settings(isolated_home, free_port()))
