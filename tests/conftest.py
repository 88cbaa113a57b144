"""Shared fixtures: an isolated data home, the scripted fake model, and the ../shared test data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own NUVOLA_HOME and no stray config file or NUVOLA_* variable."""
    home = tmp_path_factory.mktemp("nuvola-home")
    for key in list(os.environ):
        if key.startswith("NUVOLA_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NUVOLA_HOME", str(home))
    monkeypatch.setenv("NUVOLA_CONFIG", str(home / "absent.toml"))
    return home


@pytest.fixture
def fake_llm():
    """A fresh scripted FakeLLM (not the cached registry instance)."""
    from tools.models import get_llm

    return get_llm("fake", fresh=True)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the repo; tests that need it skip with a reason when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared (test corpus and real comic pages) is not beside the repo")
    return SHARED
