"""How many threads llama.cpp may decode on right now: every core while other processes leave them idle,
one otherwise.

llama.cpp's threads wait for each other at every layer, so a second thread on a core another process is
using makes decoding several times *slower* (the embedded Gemma 270M on 2 cores: 23 ms a token on two
free cores, 39 ms on one, 184 ms on two with one of them busy). The governor therefore looks, before each
completion, at how much CPU *other* processes used since it last looked (/proc/stat's busy time less this
process's own CPU time) and allows all cores only when that is under `spare` of a core.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

PROC_STAT = Path("/proc/stat")
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)
"""user, nice, system, irq, softirq, steal in /proc/stat's `cpu` line (idle and iowait left out)."""


def machine_busy_seconds(stat: Path = PROC_STAT) -> float | None:
    """CPU seconds all processes have used since boot, or None where /proc/stat is not readable."""
    try:
        first = stat.read_text(encoding="ascii").split("\n", 1)[0].split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    ticks = [int(v) for v in first[1:]]
    return sum(ticks[i] for i in _BUSY_FIELDS if i < len(ticks)) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass
class CoreGovernor:
    """Threads for the next completion: `cores` while others used under `spare` of a core since the last
    look, else 1. Without /proc/stat (or with cores limited by something it does not see) it says 1."""

    cores: int = field(default_factory=usable_cores)
    spare: float = 0.25
    """Cores other processes may keep busy while this one still takes them all."""
    window: float = 0.5
    """Seconds between looks; a decision is reused inside it."""
    _last: tuple[float, float, float] | None = None
    _threads: int = 1

    def threads(self) -> int:
        now = time.monotonic()
        if self._last is not None and now - self._last[0] < self.window:
            return self._threads
        busy = machine_busy_seconds()
        if busy is None or self.cores < 2 or self.cores != (os.cpu_count() or 1):
            return 1  # a container's share of a bigger machine: /proc/stat counts cores it cannot use
        if self._last is None:  # first look: a short sample
            self._last = (now, busy, own_cpu_seconds())
            time.sleep(0.2)
            now, busy = time.monotonic(), machine_busy_seconds() or busy
        started, busy_then, own_then = self._last
        own = own_cpu_seconds()
        others = max(0.0, (busy - busy_then) - (own - own_then)) / max(now - started, 1e-6)
        self._last = (now, busy, own)
        self._threads = max(1, min(self.cores, math.floor(self.cores - others + self.spare)))
        return self._threads
