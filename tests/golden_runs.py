"""Fixed runs whose outputs must not change when the code is reorganised (the issue-18 redesign).

`python -m tests.golden_runs OUT_DIR` writes the golden files from whatever code is importable (it was run
on main before the redesign, see tests/data/golden/README.md); tests/test_redesign_golden.py runs the same
scenarios on the current code and compares. Each scenario returns plain JSON with no time or path in it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
ROLES = ("narrator", "director", "voice")
GOLDEN = Path(__file__).parent / "data" / "golden"


def _first(*names: str) -> Any:
    """`module:attr` from the first module that exists (the pre- and post-redesign locations)."""
    for name in names:
        module, attr = name.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(names[0])


@contextmanager
def without_corpus() -> Iterator[None]:
    """The writers as they are without ../shared's novels (no speech model, no line bank), wherever the run
    happens: the corpus is optional, and a clone without it must write the same script."""
    caches = [
        _first("agent.write.rerank:speech_model", "agent.rerank:speech_model"),
        _first("tools.dialogue.bank:corpus_bank"),
    ]
    before = os.environ.get("NUVOLA_CORPUS_DIR")
    os.environ["NUVOLA_CORPUS_DIR"] = str(Path(tempfile.gettempdir()) / "nuvola-golden-no-corpus")
    for cached in caches:
        cached.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NUVOLA_CORPUS_DIR", None)
        else:
            os.environ["NUVOLA_CORPUS_DIR"] = before
        for cached in caches:
            cached.cache_clear()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def write_scenario(workdir: Path, llm: Any) -> dict[str, Any]:
    """write_issue with the scripted writer for seed 7: the script and the drawn pages' hashes."""
    from tests.graph_fakes import WritingResponder
    from tools.settings import load_settings

    write_issue = _first("agent.write.run:write_issue", "agent.run:write_issue")
    llm.responder = WritingResponder()
    with without_corpus():
        script = write_issue(
            PLOT,
            3,
            workdir / "out",
            settings=load_settings(),
            run_id="golden",
            seed=7,
            models={role: llm for role in ROLES},
            render={"dpi": 50},
        )
    pages = sorted((workdir / "out" / "pages").glob("*.png"))
    return {"script": script.model_dump(mode="json"), "pages": [_sha(p) for p in pages]}


def chat_scenario(workdir: Path) -> dict[str, Any]:
    """`nuvola chat` through the CLI: a plot, a note, ok, a dialogue rewrite, /save: the saved script."""
    from click.testing import CliRunner

    from tests.graph_fakes import WritingResponder
    from tools.models import clear_cache, get_llm

    cli = _first("cli.main:cli", "agent.cli.main:cli")
    clear_cache()
    llm = get_llm("fake")
    llm.responder = WritingResponder()
    fake = ["-m", "narrator=fake", "-m", "director=fake", "-m", "voice=fake"]
    said = [f"{PLOT}. 2 pagine", "Aggiungi un tradimento", "ok", "riscrivi i dialoghi", "/save", "/quit"]
    try:
        with without_corpus():
            result = CliRunner().invoke(cli, [*fake, "chat"], input="\n".join(said) + "\n")
    finally:
        clear_cache()
    if result.exit_code != 0:
        raise RuntimeError(result.output) from result.exception
    home = Path(os.environ["NUVOLA_HOME"])
    (session,) = [p for p in (home / "chats").iterdir() if p.is_dir()]
    script = json.loads((session / "script.json").read_text(encoding="utf-8"))
    script.pop("run_id", None)
    return {"script": script, "prompts": len(llm.prompts)}


def read_scenario(workdir: Path) -> dict[str, Any]:
    """`read_paths` on a two-page generated volume (Tesseract, no LLM): figures, transcripts, the story."""
    from tools.ingest.catalogue import Catalogue
    from tools.settings import load_settings
    from tools.synth import generate_volume

    read_paths = _first("agent.read.run:read_paths", "agent.reader:read_paths")
    generate_volume(workdir / "albo", pages=2, seed=5, height=1000)
    stories: dict[str, Any] = {}

    def on_step(node: str, update: dict[str, Any]) -> None:
        for volume, story in (update.get("story") or {}).items():
            if story:
                stories[volume] = story

    settings = load_settings()
    values = read_paths([workdir / "albo"], settings, volume="albo", use_llm=False, on_step=on_step)
    with Catalogue.open(settings) as catalogue:
        balloons = [
            [b.id, b.kind, b.text, b.speaker, b.ocr_confidence is not None]
            for page in catalogue.pages("albo")
            for b in catalogue.balloons(page.id)
        ]
    done = {key: _without_paths(value) for key, value in values["done"].items()}
    return {"ingest": _without_paths(values["ingest"]), "done": done, "balloons": balloons, "story": stories}


def _without_paths(value: Any) -> Any:
    """Figures with the temporary folder's name taken out."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return json.loads(text.replace(str(Path(tempfile.gettempdir())), "<tmp>"))


def main(out: Path) -> None:
    """Run every scenario in a fresh home and write its golden JSON under `out`."""
    from tools.models import get_llm

    os.environ["NUVOLA_MODELS__EMBEDDER"] = "fake"
    out.mkdir(parents=True, exist_ok=True)
    scenarios = {
        "write_seed7.json": lambda d: write_scenario(d, get_llm("fake", fresh=True)),
        "chat_cli.json": chat_scenario,
        "read_albo.json": read_scenario,
    }
    for name, scenario in scenarios.items():
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["NUVOLA_HOME"] = str(Path(tmp) / "home")
            os.environ["NUVOLA_CONFIG"] = str(Path(tmp) / "absent.toml")
            result = scenario(Path(tmp))
        (out / name).write_text(json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        print("wrote", out / name)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN)
