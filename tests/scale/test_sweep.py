"""`budgetopt sweep`: the same table serially and on Dask, resumable from the points on disk,
and complete with the same results when a worker dies mid-sweep."""

from __future__ import annotations

import json
import os
import signal

import pandas as pd
import pytest

from budgetopt.api import sweep_grid
from budgetopt.cli import main
from budgetopt.scale.executors import SerialExecutor
from budgetopt.scale.grid import SWEEP_POLICIES, load_grid
from budgetopt.scale.sweep import point_path
from budgetopt.simulate.metrics import policy_metrics
from budgetopt.simulate.runner import simulate


class CountingExecutor(SerialExecutor):
    """Serial, and counts the tasks it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks = 0

    def run(self, fn, tasks, *, window=None):
        for done in super().run(fn, tasks, window=window):
            self.tasks += 1
            yield done


@pytest.fixture
def serial_sweep(tiny_grid, tmp_path):
    grid = load_grid(tiny_grid)
    return grid, sweep_grid(grid, tmp_path / "serial", executor=SerialExecutor()), tmp_path / "serial"


def test_a_point_is_what_simulate_says_of_its_scenario_and_settings(serial_sweep):
    grid, result, _ = serial_sweep
    assert result.computed == 4 and result.reused == 0
    point = grid.points[2]  # exploration 0.2, disable_below_p_best 0.01
    assert point.settings == {"exploration": 0.2, "disable_below_p_best": 0.01}
    metrics = policy_metrics(simulate(point.scenario, reps=grid.reps, policies=SWEEP_POLICIES)).set_index("policy")
    row = result.table.iloc[2]
    for column in ("margin_mean", "margin_p05", "margin_p95", "share_of_oracle", "regret", "wasted_spend", "winners_killed"):
        assert row[column] == metrics.loc["budgetopt", column], column
    assert row["oracle_margin_mean"] == metrics.loc["oracle", "margin_mean"]
    assert sorted(result.table["rank"]) == [1, 2, 3, 4]
    assert result.table.loc[result.table["rank"] == 1, "margin_mean"].item() == result.table["margin_mean"].max()
    # against the best point, replication by replication: the mean difference is the difference of the means
    best = result.table.loc[result.table["rank"] == 1].iloc[0]
    assert (best["vs_best_mean"], best["vs_best_p05"], best["vs_best_p95"]) == (0.0, 0.0, 0.0)
    assert result.table["vs_best_mean"].to_numpy() == pytest.approx((result.table["margin_mean"] - best["margin_mean"]).to_numpy())
    assert (result.table["vs_best_p05"] <= result.table["vs_best_mean"]).all() and (result.table["vs_best_mean"] <= result.table["vs_best_p95"]).all()


def test_a_sweep_on_dask_equals_the_serial_sweep(serial_sweep, dask_executor, tmp_path):
    grid, serial, serial_dir = serial_sweep
    on_dask = sweep_grid(grid, tmp_path / "dask", executor=dask_executor)
    pd.testing.assert_frame_equal(on_dask.table, serial.table, check_exact=True)
    assert (tmp_path / "dask" / "sweep.csv").read_bytes() == (serial_dir / "sweep.csv").read_bytes()
    for point in grid.points:
        assert point_path(tmp_path / "dask", point).read_bytes() == point_path(serial_dir, point).read_bytes()


def test_a_rerun_skips_finished_points_and_recomputes_missing_or_partial_ones(serial_sweep):
    grid, first, out = serial_sweep
    kept, partial, lost, _ = grid.points
    # a finished point is taken as it is on disk: a sentinel margin proves it was not recomputed
    stored = json.loads(point_path(out, kept).read_text())
    stored["metrics"]["margin_mean"] = 12345.0
    point_path(out, kept).write_text(json.dumps(stored))
    # a point file cut short (as by a crash in a non-atomic writer) and a temporary file left behind
    text = point_path(out, partial).read_text()
    point_path(out, partial).write_text(text[: len(text) // 2])
    (out / "points" / f".{lost.key}.json.x7.tmp").write_text(text[:10])
    point_path(out, lost).unlink()
    counting = CountingExecutor()
    second = sweep_grid(grid, out, executor=counting)
    assert (second.computed, second.reused) == (2, 2)
    assert counting.tasks == 2 * grid.reps
    assert second.table.loc[0, "margin_mean"] == 12345.0
    # the others as before (rank and the comparison with the best point aside: the sentinel changed which is best)
    relative = ["rank", "vs_best_mean", "vs_best_p05", "vs_best_p95"]
    pd.testing.assert_frame_equal(second.table.drop(index=0, columns=relative), first.table.drop(index=0, columns=relative), check_exact=True)
    assert json.loads(point_path(out, partial).read_text())["key"] == partial.key  # rewritten whole
    assert len(list((out / "points").glob("*.json"))) == 4
    # everything on disk: a third run simulates nothing
    third = CountingExecutor()
    assert sweep_grid(grid, out, executor=third).computed == 0 and third.tasks == 0


def test_a_worker_killed_mid_sweep_is_replaced_and_the_sweep_ends_with_the_same_results(serial_sweep, dask_executor, cluster, tmp_path):
    grid, serial, _ = serial_sweep
    _, client = cluster
    pids = client.run(os.getpid)  # worker address → process id
    killed = []

    def kill_a_busy_worker(done: int) -> None:
        if killed:
            return
        busy = [address for address, keys in client.processing().items() if keys]
        victim = busy[0] if busy else next(iter(pids))
        os.kill(pids[victim], signal.SIGKILL)
        killed.append((pids[victim], bool(busy)))

    result = sweep_grid(grid, tmp_path / "killed", executor=dask_executor, progress=kill_a_busy_worker)
    pd.testing.assert_frame_equal(result.table, serial.table, check_exact=True)
    (pid, was_busy), = killed
    assert was_busy  # the killed worker had tasks of the sweep in hand
    client.wait_for_workers(2)  # the nanny started a new process in place of the killed one
    assert pid not in client.run(os.getpid).values()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_sweep_command_writes_its_files_and_resumes(runner, tiny_grid, cluster, tmp_path):
    local, _ = cluster
    out = tmp_path / "out"
    first = runner.invoke(main, ["sweep", str(tiny_grid), "--out", str(out), "--scheduler", local.scheduler_address])
    assert first.exit_code == 0, first.output
    assert f"simulating 4 points × 2 replications on the Dask cluster at {local.scheduler_address} (2 workers)" in first.stdout
    assert "(4 points: 4 simulated, 0 from earlier runs)" in first.stdout
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:4]) == ["point", "scenario", "exploration", "disable_below_p_best"]
    assert table["point"].tolist() == [1, 2, 3, 4] and (table["reps"] == 2).all()
    for name in ("best_settings.png", "settings.png", "index.html"):
        assert (out / name).stat().st_size > 0, name
    assert "Which settings would have earned most" in (out / "index.html").read_text()
    point_path(out, load_grid(tiny_grid).points[1]).unlink()
    second = runner.invoke(main, ["sweep", str(tiny_grid), "--out", str(out)])
    assert second.exit_code == 0, second.output
    assert "3 of 4 points already in" in second.stdout and "(4 points: 1 simulated, 3 from earlier runs)" in second.stdout
    assert pd.read_csv(out / "sweep.csv").equals(table)
