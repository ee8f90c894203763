"""`budgetopt sweep`: simulate every grid point, keep each finished point on disk, rank the settings.

The unit of work is one replication of one grid point (`runner.run_replication`, seeded exactly
as `budgetopt simulate` seeds it), so a sweep spreads over as many workers as it has replications,
and a point's metrics are those `budgetopt simulate` computes for the same scenario and policy.

Resuming: when all replications of a point are in, its metrics go to `OUT/points/<key>.json`,
written atomically (a temporary file renamed into place). The key is a hash of the scenario
file's contents, the point's settings, the replications, the days and the seed, so a rerun skips
every point whose file is there and reads back, and recomputes a point whose scenario or
settings changed. A file that does not read back (truncated, edited, another format) is ignored
and its point recomputed. Tasks are handed out a few at a time in grid order, so an interrupted
sweep loses at most the points whose replications were in flight.

Outputs, once every point is done: `sweep.csv` (one row per grid point, in grid order),
`best_settings.png`, `settings.png` and `index.html`. `vs_best_*` compare each point with its
scenario's best point replication by replication: every point of a scenario faces the same draws,
so that difference is the settings' alone, and its interval is much narrower than the margin's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.errors import BudgetoptError, InputError
from budgetopt.outputs import OutputSet
from budgetopt.scale.executors import Executor
from budgetopt.scale.grid import POINT_FORMAT, SWEEP_POLICIES, Grid, GridPoint
from budgetopt.simulate.metrics import (
    METRIC_COLUMNS,
    ORACLE,
    policy_metrics,
    run_margin,
)
from budgetopt.simulate.runner import assemble, replication_tasks, run_replication

#: sweep.csv's columns after the point's settings (whose names are the grid's keys)
RESULT_COLUMNS = [
    "reps", "days", "seed", "margin_mean", "margin_p05", "margin_p95", "vs_best_mean", "vs_best_p05", "vs_best_p95",
    "share_of_oracle", "regret", "wasted_spend", "days_to_disable", "winners_killed", "days_to_follow", "oracle_margin_mean", "currency", "rank",
]
#: what a point file keeps of the `budgetopt` row of metrics.csv
KEPT_METRICS = [c for c in METRIC_COLUMNS if c != "policy"]
TUNED = "budgetopt"


@dataclass(frozen=True)
class SweepResult:
    table: pd.DataFrame  # sweep.csv
    computed: int  # points simulated by this run
    reused: int  # points read back from OUT/points


def point_path(out_dir: Path, point: GridPoint) -> Path:
    return out_dir / "points" / f"{point.key}.json"


def read_point(out_dir: Path, point: GridPoint) -> dict[str, Any] | None:
    """The point's stored result, or None when there is none that reads back whole and matches."""
    try:
        stored = json.loads(point_path(out_dir, point).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != POINT_FORMAT or stored.get("key") != point.key:
        return None
    metrics = stored.get("metrics")
    if not isinstance(metrics, dict) or any(not isinstance(metrics.get(c), (int, float)) for c in (*KEPT_METRICS, "oracle_margin_mean")):
        return None
    margins = metrics.get("margins")
    if not isinstance(margins, list) or len(margins) != stored.get("reps") or any(not isinstance(m, (int, float)) for m in margins):
        return None
    return metrics


def point_metrics(point: GridPoint, outcomes: list[Any]) -> dict[str, Any]:
    """The `budgetopt` row of the point's metrics.csv, the oracle's margin beside it, and budgetopt's
    margin in each replication (`margins`, to compare points replication by replication)."""
    result = assemble(point.scenario, SWEEP_POLICIES, outcomes)
    table = policy_metrics(result).set_index("policy")
    metrics: dict[str, Any] = {column: float(table.loc[TUNED, column]) for column in KEPT_METRICS}
    metrics["oracle_margin_mean"] = float(table.loc[ORACLE, "margin_mean"])
    metrics["margins"] = [float(m) for m in run_margin(result.runs[TUNED])]
    return metrics


def write_point(out_dir: Path, point: GridPoint, reps: int, metrics: dict[str, float]) -> None:
    # exact floats (json's repr), not the rounded ones of files people read: a resumed sweep must give the
    # numbers of an uninterrupted one to the last bit
    with OutputSet() as outputs:
        outputs.text("points", point_path(out_dir, point), json.dumps({
            "format": POINT_FORMAT,
            "key": point.key,
            "scenario": point.scenario.name,
            "settings": {key: list(value) if isinstance(value, tuple) else value for key, value in point.settings.items()},
            "reps": reps,
            "days": point.scenario.days,
            "seed": point.scenario.seed,
            "metrics": metrics,
        }) + "\n")


def _simulate_points(
    grid: Grid, todo: list[GridPoint], executor: Executor, out_dir: Path, progress: Callable[[int], None] | None
) -> Iterator[tuple[GridPoint, dict[str, float]]]:
    """Run every replication of `todo`; yield each point (and store it) as soon as all its replications are in."""
    reps = grid.reps
    tasks = chain.from_iterable(replication_tasks(point.scenario, reps, SWEEP_POLICIES) for point in todo)
    buffers: dict[int, list[Any]] = {}
    for done, finished in enumerate(executor.run(run_replication, tasks), start=1):
        point = todo[finished.index // reps]
        try:
            outcome = finished.result()
        except BudgetoptError as error:
            raise InputError(f"grid point #{point.number} ({point.label}): {error}", source=grid.source) from None
        buffer = buffers.setdefault(finished.index // reps, [None] * reps)
        buffer[finished.index % reps] = outcome
        if all(item is not None for item in buffer):
            del buffers[finished.index // reps]
            metrics = point_metrics(point, buffer)
            write_point(out_dir, point, reps, metrics)
            yield point, metrics
        if progress:
            progress(done)


def sweep_table(grid: Grid, results: dict[int, dict[str, float]]) -> pd.DataFrame:
    """sweep.csv: one row per grid point in grid order; rank 1 is the scenario's highest margin_mean."""
    rows = []
    for point in grid.points:
        metrics = results[point.number]
        settings = {key: json.dumps(list(value)) if isinstance(value, tuple) else value for key, value in point.settings.items()}
        rows.append({
            "point": point.number,
            "scenario": point.scenario.name,
            **settings,
            "reps": grid.reps,
            "days": point.scenario.days,
            "seed": point.scenario.seed,
            **{column: metrics[column] for column in KEPT_METRICS},
            "oracle_margin_mean": metrics["oracle_margin_mean"],
            "currency": point.scenario.policy.budget.currency,
        })
    columns = ["point", "scenario", *grid.setting_names, *RESULT_COLUMNS[:-1]]
    table = pd.DataFrame(rows, columns=[c for c in columns if not c.startswith("vs_best_")])
    table["rank"] = table.groupby("scenario", sort=False)["margin_mean"].rank(ascending=False, method="min").astype(int)
    # each point against its scenario's best, replication by replication (the same draws: the difference is the settings')
    margins = np.array([results[point.number]["margins"] for point in grid.points])  # (points, reps)
    best = {name: table.index[(table["scenario"] == name) & (table["rank"] == 1)][0] for name in table["scenario"].unique()}
    difference = margins - margins[[best[name] for name in table["scenario"]]]
    vs_best = pd.DataFrame({
        "vs_best_mean": difference.mean(axis=1),
        "vs_best_p05": np.quantile(difference, 0.05, axis=1),
        "vs_best_p95": np.quantile(difference, 0.95, axis=1),
    })
    return pd.concat([table, vs_best], axis=1)[columns + ["rank"]]


def run_sweep(
    grid: Grid,
    out_dir: str | Path,
    executor: Executor,
    *,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Simulate the grid's points not already in `out_dir` (each kept in out_dir/points/ as it finishes)
    and rank them; `budgetopt.api.sweep_grid` writes sweep.csv and the report.

    on_start(points to compute, replications to run) is called once the finished points are known;
    progress(done) after each replication."""
    out_dir = Path(out_dir)
    results: dict[int, dict[str, float]] = {}
    for point in grid.points:
        stored = read_point(out_dir, point)
        if stored is not None:
            results[point.number] = stored
    todo = [point for point in grid.points if point.number not in results]
    if on_start:
        on_start(len(todo), len(todo) * grid.reps)
    for point, metrics in _simulate_points(grid, todo, executor, out_dir, progress):
        results[point.number] = metrics
    table = sweep_table(grid, results)
    return SweepResult(table, computed=len(todo), reused=len(grid.points) - len(todo))


def sweep_notes(grid: Grid) -> list[str]:
    scenarios = ", ".join(f"{s.name} ({s.world.n_cells} creatives, {s.warmup_days} warm-up + {s.days} policy days, seed {s.seed})" for s in grid.scenarios)
    return [
        (
            f"{len(grid.points)} grid points from {grid.source}: the scenarios {scenarios}, each under every combination of "
            f"{', '.join(grid.setting_names) or 'its own settings'}; {grid.reps} replications per point."
        ),
        (
            "Margins are the true expected gross margin of what budgetopt spent over the policy days; margin_p05 and margin_p95 "
            "hold 90 % of replications. Every point of a scenario faces the same draws (the same seed), so differences between "
            "points are the settings', not luck's: vs_best_* compare each point with the scenario's best, replication by "
            "replication. share_of_oracle compares with the oracle under the same settings (a setting such as max_daily_change "
            "constrains the oracle too); rank orders each scenario's points by margin; winners_killed is the share of "
            "replications in which budgetopt switched off a segment's truly best creative."
        ),
    ]


def best_points(table: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """Each scenario's `top` points by margin, best first, scenarios in grid order."""
    return pd.concat([group.sort_values(["rank", "point"], kind="stable").head(top) for _, group in table.groupby("scenario", sort=False)])
