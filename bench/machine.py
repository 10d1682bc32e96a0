"""What both benchmarks measure of the machine around them: CPU other processes used while a block ran."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager


def cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds the machine was busy and stolen by the hypervisor (/proc/stat), and this tree's CPU seconds."""
    with open("/proc/stat") as handle:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in handle.readline().split()[1:9])
    tick, own = os.sysconf("SC_CLK_TCK"), os.times()
    return ((user + nice + system + irq + softirq) / tick, steal / tick,
            own.user + own.system + own.children_user + own.children_system)


def proc_kb(path: str, key: str) -> int:
    """A "Key:  123 kB" line of a /proc file (Linux), 0 when the process is gone or elsewhere."""
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@contextmanager
def others_cpu(into: dict[str, dict[str, float]], key: str) -> Iterator[None]:
    """CPU seconds used during the block by processes outside this benchmark, and stolen by the hypervisor.

    Our own children count once they have ended and been waited for, which every block ensures.
    """
    busy, steal, own = cpu_seconds()
    started = time.perf_counter()
    yield
    busy_end, steal_end, own_end = cpu_seconds()
    into[key] = {"others_s": max(0.0, busy_end - busy - (own_end - own)), "steal_s": steal_end - steal,
                 "wall_s": time.perf_counter() - started}
