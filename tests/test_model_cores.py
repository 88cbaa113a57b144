"""The core governor: all cores for llama.cpp only while other processes leave them idle."""

from __future__ import annotations

import pytest

from tools.models import cores
from tools.models.cores import CoreGovernor, machine_busy_seconds


class Clock:
    """Scripted machine: the wall clock, all processes' busy CPU seconds and this process's own."""

    def __init__(self) -> None:
        self.now, self.busy, self.own = 100.0, 50.0, 10.0

    def run(self, seconds: float, ours: float, others: float) -> None:
        """`seconds` pass while this process uses `ours` cores and other processes `others`."""
        self.now += seconds
        self.own += ours * seconds
        self.busy += (ours + others) * seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(cores.time, "monotonic", lambda: c.now)
    monkeypatch.setattr(cores.time, "sleep", lambda s: c.run(s, 0.0, c.idle_others))
    monkeypatch.setattr(cores, "machine_busy_seconds", lambda stat=None: c.busy)
    monkeypatch.setattr(cores, "own_cpu_seconds", lambda: c.own)
    monkeypatch.setattr(cores.os, "cpu_count", lambda: 2)
    c.idle_others = 0.0
    return c


def test_all_cores_while_others_are_idle_one_as_soon_as_they_are_not(clock: Clock) -> None:
    governor = CoreGovernor(cores=2)
    assert governor.threads() == 2  # first look: a short sample of an idle machine
    clock.run(5.0, ours=2.0, others=0.05)  # decoding on both cores: our own use does not count
    assert governor.threads() == 2
    clock.run(5.0, ours=1.0, others=1.0)  # someone else took a core
    assert governor.threads() == 1
    clock.run(0.1, ours=1.0, others=0.0)  # inside the window the decision stands
    assert governor.threads() == 1
    clock.run(5.0, ours=1.0, others=0.1)  # they are gone
    assert governor.threads() == 2


def test_one_thread_when_busy_from_the_start_or_on_one_core(clock: Clock) -> None:
    clock.idle_others = 1.5
    assert CoreGovernor(cores=2).threads() == 1
    clock.idle_others = 0.0
    assert CoreGovernor(cores=1).threads() == 1


def test_busy_seconds_come_from_proc_stat(tmp_path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 50 30 900 20 0 10 10 0 0\ncpu0 1 2 3 4\n", encoding="ascii")
    assert machine_busy_seconds(stat) == pytest.approx(200 / cores.os.sysconf("SC_CLK_TCK"))
    assert machine_busy_seconds(tmp_path / "missing") is None
