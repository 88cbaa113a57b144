"""The adapter registry: LoRA adapters under NUVOLA_HOME/adapters, found by name.

Each adapter lives in `adapters/<slug>/` with an `adapter.json` manifest (written last, atomically, so a
half-trained adapter is never registered), a GGUF LoRA for `llamacpp:` bases and a peft folder for `hf:`
bases. Names are `style:tex`, `voice:Kit Carson`, `ocr-clean`. The model seam resolves
`?adapter=NAME` (registry.py) and `model_for_role_with_adapter` gives each writer its adapter when one is
trained for its base, so new adapters are picked up without code changes.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tools.atomic import write_text_atomic
from tools.errors import ModelLoadError, UnknownModelError
from tools.models.spec import ModelSpec, parse_model_name

MANIFEST = "adapter.json"
ADAPTER_BACKENDS = ("llamacpp", "hf")


class UnknownAdapterError(UnknownModelError):
    """No adapter of that name is registered under NUVOLA_HOME/adapters."""


class AdapterRecord(BaseModel):
    """One registered LoRA adapter: what it was trained for and where its files are."""

    name: str = Field(description="registry name, e.g. 'style:tex', 'voice:Kit Carson', 'ocr-clean'")
    kind: str = Field(description="style | voice | dialogue | ocr-clean | custom")
    base: str = Field(description="model name it was trained on, e.g. 'llamacpp:gemma3-270m'")
    gguf: str | None = Field(None, description="GGUF LoRA file, relative to the adapter folder")
    peft: str | None = Field(None, description="peft adapter folder, relative to the adapter folder")
    enabled: bool = True
    rank: int | None = None
    alpha: float | None = None
    target_modules: list[str] = Field(default_factory=list)
    steps: int | None = None
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    metrics: dict[str, Any] = Field(default_factory=dict, description="before/after figures from the report")
    report: str | None = Field(None, description="report file, relative to the adapter folder")
    directory: Path | None = Field(None, exclude=True, description="the adapter folder (set when loaded)")

    def file(self, relative: str | None) -> Path | None:
        """An adapter file as an absolute path, or None when the adapter does not have it."""
        if relative is None or self.directory is None:
            return None
        return self.directory / relative

    def path_for(self, backend: str) -> Path | None:
        """The file a backend loads: the GGUF LoRA for llamacpp, the peft folder for hf."""
        return self.file(self.gguf if backend == "llamacpp" else self.peft if backend == "hf" else None)


def adapters_root(home: Path) -> Path:
    return Path(home) / "adapters"


def adapter_slug(name: str) -> str:
    """A folder name for an adapter name: 'voice:Kit Carson' -> 'voice-kit-carson'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if not slug:
        raise UnknownAdapterError(
            f"invalid adapter name {name!r}: use e.g. 'style:tex' or 'voice:Kit Carson'"
        )
    return slug


def adapter_dir(home: Path, name: str) -> Path:
    return adapters_root(home) / adapter_slug(name)


def _load_manifest(path: Path) -> AdapterRecord | None:
    try:
        record = AdapterRecord.model_validate(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, ValidationError):
        return None  # a foreign or damaged folder is not an adapter; `adapters list` shows only valid ones
    return record.model_copy(update={"directory": path.parent})


def list_adapters(home: Path) -> list[AdapterRecord]:
    """Every registered adapter, sorted by name."""
    root = adapters_root(home)
    if not root.is_dir():
        return []
    records = (_load_manifest(p) for p in sorted(root.glob(f"*/{MANIFEST}")))
    return sorted((r for r in records if r is not None), key=lambda r: r.name.lower())


def find_adapter(home: Path, name: str) -> AdapterRecord | None:
    """The adapter registered as `name` (case-insensitive), or None."""
    manifest = adapter_dir(home, name) / MANIFEST
    record = _load_manifest(manifest) if manifest.is_file() else None
    if record is not None and record.name.lower() == name.strip().lower():
        return record
    return next((r for r in list_adapters(home) if r.name.lower() == name.strip().lower()), None)


def get_adapter(home: Path, name: str) -> AdapterRecord:
    """The adapter registered as `name`; UnknownAdapterError lists the registered ones."""
    record = find_adapter(home, name)
    if record is None:
        known = ", ".join(r.name for r in list_adapters(home)) or "none"
        raise UnknownAdapterError(
            f"no adapter named {name!r} under {adapters_root(home)} (registered: {known}); "
            "train one with `nuvola finetune` or see `nuvola adapters list`"
        )
    return record


def register_adapter(home: Path, record: AdapterRecord) -> AdapterRecord:
    """Write the manifest of an adapter whose files are already in its folder; returns the loaded record."""
    folder = adapter_dir(home, record.name)
    for relative in (record.gguf, record.peft):
        if relative is not None and not (folder / relative).exists():
            raise ModelLoadError(
                f"{folder / relative}: adapter file missing, not registering {record.name!r}"
            )
    write_text_atomic(folder / MANIFEST, record.model_dump_json(indent=2) + "\n")
    return record.model_copy(update={"directory": folder})


