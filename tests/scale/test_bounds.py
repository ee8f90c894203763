"""Bounded work: what would not fit the machine's cores, memory or calendar is refused before any work,
in the Python API as in the CLI (budgetopt.scale.bounds)."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest

from budgetopt import api
from budgetopt.errors import InputError
from budgetopt.scale import bounds, executors
from budgetopt.simulate.policies import POLICIES

from ..simulate.test_command import write_scenario
from .conftest import TINY


@pytest.fixture
def machine(monkeypatch):
    """A machine of 2 cores and 4 GB available, whatever this one is."""
    monkeypatch.setattr(bounds, "cores", lambda: 2)
    monkeypatch.setattr(bounds, "available_memory", lambda: 4 * 10**9)


@pytest.fixture
def tiny(tmp_path):
    return api.load_scenario(write_scenario(tmp_path / "tiny.toml", TINY))


def test_workers_are_bounded_by_the_cores(machine):
    bounds.check_workers(8)
    with pytest.raises(InputError, match=r"^--workers 9 is more than this machine can use: at most 8 \(4 per core × 2 cores\)"):
        bounds.check_workers(9)
    with pytest.raises(InputError, match=r"^--workers must be at least 1, got 0$"):
        bounds.check_workers(0)


def test_workers_are_bounded_by_the_memory(monkeypatch):
    monkeypatch.setattr(bounds, "cores", lambda: 64)
    monkeypatch.setattr(bounds, "available_memory", lambda: 10**9)
    with pytest.raises(InputError, match=r"^--workers 8: 8 worker processes need about 2\.1 GB of memory and 1\.0 GB is available"):
        bounds.check_workers(8)


def test_the_api_refuses_workers_before_starting_any(machine):
    with pytest.raises(InputError, match="at most 8"):
        api.open_executor(10_000)
    with pytest.raises(InputError, match="at most 8"):
        executors.open_executor(10_000)
    with pytest.raises(InputError, match="at most 8"):
        executors.local_executor(10_000)
    with api.open_executor(10_000 // 1250, tasks=1) as executor:  # 8 asked, 1 task: serial
        assert executor.slots == 1


def test_simulation_memory_is_checked_before_any_work(machine, tiny):
    cells, policies = tiny.world.n_cells, len(POLICIES)  # every policy runs by default
    fits = int(0.5 * 4 * 10**9 / bounds.simulation_bytes(1, tiny.days, cells, policies))
    api.check_simulation(tiny, reps=fits)
    started = time.perf_counter()
    with pytest.raises(InputError, match=rf"^--reps 1,000,000,000 × {tiny.days} days × {cells} creatives × {policies} policies would keep about .* TB"):
        api.simulate_scenario(tiny, reps=10**9)
    assert time.perf_counter() - started < 1.0
    with pytest.raises(InputError, match=r"would keep about"):
        api.check_simulation(tiny, reps=fits + 1)
    with pytest.raises(InputError, match=r"^--reps must be at least 1, got 0$"):
        api.simulate_scenario(tiny, reps=0)


def test_days_are_bounded_by_meaning_and_the_calendar(machine, tiny):
    with pytest.raises(InputError, match=r"^100,000,000 policy days are more than 3,650 \(ten years of daily budgets\)"):
        api.simulate_scenario(tiny, reps=1, days=10**8)
    late = tiny.with_overrides(days=100)
    late = type(late)(**{**late.__dict__, "start_date": dt.date(2262, 1, 1)})
    with pytest.raises(InputError, match=r"simulated days from 2262-01-01 would run past 2262-04-11"):
        api.check_simulation(late, reps=1)


def test_a_sweep_is_checked_for_each_scenario(machine, tmp_path):
    write_scenario(tmp_path / "tiny.toml", TINY)
    grid_path = tmp_path / "grid.toml"
    grid_path.write_text('[sweep]\nscenarios = ["tiny.toml"]\nreps = 100000000\n', encoding="utf-8")
    grid = api.load_sweep(grid_path)
    with pytest.raises(InputError, match=r"^\[sweep\] reps 100,000,000 × the scenarios' days and creatives × 2 policies would keep"):
        api.check_sweep(grid)
    with pytest.raises(InputError, match=r"would keep"):
        api.sweep_grid(grid, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_available_memory_is_known_here():
    memory = bounds.available_memory()
    assert memory is None or memory > 0


def test_dask_logs_are_quiet_unless_debugging(monkeypatch):
    pytest.importorskip("distributed")
    logger = logging.getLogger("distributed.nanny")
    before = {name: logging.getLogger(name).level for name in ("distributed", "distributed.nanny")}
    try:
        monkeypatch.setenv("BUDGETOPT_DEBUG", "1")
        logger.setLevel(logging.INFO)
        executors.quiet_dask()
        assert logger.level == logging.INFO
        monkeypatch.delenv("BUDGETOPT_DEBUG")
        executors.quiet_dask()
        assert logger.level == logging.CRITICAL and logging.getLogger("distributed").level == logging.CRITICAL
        assert executors._local_worker_config()["distributed.nanny.pre-spawn-environ"]["DASK_LOGGING__DISTRIBUTED"] == "critical"
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
