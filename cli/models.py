"""`nuvola models list|check` and `nuvola complete`: the model seam from the command line."""

from __future__ import annotations

import time

import click
from rich.table import Table

from cli.context import AppContext, console, pass_app
from tools.errors import NuvolaError
from tools.models import get_embedder, get_llm, parse_model_name
from tools.models.spec import LLM_BACKENDS

TEXT_ROLES_PROBE = "Tex Willer e Kit Carson cavalcano verso"
SPEED_TOKENS = 24
NON_LLM_ROLES = {"embedder", "ocr", "artist"}


@click.group("models")
def models_group() -> None:
    """Configured models per role."""


@models_group.command("list")
@pass_app
def list_models(app: AppContext) -> None:
    """Show which model each role uses."""
    table = Table(title="Nuvola model roles")
    table.add_column("role")
    table.add_column("model")
    table.add_column("backend")
    for role in app.settings.models.roles():
        name = app.settings.model_for(role)
        backend = name.partition(":")[0] if role not in NON_LLM_ROLES or role == "embedder" else name
        table.add_row(role, name, backend)
    console.print(table)


def _check_llm(name: str) -> tuple[str, str]:
    """A short generation; the result and the decoding speed (tokens by the model's tokenizer when it
    has one, else words), measured after a first call that loads the model."""
    llm = get_llm(name)
    llm.invoke(TEXT_ROLES_PROBE, max_tokens=1, temperature=0.0)
    start = time.perf_counter()
    text = llm.invoke(TEXT_ROLES_PROBE, max_tokens=SPEED_TOKENS, temperature=0.0)
    seconds = time.perf_counter() - start
    counter = getattr(llm, "count_tokens", None)
    tokens = counter(text) if callable(counter) and text else len(text.split())
    return f"generated {len(text)} chars: {text.strip()[:40]!r}", f"{tokens / max(seconds, 1e-6):.1f} tkn/s"


def _check_embedder(name: str) -> tuple[str, str]:
    embedder = get_embedder(name)
    vector = embedder.embed_query("Tex spara al bandito")
    start = time.perf_counter()
    embedder.embed_documents(["Tex spara al bandito"] * 8)
    speed = 8 / max(time.perf_counter() - start, 1e-6)
    return f"{len(vector)}-d vector", f"{speed:.1f} texts/s"


@models_group.command("check")
@click.option(
    "--role", "roles", multiple=True, help="Only these roles (default: every LLM role and the embedder)."
)
@pass_app
def check_models(app: AppContext, roles: tuple[str, ...]) -> None:
    """Load each configured model once and run a tiny generation or embedding."""
    settings = app.settings
    wanted = roles or tuple(r for r in settings.models.roles() if r not in NON_LLM_ROLES - {"embedder"})
    table = Table(title="Model check")
    for col in ("role", "model", "backend", "status", "seconds", "speed"):
        table.add_column(col)
    table.add_column("result", overflow="fold")
    failures = 0
    checked: dict[tuple[bool, str], tuple[str, str, float]] = {}
    for role in wanted:
        name = settings.model_for(role)
        key = (role == "embedder", name)  # one load per model, LLMs and embedders apart
        if key not in checked:
            checked[key] = _run_check(role, name)
        status, result, seconds, speed = checked[key]
        failures += status != "ok"
        colour = "green" if status == "ok" else "red"
        backend = name.partition(":")[0] if ":" in name else name
        table.add_row(role, name, backend, f"[{colour}]{status}[/]", f"{seconds:.2f}", speed, result)
    console.print(table)
    if failures:
        raise click.ClickException(f"{failures} role(s) failed their check")


def _run_check(role: str, name: str) -> tuple[str, str, float, str]:
    """(status, result, seconds including loading, speed) of one model."""
    start = time.perf_counter()
    try:
        is_llm = role != "embedder" and parse_model_name(name, LLM_BACKENDS)
        result, speed = _check_llm(name) if is_llm else _check_embedder(name)
        return "ok", result, time.perf_counter() - start, speed
    except (NuvolaError, OSError, ValueError) as exc:
        return "failed", str(exc)[:120], time.perf_counter() - start, ""


@click.command("complete")
@click.argument("text")
@click.option("--role", default="completion", show_default=True, help="Which role's model completes.")
@click.option("--max-tokens", default=96, show_default=True)
@click.option("--temperature", default=0.7, show_default=True)
@click.option("--seed", default=None, type=int, help="Random seed (default: settings.seed).")
@pass_app
def complete(
    app: AppContext, text: str, role: str, max_tokens: int, temperature: float, seed: int | None
) -> None:
    """Stream a plain completion of TEXT from the role's model."""
    llm = get_llm(app.settings.model_for(role))
    seed = app.settings.seed if seed is None else seed
    console.print(text, end="", style="bold")
    for chunk in llm.stream(text, max_tokens=max_tokens, temperature=temperature, seed=seed):
        console.print(chunk, end="", markup=False)
    console.print()


def register(cli: click.Group) -> None:
    cli.add_command(models_group)
    cli.add_command(complete)
