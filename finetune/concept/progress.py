"""What the trainers report while they run: a step callback and a loss history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

StepCallback = Callable[[int, int, dict[str, float]], None]
"""on_step(step, total_steps, losses): called after every optimisation step."""


@dataclass
class LossHistory:
    """Loss values per step (and per evaluation), by name, for plots and reports."""

    series: dict[str, list[float]] = field(default_factory=dict)

    def add(self, **values: float) -> dict[str, float]:
        for name, value in values.items():
            self.series.setdefault(name, []).append(float(value))
        return {k: float(v) for k, v in values.items()}

    def last(self, name: str) -> float:
        return self.series[name][-1]

    def mean_first_last(self, name: str, k: int = 5) -> tuple[float, float]:
        """Mean of the first k and last k values (a noisy curve's start and end)."""
        values = self.series[name]
        return sum(values[:k]) / len(values[:k]), sum(values[-k:]) / len(values[-k:])
