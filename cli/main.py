"""Entry point of the `nuvola` command: global options, command discovery, friendly errors."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import click

import agent
from cli.context import AppContext, err_console
from tools.errors import NuvolaError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(agent.__version__, prog_name="nuvola")
@click.option("--home", type=click.Path(path_type=Path), help="Data home (default: $NUVOLA_HOME).")
@click.option("--model", "-m", "models", multiple=True, metavar="ROLE=NAME", help="Model for a role.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, models: tuple[str, ...]) -> None:
    """Nuvola: read black-and-white Italian comics, remember them, and co-write new issues."""
    ctx.obj = AppContext(home=home, model_overrides=models)


@cli.group("eval")
def eval_group() -> None:
    """Score Nuvola's reading and writing: panels, OCR, style, voices, attribution."""


def _register_commands() -> None:
    """Import every command module of this package and let it attach its commands to `cli`.

    Subcommands of `nuvola eval` attach with `cli.commands["eval"].add_command(...)`.
    """
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
        if info.name in {"main", "context"} or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(cli)


_register_commands()


def main() -> None:
    """Run the CLI; Nuvola's own errors print one clear line instead of a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("[yellow]aborted[/]")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NuvolaError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
