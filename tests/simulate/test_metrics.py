"""metrics.csv, daily.csv and allocation.csv computed on a tiny run made by hand (2 replications,
3 days, 3 creatives in 2 segments), each number worked out below."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from budgetopt.simulate.metrics import (
    METRIC_COLUMNS,
    allocation_table,
    daily_table,
    policy_metrics,
)
from budgetopt.simulate.runner import SimulationResult, Trajectory

FIRST_DAY = 5


def trajectory(spend, margin, disabled_day) -> Trajectory:
    spend = np.asarray(spend, dtype=float)  # (reps, days, cells)
    ones = np.ones_like(spend, dtype=bool)
    best = np.broadcast_to(np.array([True, False, True]), spend.shape).copy()  # cell 0 leads segment 0; cell 2 is alone
    return Trajectory(
        spend=spend,
        expected_margin=np.asarray(margin, dtype=float),
        visits=spend * 2,
        conversions=spend * 0.1,
        revenue=spend * 3,
        live=ones,
        best=best,
        strictly_best=best.copy(),
        disabled_day=np.asarray(disabled_day),
    )


def margins(per_day_by_rep):
    """(reps, days, cells) with each day's margin on cell 0."""
    out = np.zeros((2, 3, 3))
    out[:, :, 0] = per_day_by_rep
    return out


SPEND_RULES = [
    [[10, 10, 20], [10, 0, 20], [10, 0, 20]],  # rep 0: cell 1 off from day 6
    [[10, 10, 20], [10, 10, 20], [0, 10, 20]],  # rep 1: cell 1 never off; cell 0 (the leader) off on day 7
]
SPEND_EVEN = [[[15, 15, 30]] * 3, [[15, 15, 30]] * 3]


@pytest.fixture
def result() -> SimulationResult:
    return SimulationResult(
        scenario="tiny",
        policies=("rules", "even", "oracle"),
        reps=2,
        seed=0,
        first_day=FIRST_DAY,
        days=3,
        start_date=dt.date(2026, 1, 1),
        margin_rate=1.0,
        currency="EUR",
        campaign=np.array(["c", "c", "c"]),
        segment=np.array(["s0", "s0", "s1"]),
        creative=np.array(["a", "b", "a"]),
        segment_index=np.array([0, 0, 1]),
        segment_labels=("c/s0", "c/s1"),
        launch_day=np.zeros(3, dtype=int),
        runs={
            "rules": trajectory(SPEND_RULES, margins([[5, 6, 7], [4, 4, 4]]), [[-1, 6, -1], [7, -1, -1]]),
            "even": trajectory(SPEND_EVEN, margins([[3, 3, 3], [3, 3, 3]]), [[-1, -1, -1], [-1, -1, -1]]),
            "oracle": trajectory(SPEND_EVEN, margins([[6, 7, 7], [7, 7, 6]]), [[-1, -1, -1], [-1, -1, -1]]),
        },
        plan_seconds={"rules": 0.0, "even": 0.0, "oracle": 0.0},
    )


def test_metrics_by_hand(result):
    metrics = policy_metrics(result).set_index("policy")
    assert list(policy_metrics(result).columns) == METRIC_COLUMNS
    rules = metrics.loc["rules"]
    # margins 18 and 12; numpy's linear quantiles: 12 + 0.05 × 6 and 12 + 0.95 × 6
    assert rules["margin_mean"] == pytest.approx(15.0)
    assert rules["margin_p05"] == pytest.approx(12.3)
    assert rules["margin_p95"] == pytest.approx(17.7)
    assert rules["share_of_oracle"] == pytest.approx(15.0 / 20.0)  # the oracle earns 20 in each replication
    assert rules["regret"] == pytest.approx(((20 - 18) + (20 - 12)) / 2)
    # spend on cell 1 (never its segment's best): 10 in rep 0, 30 in rep 1
    assert rules["wasted_spend"] == pytest.approx(20.0)
    # cell 1 is truly losing; actionable from day 5; off on day 6 in rep 0 (1 day), never in rep 1 (the 3 days of the run)
    assert rules["days_to_disable"] == pytest.approx(2.0)
    # rep 1 switched off cell 0 on a day it was strictly best
    assert rules["winners_killed"] == pytest.approx(0.5)
    even = metrics.loc["even"]
    assert even["margin_mean"] == pytest.approx(9.0)
    assert even["wasted_spend"] == pytest.approx(45.0)
    assert np.isnan(even["days_to_disable"]) and even["winners_killed"] == 0.0
    assert metrics["days_to_follow"].isna().all()  # no segment's best ever changes here (tests/simulate/test_days_to_follow.py)
    assert metrics.loc["oracle", "share_of_oracle"] == pytest.approx(1.0) and metrics.loc["oracle", "regret"] == 0.0


def test_daily_and_allocation_tables_by_hand(result):
    daily = daily_table(result)
    rules = daily[daily["policy"] == "rules"].reset_index(drop=True)
    assert rules["day"].tolist() == [5, 6, 7]
    assert rules["date"].tolist() == ["2026-01-06", "2026-01-07", "2026-01-08"]
    assert rules["margin_mean"].tolist() == pytest.approx([4.5, 5.0, 5.5])
    assert rules["cumulative_margin_mean"].tolist() == pytest.approx([4.5, 9.5, 15.0])
    # regret per day: rep 0 (1, 1, 0), rep 1 (3, 3, 2) → cumulative means 2, 4, 5
    assert rules["cumulative_regret_mean"].tolist() == pytest.approx([2.0, 4.0, 5.0])
    assert rules["spend_mean"].tolist() == pytest.approx([40.0, 35.0, 30.0])
    assert rules["wasted_spend_mean"].tolist() == pytest.approx([10.0, 5.0, 5.0])
    # realised margin = revenue × margin_rate − spend = 3 spend − spend
    assert rules["realised_margin_mean"].tolist() == pytest.approx([80.0, 70.0, 60.0])
    allocation = allocation_table(result)
    day7 = allocation[(allocation["policy"] == "rules") & (allocation["day"] == 7)].set_index("segment")
    assert day7.loc["s0", "spend_mean"] == pytest.approx(10.0)  # rep 0: 10, rep 1: 10
    assert day7.loc["s0", "share_mean"] == pytest.approx(1 / 3)
    assert day7.loc["s1", "share_mean"] == pytest.approx(2 / 3)
    assert isinstance(allocation, pd.DataFrame) and set(allocation["campaign"]) == {"c"}
