"""Hand-written sample plans (original Italian dialogue) for trying the renderer, its tests and benchmarks."""

from __future__ import annotations

from importlib.resources import files

from tools.comic_script import IssueScript

DEFAULT_SAMPLE = "il_carro_bruciato"


def sample_path(name: str = DEFAULT_SAMPLE) -> str:
    """The path of a shipped sample plan, for `nuvola render`."""
    return str(files("tools.render.samples").joinpath(f"{name}.json"))


def load_sample(name: str = DEFAULT_SAMPLE) -> IssueScript:
    """A shipped sample plan: 3 pages, Tex, Kit Carson, Tiger Jack and a villain, captions, thoughts, a sound."""
    return IssueScript.model_validate_json(
        files("tools.render.samples").joinpath(f"{name}.json").read_text("utf-8")
    )
