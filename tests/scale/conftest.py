"""A real Dask LocalCluster on loopback (2 worker processes, one thread each), shared by the scale
tests; tiny scenarios and grids so the whole folder runs in well under a minute on 2 cores."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ..simulate.conftest import SMALL
from ..simulate.test_command import write_scenario

#: the scale tests' scenario: SMALL, shorter (2 warm-up + 2 policy days), no launch after the run's end
TINY = copy.deepcopy(SMALL)
TINY["world"] = {"days": 2, "warmup_days": 3, "seed": 11, "basket_cv": 0.5}
TINY["events"] = [event for event in SMALL["events"] if event["kind"] != "launch"]


@pytest.fixture(scope="package")
def cluster():
    """(LocalCluster, Client): two worker processes behind nannies (a killed worker is restarted);
    one for the scale tests, closed when they are done. Tests that need it are skipped without Dask
    (the [test] extra installs it; so does CI)."""
    distributed = pytest.importorskip("distributed", reason="needs dask[distributed], part of the [test] extra")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0",
    ) as local, distributed.Client(local) as client:
        client.wait_for_workers(2)
        yield local, client


@pytest.fixture
def dask_executor(cluster):
    """An executor on the shared cluster (closing it leaves the cluster running for the next test)."""
    from budgetopt.scale.executors import DaskExecutor

    _, client = cluster
    client.wait_for_workers(2)  # a previous test may have killed one; its nanny brings it back
    return DaskExecutor(client, "on the test cluster", owns_client=False)


@pytest.fixture
def tiny_scenario(tmp_path) -> Path:
    return write_scenario(tmp_path / "tiny.toml", TINY)


def write_grid(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tiny_grid(tmp_path, tiny_scenario) -> Path:
    """2 × 2 grid points on the tiny scenario, 2 replications each."""
    return write_grid(tmp_path / "grid.toml", """
[sweep]
scenarios = ["tiny.toml"]
reps = 2

[grid.segments]
exploration = [0.0, 0.2]

[grid.decide]
disable_below_p_best = [0.01, 0.2]
""")
