"""Timing code honestly: the machine's name, warm-up, best of N, CUDA synchronised.

One helper for every speed the course reports: the cells' speed table (lecture 05), the
benchmarks in ``bench/`` and the training record of ``make pretrain``.
"""
from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

from .checks import non_negative_int, positive_int


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine(device=None) -> str:
    """A one-line description of where a measurement ran: the GPU's name on CUDA, else the CPU
    with its core count and torch's thread count (when torch is imported)."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and device is not None and str(device).startswith("cuda"):
        return f"{torch.cuda.get_device_name(device)} (CUDA)"
    threads = f", torch threads {torch.get_num_threads()}" if torch is not None else ""
    return f"{cpu_name()}, {os.cpu_count()} cores{threads}"


def synchronize(device=None) -> None:
    """Wait for queued CUDA work, so that a clock reads the work's end, not its launch."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and device is not None and str(device).startswith("cuda"):
        torch.cuda.synchronize(device)


def best_of(fn: Callable[[], object], repeats: int = 3, warmup: int = 1, device=None) -> float:
    """The fastest of ``repeats`` timed calls of ``fn`` in seconds, after ``warmup`` untimed ones
    (caches, allocators and lazy initialisation warm up first; the minimum is the run least
    disturbed by the rest of the machine)."""
    repeats, warmup = positive_int("repeats", repeats), non_negative_int("warmup", warmup)
    for _ in range(warmup):
        fn()
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best
