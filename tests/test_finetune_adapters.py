"""The adapter registry and how the model seam and the writers' role models pick adapters up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import ModelLoadError
from tools.models import get_llm
from tools.models.adapters import (
    AdapterRecord,
    UnknownAdapterError,
    adapter_dir,
    adapter_slug,
    find_adapter,
    get_adapter,
    is_compatible,
    list_adapters,
    model_for_role_with_adapter,
    register_adapter,
    remove_adapter,
    resolve_adapter_option,
    set_adapter_enabled,
)
from tools.ocr.cleaner import configured_cleaner
from tools.settings import load_settings


def _fake_adapter(home: Path, name: str, base: str, gguf: bool = True, peft: bool = True) -> AdapterRecord:
    folder = adapter_dir(home, name)
    folder.mkdir(parents=True, exist_ok=True)
    if gguf:
        (folder / "adapter.gguf").write_bytes(b"GGUF")
    if peft:
        (folder / "peft").mkdir(exist_ok=True)
    record = AdapterRecord(
        name=name,
        kind=name.split(":")[0],
        base=base,
        gguf="adapter.gguf" if gguf else None,
        peft="peft" if peft else None,
    )
    return register_adapter(home, record)


@pytest.fixture
def gguf_base(tmp_path: Path) -> Path:
    """A stand-in GGUF path: llama.cpp models load lazily, so constructing one reads nothing."""
    path = tmp_path / "base.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_slug_and_lookup_are_case_insensitive(isolated_home: Path) -> None:
    assert adapter_slug("voice:Kit Carson") == "voice-kit-carson"
    _fake_adapter(isolated_home, "voice:Kit Carson", "llamacpp:gemma3-270m")
    assert find_adapter(isolated_home, "VOICE:kit carson").name == "voice:Kit Carson"
    assert [r.name for r in list_adapters(isolated_home)] == ["voice:Kit Carson"]
    with pytest.raises(UnknownAdapterError, match="voice:Tex.*registered: voice:Kit Carson"):
        get_adapter(isolated_home, "voice:Tex")


def test_register_refuses_missing_files_and_unregistered_folders_are_ignored(isolated_home: Path) -> None:
    folder = adapter_dir(isolated_home, "style:tex")
    folder.mkdir(parents=True)
    with pytest.raises(ModelLoadError, match="adapter.gguf"):
        register_adapter(
            isolated_home,
            AdapterRecord(name="style:tex", kind="style", base="llamacpp:gemma3-270m", gguf="adapter.gguf"),
        )
    (folder / "adapter.json").write_text("{not json")  # a damaged manifest is not an adapter
    assert list_adapters(isolated_home) == []


def test_remove_and_disable(isolated_home: Path) -> None:
    _fake_adapter(isolated_home, "ocr-clean", "llamacpp:gemma3-270m")
    assert set_adapter_enabled(isolated_home, "ocr-clean", False).enabled is False
    assert get_adapter(isolated_home, "ocr-clean").enabled is False
    folder = remove_adapter(isolated_home, "ocr-clean")
    assert not folder.exists() and list_adapters(isolated_home) == []


def test_compatibility_needs_same_base_and_a_file_for_the_backend(
    isolated_home: Path, tmp_path: Path
) -> None:
    record = _fake_adapter(isolated_home, "style:tex", "llamacpp:gemma3-270m", peft=False)
    assert is_compatible(record, "llamacpp:gemma3-270m?temperature=0.5")
    assert is_compatible(record, "llamacpp:")  # the default alias
    assert not is_compatible(record, f"llamacpp:{tmp_path / 'other.gguf'}")
    assert not is_compatible(record, "hf:/somewhere")  # no peft folder, other base
    assert not is_compatible(record, "openai:http://localhost:8080/v1")
    assert not is_compatible(record, "fake")


def test_registry_option_resolves_names_to_backend_files(isolated_home: Path, gguf_base: Path) -> None:
    record = _fake_adapter(isolated_home, "style:tex", f"llamacpp:{gguf_base}")
    opts = resolve_adapter_option("llamacpp", {"adapter": "style:tex", "max_tokens": 5}, isolated_home)
    assert opts == {"lora": str(record.path_for("llamacpp")), "max_tokens": 5}
    assert resolve_adapter_option("hf", {"adapter": "style:tex"}, isolated_home) == {
        "adapter": str(record.path_for("hf"))
    }
    assert resolve_adapter_option("fake", {"adapter": "style:tex"}, isolated_home) == {}
    with pytest.raises(UnknownAdapterError):
        resolve_adapter_option("llamacpp", {"adapter": "voice:Nobody"}, isolated_home)


def test_model_seam_loads_a_registered_adapter_by_name(isolated_home: Path, gguf_base: Path) -> None:
    record = _fake_adapter(isolated_home, "style:tex", f"llamacpp:{gguf_base}")
    llm = get_llm(f"llamacpp:{gguf_base}?adapter=style:tex", fresh=True)
    assert llm.lora_path == str(record.path_for("llamacpp"))
    assert get_llm(f"llamacpp:{gguf_base}", fresh=True).lora_path is None  # existing behaviour intact


def test_role_models_pick_up_their_adapters(isolated_home: Path, gguf_base: Path) -> None:
    base = f"llamacpp:{gguf_base}"
    settings = load_settings(models={"narrator": base, "voice": base, "ocr_cleaner": base, "chat": base})
    assert (
        model_for_role_with_adapter(settings, "voice", character="Kit Carson") == base
    )  # nothing trained yet
    style = _fake_adapter(isolated_home, "style:tex", base)
    voice = _fake_adapter(isolated_home, "voice:Kit Carson", base)
    ocr = _fake_adapter(isolated_home, "ocr-clean", base)
    gguf = "lora="
    assert f"{gguf}{style.path_for('llamacpp')}" in model_for_role_with_adapter(settings, "narrator")
    assert f"{gguf}{voice.path_for('llamacpp')}" in model_for_role_with_adapter(
        settings, "voice", character="Kit Carson"
    )
    assert f"{gguf}{style.path_for('llamacpp')}" in model_for_role_with_adapter(
        settings, "voice", character="Tex"
    )
    assert f"{gguf}{ocr.path_for('llamacpp')}" in model_for_role_with_adapter(settings, "ocr_cleaner")
    # transcribe --clean and the OCR eval build their cleaner the same way, adapter included
    assert configured_cleaner(settings).llm.lora_path == str(ocr.path_for("llamacpp"))
    assert model_for_role_with_adapter(settings, "chat") == base
    assert f"{gguf}{voice.path_for('llamacpp')}" in model_for_role_with_adapter(
        settings, "chat", "voice:Kit Carson"
    )
    set_adapter_enabled(isolated_home, "style:tex", False)
    assert model_for_role_with_adapter(settings, "narrator") == base
    llm = get_llm(model_for_role_with_adapter(settings, "voice", character="Kit Carson"), fresh=True)
    assert llm.lora_path == str(voice.path_for("llamacpp"))
    assert (
        get_llm(model_for_role_with_adapter(settings, "voice", character="Tex"), fresh=True).lora_path is None
    )


def test_role_adapter_is_skipped_for_another_base(isolated_home: Path, gguf_base: Path) -> None:
    _fake_adapter(isolated_home, "style:tex", "llamacpp:gemma3-270m")
    settings = load_settings(models={"narrator": f"llamacpp:{gguf_base}"})
    assert model_for_role_with_adapter(settings, "narrator") == f"llamacpp:{gguf_base}"


def test_explicit_adapter_in_the_configured_name_resolves_against_the_settings_home(
    isolated_home: Path, gguf_base: Path, tmp_path: Path
) -> None:
    other_home = tmp_path / "elsewhere"
    record = _fake_adapter(other_home, "voice:Tex", f"llamacpp:{gguf_base}")
    settings = load_settings(home=other_home, models={"voice": f"llamacpp:{gguf_base}?adapter=voice:Tex"})
    name = model_for_role_with_adapter(settings, "voice", character="Tex")
    assert get_llm(name, fresh=True).lora_path == str(record.path_for("llamacpp"))
