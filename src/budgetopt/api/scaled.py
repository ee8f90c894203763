"""Work that scales out: simulations, sweeps of settings, and many accounts at once, serially, on
local processes or on Dask (`workers`, `scheduler`: the CLI's --workers N and --scheduler ADDR).
Results are identical whatever runs them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from budgetopt.api.inputs import DateLike, as_date
from budgetopt.config import DEFAULT_SEED
from budgetopt.outputs import OutputSet, Paths, claim_report_dir
from budgetopt.scale.accounts import AccountOutcome
from budgetopt.scale.accounts import plan_accounts as _plan_accounts
from budgetopt.scale.bounds import check_days, check_memory, check_workers
from budgetopt.scale.executors import Executor, SerialExecutor
from budgetopt.scale.executors import open_executor as _open_executor
from budgetopt.scale.grid import SWEEP_POLICIES, Grid, load_grid
from budgetopt.scale.sweep import SweepResult, read_point, run_sweep, sweep_notes
from budgetopt.simulate.metrics import allocation_table, daily_table, policy_metrics
from budgetopt.simulate.policies import parse_policies
from budgetopt.simulate.runner import SimulationResult, simulate
from budgetopt.simulate.scenario import Scenario, load_scenario


@dataclass(frozen=True)
class Simulation:
    """A scenario replayed under several policies: the raw result and its tables (metrics.csv, daily.csv, allocation.csv)."""

    scenario: Scenario
    result: SimulationResult
    metrics: pd.DataFrame
    daily: pd.DataFrame
    allocation: pd.DataFrame


def open_executor(workers: int = 1, scheduler: str | None = None, *, tasks: int | None = None) -> Executor:
    """Where the work runs: serially (1 worker, no scheduler), N local worker processes, or a Dask cluster;
    its `note` says when Dask is missing and it fell back, its `description` where it runs. N must fit the
    machine (at most 4 per core, see budgetopt.scale.bounds); a local cluster is no larger than `tasks`."""
    if scheduler is None:
        check_workers(workers)
        if tasks is not None:
            workers = max(1, min(workers, tasks))
    return _open_executor(workers, scheduler)


def check_simulation(
    scenario: Scenario, *, reps: int, policies: str | Sequence[str] | None = None, workers: int = 1
) -> None:
    """Refuse, before any work, a simulation that cannot end well (InputError, the CLI's exit 2): fewer than 1
    replication, more days than MAX_DAYS, more memory than is available, more local workers than the
    machine can use (the limits and why: budgetopt.scale.bounds)."""
    from budgetopt.errors import InputError

    if reps < 1:
        raise InputError(f"--reps must be at least 1, got {reps}")
    check_workers(workers)
    check_days(scenario.days, scenario.warmup_days, scenario.start_date)
    names = parse_policies(policies if policies is None or isinstance(policies, str) else ",".join(policies))
    cells = scenario.world.n_cells
    check_memory(
        [(reps, scenario.days, cells, len(names))],
        f"--reps {reps:,} × {scenario.days:,} days × {cells} creatives × {len(names)} policies",
    )


def check_sweep(grid: Grid, *, workers: int = 1) -> None:
    """Refuse, before any work, a sweep that cannot end well: as `check_simulation`, for each scenario of the
    grid (a sweep keeps the replications of at most two grid points at once)."""
    check_workers(workers)
    for scenario in grid.scenarios:
        check_days(scenario.days, scenario.warmup_days, scenario.start_date, f"scenario {scenario.name}:")
    check_memory(
        [(2 * grid.reps, s.days, s.world.n_cells, len(SWEEP_POLICIES)) for s in grid.scenarios],
        f"[sweep] reps {grid.reps:,} × the scenarios' days and creatives × {len(SWEEP_POLICIES)} policies",
    )


def simulate_scenario(
    scenario: str | Path | Scenario,
    *,
    reps: int = 10,
    policies: str | Sequence[str] | None = None,
    days: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> Simulation:
    """`budgetopt simulate`: replay a scenario (a TOML path or a loaded Scenario) `reps` times under each policy
    (comma-separated or a list; default all, the oracle always runs). days, seed: override the scenario's."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    scenario = scenario.with_overrides(days=days, seed=seed)
    names = parse_policies(policies if policies is None or isinstance(policies, str) else ",".join(policies))
    check_simulation(scenario, reps=reps, policies=names)
    result = simulate(scenario, reps=reps, policies=names, executor=executor, progress=progress)
    return Simulation(scenario, result, policy_metrics(result), daily_table(result), allocation_table(result))


def write_simulation_report(simulation: Simulation, directory: str | Path, *, inputs: Paths | None = None, force: bool = False) -> list[Path]:
    """metrics.csv, daily.csv, allocation.csv, the figures and index.html, all or nothing, into a folder that
    is new, empty or an earlier report's (other files need `force`); returns the tables and index.html."""
    from budgetopt.report.simulation import write_simulation_report as write

    directory = Path(directory)
    written = []
    with OutputSet(inputs, reports=[claim_report_dir(directory, force=force)]) as outputs:
        for name, table in (("metrics.csv", simulation.metrics), ("daily.csv", simulation.daily), ("allocation.csv", simulation.allocation)):
            outputs.csv("--report", directory / name, table)
            written.append(directory / name)
        s = simulation
        write(directory, s.scenario, s.result, s.metrics, s.daily, s.allocation, outputs=outputs)
        written.append(directory / "index.html")
    return written


def load_sweep(path: str | Path) -> Grid:
    """A sweep file (GRID.toml), validated: its scenarios, settings and grid points."""
    return load_grid(path)


def sweep_todo(grid: Grid, out_dir: str | Path) -> int:
    """How many of the grid's points are not yet in `out_dir` (a rerun simulates only those)."""
    return sum(read_point(Path(out_dir), point) is None for point in grid.points)


def sweep_grid(grid: Grid, out_dir: str | Path, *, executor: Executor | None = None, progress: Callable[[int], None] | None = None) -> SweepResult:
    """`budgetopt sweep`: simulate every point not already in `out_dir`, then write sweep.csv, the figures
    and index.html there."""
    from budgetopt.report.sweep import write_sweep_report

    out_dir = Path(out_dir)
    check_sweep(grid)
    result = run_sweep(grid, out_dir, executor or SerialExecutor(), progress=progress)
    # the folder is the sweep's own (its points/ beside the report): other files there are kept
    with OutputSet(reports=[claim_report_dir(out_dir, force=True, option="--out")]) as outputs:
        outputs.csv("--out", out_dir / "sweep.csv", result.table)
        write_sweep_report(out_dir, result.table, grid.setting_names, notes=sweep_notes(grid), outputs=outputs)
    return result


def plan_accounts(
    directory: str | Path,
    *,
    default_policy: str | Path | None = None,
    date: DateLike = None,
    seed: int = DEFAULT_SEED,
    sum_duplicates: bool = False,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[AccountOutcome]:
    """`budgetopt plan --accounts DIR`: plan every account folder of `directory`, write each one's plan.csv and
    summary.json, and DIR/accounts.csv; one account's bad input does not stop the others (see its outcome)."""
    return _plan_accounts(
        directory, executor or SerialExecutor(), default_policy=default_policy, date=as_date(date, "--date"), seed=seed,
        sum_duplicates=sum_duplicates, progress=progress,
    )
