"""`simulate` on Dask: replications as Dask tasks, seeded as the serial runner seeds them, so the
results are identical to the serial run whatever runs them."""

from __future__ import annotations

import sys

from budgetopt.cli import main
from budgetopt.simulate.runner import simulate
from budgetopt.simulate.scenario import load_scenario

from ..simulate.test_runner import same


def test_replications_on_dask_equal_the_serial_run(dask_executor, tiny_scenario):
    scenario = load_scenario(tiny_scenario)
    policies = ("budgetopt", "proportional", "thompson", "oracle")
    serial = simulate(scenario, reps=3, policies=policies)
    done = []
    on_dask = simulate(scenario, reps=3, policies=policies, executor=dask_executor, progress=done.append)
    assert all(same(serial.runs[p], on_dask.runs[p]) for p in policies)
    assert serial.runs["budgetopt"].spend.shape == (3, 2, 7) and serial.runs["budgetopt"].visits.sum() > 0
    assert done == [1, 2, 3]


def run_simulate(runner, scenario, out, *extra):
    args = ["simulate", str(scenario), "--reps", "3", "--policies", "budgetopt,even", "--report", str(out), *extra]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    return result


def test_simulate_command_gives_the_same_files_serially_on_a_cluster_and_on_local_workers(runner, cluster, tiny_scenario, tmp_path, monkeypatch):
    local, _ = cluster
    run_simulate(runner, tiny_scenario, tmp_path / "serial")
    run_simulate(runner, tiny_scenario, tmp_path / "cluster", "--scheduler", local.scheduler_address)
    run_simulate(runner, tiny_scenario, tmp_path / "local", "--workers", "2")  # a LocalCluster of its own
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the [distributed] extra were not installed
    fallback = run_simulate(runner, tiny_scenario, tmp_path / "processes", "--workers", "2")
    assert fallback.stderr == "budgetopt: note: dask not installed (pip install 'budgetopt[distributed]'): running on 2 local processes\n"
    for name in ("metrics.csv", "daily.csv", "allocation.csv"):
        expected = (tmp_path / "serial" / name).read_bytes()
        for run in ("cluster", "local", "processes"):
            assert (tmp_path / run / name).read_bytes() == expected, (run, name)
