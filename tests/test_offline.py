"""Model loaders keep Hugging Face libraries off the network, and leave a user's own setting alone."""

from __future__ import annotations

import os

import pytest

from tools.offline import OFFLINE_ENV, forbid_downloads


def test_offline_defaults_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in OFFLINE_ENV:
        monkeypatch.delenv(key, raising=False)
    forbid_downloads()
    assert os.environ["USE_HUB_KERNELS"] == "0" and os.environ["HF_HUB_OFFLINE"] == "1"


def test_a_users_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    forbid_downloads()
    assert os.environ["HF_HUB_OFFLINE"] == "0"


def test_the_hf_loader_sets_them_before_loading(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from tools.errors import ModelLoadError
    from tools.models.hf import load_causal_lm

    monkeypatch.delenv("USE_HUB_KERNELS", raising=False)
    with pytest.raises(ModelLoadError):
        load_causal_lm(str(tmp_path / "missing"))
    assert os.environ["USE_HUB_KERNELS"] == "0"