def set_adapter_enabled(home: Path, name: str, enabled: bool) -> AdapterRecord:
    """Switch an adapter on or off for automatic use by the writers (explicit `?adapter=` still works)."""
    record = get_adapter(home, name).model_copy(update={"enabled": enabled})
    return register_adapter(home, record)


def remove_adapter(home: Path, name: str) -> Path:
    """Delete an adapter's folder; returns the folder removed."""
    record = get_adapter(home, name)
    assert record.directory is not None
    (record.directory / MANIFEST).unlink()  # unregister first, so a failed delete leaves no half adapter
    shutil.rmtree(record.directory)
    return record.directory


def _base_key(name: str) -> tuple[str, str]:
    spec = parse_model_name(name)
    target = spec.target or ("gemma3-270m" if spec.backend == "llamacpp" else "")
    if spec.backend in ("llamacpp", "hf") and ("/" in target or target.startswith("~")):
        target = str(Path(target).expanduser().resolve())
    return spec.backend, target


def is_compatible(record: AdapterRecord, model_name: str) -> bool:
    """Whether `record` can be applied to `model_name`: same base model and a file for its backend."""
    try:
        backend, target = _base_key(model_name)
    except UnknownModelError:
        return False
    if backend not in ADAPTER_BACKENDS or record.path_for(backend) is None:
        return False
    return _base_key(record.base)[1] == target


def with_adapter_path(model_name: str, record: AdapterRecord) -> str:
    """`model_name` with the adapter's file as the backend option (`lora=` for llamacpp, `adapter=` for hf)."""
    spec = parse_model_name(model_name)
    path = record.path_for(spec.backend)
    if path is None:
        raise ModelLoadError(f"adapter {record.name!r} has no file for the {spec.backend}: backend")
    key = "lora" if spec.backend == "llamacpp" else "adapter"
    options = {k: v for k, v in spec.options.items() if k not in ("adapter", "lora")}
    return ModelSpec(spec.backend, spec.target, {**options, key: str(path)}, spec.fragment).name


def resolve_adapter_option(backend: str, options: dict[str, Any], home: Path | None = None) -> dict[str, Any]:
    """Turn an `adapter=NAME` model option into the file the backend loads (used by the registry).

    A value that is an existing path is kept (hf: peft folder, llamacpp: .gguf file); otherwise it is a
    registered adapter name, looked up under `home` (default: the configured NUVOLA_HOME).
    """
    if "adapter" not in options:
        return options
    out = dict(options)
    value = str(out.pop("adapter"))
    if backend not in ADAPTER_BACKENDS:
        return out  # fake and server backends have no adapters; the option is dropped
    path = Path(value).expanduser()
    if not path.exists():
        record = get_adapter(home or _configured_home(), value)
        found = record.path_for(backend)
        if found is None:
            raise ModelLoadError(f"adapter {record.name!r} has no file for the {backend}: backend")
        path = found
    out["lora" if backend == "llamacpp" else "adapter"] = str(path)
    return out


def _configured_home() -> Path:
    from tools.settings import load_settings

    return load_settings().home


def default_adapter_for_role(series: str, role: str, character: str | None = None) -> list[str]:
    """Adapter names a role looks for, best first: the voice writer wants the character, then the series'
    dialogue (real quoted speech, `nuvola finetune dialogue`), then the style."""
    role = role.replace("-", "_")
    if role == "voice":
        return ([f"voice:{character}"] if character else []) + [f"dialogue:{series}", f"style:{series}"]
    if role in ("narrator", "completion"):
        return [f"style:{series}"]
    if role == "ocr_cleaner":
        return ["ocr-clean"]
    return []


def model_for_role_with_adapter(
    settings: Any, role: str, adapter_name: str | None = None, *, character: str | None = None
) -> str:
    """The role's model name with the best registered, enabled, compatible adapter applied.

    `adapter_name` asks for one adapter (then the role's defaults are not tried); without it the role's
    defaults are tried (`style:<series>` for the narrator, `voice:<character>`, `dialogue:<series>`, then the
    style for the voice writer, `ocr-clean` for the OCR cleaner). With no usable adapter the role's plain model comes back.
    """
    model_name = settings.model_for(role)
    home = Path(settings.home)
    spec = parse_model_name(model_name)
    if "adapter" in spec.options:  # configured explicitly, e.g. NUVOLA_MODELS__VOICE=...?adapter=voice:Tex
        return with_adapter_path(model_name, get_adapter(home, spec.options["adapter"]))
    wanted = [adapter_name] if adapter_name else default_adapter_for_role(settings.series, role, character)
    for name in wanted:
        record = find_adapter(home, name)
        if record is not None and record.enabled and is_compatible(record, model_name):
            return with_adapter_path(model_name, record)
    return model_name
