"""The layers hold: every import of every package (lazy ones inside functions too) points down, never in a circle.

prompts < tools < memory < agent < evals < finetune < cli: `tools/` are plain libraries that know nothing of the
memory or the agents, `memory/` knows nothing of the agents, and only the CLI (the composition root) sees all.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("prompts", "tools", "memory", "agent", "evals", "finetune", "cli")
RANK = {name: rank for rank, name in enumerate(LAYERS)}


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the layered packages."""
    modules: dict[str, Path] = {}
    for package in LAYERS:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_names(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every absolute name an `import` or `from ... import` in the file refers to (relative ones resolved);
    `from package import submodule` names the submodule, not the package."""
    names: set[str] = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.add(full if full in modules else base)
    return names


def owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted name lives in (`tools.render.art.PanelArt` -> `tools.render.art`), if it is ours."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = module_files()
    edges: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {owner(name, modules) for name in imported_names(module, path, modules)}
        edges[module] = {t for t in targets if t and t != module}
    return edges


def test_every_package_is_walked(graph):
    assert {module.split(".")[0] for module in graph} == set(LAYERS)
    assert "tools.render.storyboard" in graph["tools.render.artists"], "imports inside functions count too"


def test_no_import_points_up_a_layer(graph):
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if RANK[target.split(".")[0]] > RANK[module.split(".")[0]]
    )
    assert upward == [], "imports against the layers " + " < ".join(LAYERS)


def test_no_import_cycle(graph):
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_only_the_story_thread_moves_the_graph():
    """The chat reaches the write graph through agent/chat/story.py alone: no other chat module writes a
    checkpoint as a node or forks the thread (the nodes' names live in one place)."""
    moves = ("as_node=", ".update_state(", ".fork_before(", "interrupt_after=")
    offenders = [
        f"{path.name}: {move}"
        for path in sorted((REPO / "agent" / "chat").glob("*.py"))
        if path.name != "story.py"
        for move in moves
        if move in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
    assert all(move in (REPO / "agent" / "chat" / "story.py").read_text(encoding="utf-8") for move in moves)
