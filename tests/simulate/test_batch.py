"""Replications side by side (simulate/batch.py, which `simulate` uses for thompson) give the
replication-by-replication runs bit for bit."""

from __future__ import annotations

import copy
from dataclasses import fields

import numpy as np
import pytest

from budgetopt.simulate.batch import simulate_thompson
from budgetopt.simulate.policies import matching_shares
from budgetopt.simulate.runner import (
    Trajectory,
    replication_tasks,
    run_replication,
    simulate,
)
from budgetopt.simulate.scenario import scenario_from_dict


def identical(a, b) -> list[str]:
    """The names of the trajectory fields that differ."""
    return [f.name for f in fields(a) if not np.array_equal(getattr(a, f.name), getattr(b, f.name))]


@pytest.mark.parametrize(
    "policy",
    [
        {},  # the small scenario's policy: ±30 % a day, a cap: the even budgets are feasible and kept
        {"bounds": [{"segment": "broad", "max": 150.0}], "segments": {"max_spend": 600.0, "min_spend": 20.0}},  # they are not
    ],
    ids=["even budgets feasible", "a bound and floors reshape them"],
)
def test_the_batch_run_is_the_runners_run(small, policy):
    data = copy.deepcopy(small)
    data["world"]["days"] = 8  # past the launch (day 6) and the shock (day 7) after 4 warm-up days
    for key, value in policy.items():
        data["policy"][key] = value if key == "bounds" else {**data["policy"].get(key, {}), **value}
    scenario = scenario_from_dict(data)
    one_by_one = Trajectory.stack([run_replication(*task)[0]["thompson"] for task in replication_tasks(scenario, 3, ("thompson",))])
    batch, seconds = simulate_thompson(scenario, reps=3)
    assert identical(one_by_one, batch) == []
    assert identical(simulate(scenario, reps=3, policies=("thompson", "even")).runs["thompson"], batch) == []  # what simulate runs
    assert batch.spend.sum() > 0 and set(seconds) == {"warm_up", "policy", "budgets", "world", "bookkeeping"}


def test_one_draw_a_day_gives_a_segment_to_one_creative_with_the_chance_it_is_best():
    segment_index = np.array([0, 0, 0, 1, 1])
    active = np.array([True, True, True, True, False])
    rng = np.random.default_rng(5)
    conversions, visits = np.array([30.0, 36.0, 20.0, 5.0, 9.0]), np.full(5, 1000.0)
    one = np.stack([matching_shares(rng.beta(1 + conversions, 1 + visits - conversions)[None, :], active, segment_index, 2) for _ in range(4000)])
    assert set(np.unique(one[:, :3])) <= {0.0, 1.0} and np.all(one[:, :3].sum(1) == 1.0)
    assert np.all(one[:, 3] == 1.0) and np.all(one[:, 4] == 0.0)  # an inactive creative gets nothing
    many = matching_shares(rng.beta(1 + conversions, 1 + visits - conversions, size=(200_000, 5)), active, segment_index, 2)
    # the share of days each creative gets the segment estimates its chance to be best (binomial error over 4,000 days ≤ 0.008)
    assert one.mean(0) == pytest.approx(many, abs=0.03)
