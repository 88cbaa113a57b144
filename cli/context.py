"""What every CLI command shares: settings (with --home/--model overrides) and the rich console."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click
from rich.console import Console

from tools.settings import Settings, load_settings, parse_model_overrides

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@dataclass
class AppContext:
    """Global options of the `nuvola` group; settings are loaded on first use."""

    home: Path | None = None
    model_overrides: tuple[str, ...] = ()
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            if self.home is not None:  # code that reads NUVOLA_HOME itself (adapter names) sees --home too
                os.environ["NUVOLA_HOME"] = str(self.home)
            self._settings = load_settings(self.home, parse_model_overrides(self.model_overrides))
        return self._settings

    def override_models(self, pairs: tuple[str, ...]) -> Settings:
        """Apply per-command `--model ROLE=NAME` flags on top of the global ones."""
        if pairs:
            self.model_overrides = (*self.model_overrides, *pairs)
            self._settings = None
        return self.settings


pass_app = click.make_pass_decorator(AppContext, ensure=True)
