"""Work that fits the machine, checked before it starts: a request that cannot end well is one exit-2
line naming the limit and why, never a machine swapping for hours or six tracebacks from Dask.

The limits (each says what it protects):
- workers: at most WORKERS_PER_CORE (4) local worker processes per core this process may run on
  (`os.sched_getaffinity`, else `os.cpu_count()`). The work is CPU-bound numpy and one LP per day,
  so more processes than that only add start-up time and memory (each Dask worker costs
  WORKER_BYTES, about 256 MiB, which must fit in the memory available too).
- days: a simulation runs at most MAX_DAYS (3,650: ten years of daily budgets) policy days, and its
  dated log must end before pandas' last date (2262-04-11).
- memory: what a run keeps, reps × days × cells × policies × BYTES_PER_CELL_DAY (8 bytes × 12 arrays:
  the trajectories, their stacked copies and the tables made from them) plus BYTES_PER_REPLICATION
  (its seed, task and Python objects) for each replication, must fit in MEMORY_SHARE (half) of the
  memory available now (/proc/meminfo's MemAvailable and the cgroup's limit, else os.sysconf). A
  sweep keeps the replications of at most two grid points at once.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

from budgetopt.errors import InputError

WORKERS_PER_CORE = 4
WORKER_BYTES = 256 * 2**20
MAX_DAYS = 3650
BYTES_PER_CELL_DAY = 8 * 12
BYTES_PER_REPLICATION = 64 * 2**10
MEMORY_SHARE = 0.5
#: the last date a pandas Timestamp (the simulated log's dates) can hold
LAST_DATE = dt.date(2262, 4, 11)


def cores() -> int:
    """The cores this process may run on (at least 1)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


def max_workers() -> int:
    return cores() * WORKERS_PER_CORE


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_available() -> int | None:
    """What a cgroup v2 memory limit leaves (limit − usage), or None when there is no limit."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int(Path("/sys/fs/cgroup/memory.current").read_text().strip()), 0)
    except (OSError, ValueError):
        return None


def _sysconf_available() -> int | None:
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            return int(os.sysconf(pages)) * int(os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            continue
    return None


def available_memory() -> int | None:
    """Bytes of memory available to this process now, or None when the OS does not say."""
    known = [m for m in (_meminfo_available(), _cgroup_available()) if m is not None]
    if not known:
        fallback = _sysconf_available()
        return fallback
    return min(known)


def _size(count: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count / 1e3:,.0f} kB"


def check_workers(workers: int, option: str = "--workers") -> None:
    """InputError unless `workers` local processes are at least 1 and fit the cores and the memory."""
    if workers < 1:
        raise InputError(f"{option} must be at least 1, got {workers}")
    limit = max_workers()
    if workers > limit:
        raise InputError(
            f"{option} {workers} is more than this machine can use: at most {limit} ({WORKERS_PER_CORE} per core × {cores()} "
            f"core{'s' if cores() > 1 else ''}); the work is CPU-bound, so more processes only cost memory and start-up time"
        )
    memory = available_memory()
    if workers > 1 and memory is not None and workers * WORKER_BYTES > memory:
        raise InputError(
            f"{option} {workers}: {workers} worker processes need about {_size(workers * WORKER_BYTES)} of memory and "
            f"{_size(memory)} is available; use fewer workers"
        )


def check_days(days: int, warmup_days: int, start_date: dt.date, where: str = "") -> None:
    """InputError when a simulation's days are more than MAX_DAYS or would run past LAST_DATE; `where`
    starts the message (the scenario of a sweep)."""
    prefix = f"{where} " if where else ""
    if days > MAX_DAYS:
        raise InputError(
            f"{prefix}{days:,} policy days are more than {MAX_DAYS:,} (ten years of daily budgets), the most a simulation runs; "
            "choose fewer days (--days, [sweep] days or [world] days)"
        )
    if (LAST_DATE - start_date).days < warmup_days + days:
        raise InputError(
            f"{prefix}{warmup_days + days:,} simulated days from {start_date} would run past {LAST_DATE}, the last date a log can "
            "hold; choose fewer days or an earlier [world] start_date"
        )


def simulation_bytes(reps: int, days: int, cells: int, policies: int) -> int:
    """What a simulation keeps in memory, by the module's estimate."""
    return reps * (days * cells * policies * BYTES_PER_CELL_DAY + BYTES_PER_REPLICATION)


def check_memory(runs: Iterable[tuple[int, int, int, int]], what: str) -> None:
    """InputError when the largest of `runs` (reps, days, cells, policies) does not fit in MEMORY_SHARE of the
    memory available; `what` says which options set it ("--reps 1000 × --days 60")."""
    need = max((simulation_bytes(*run) for run in runs), default=0)
    memory = available_memory()
    if memory is None or need <= MEMORY_SHARE * memory:
        return
    raise InputError(
        f"{what} would keep about {_size(need)} in memory (8 bytes × 12 arrays per replication, day, cell and policy) "
        f"and {_size(memory)} is available, of which budgetopt uses at most {MEMORY_SHARE:.0%}; use fewer replications or days"
    )
