"""One day's plan end to end: every policy constraint holds on the real pipeline (property-based)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetopt import load_log
from budgetopt.config import policy_from_dict
from budgetopt.data.demo import demo_path
from budgetopt.errors import InfeasiblePolicyError
from budgetopt.plan import plan_day

LOG = load_log(demo_path("demo_log.csv"))
CAMPAIGNS = sorted(LOG["campaign"].unique())
SEGMENTS = sorted(LOG["segment"].unique())
CREATIVES = sorted(LOG["creative"].unique())
#: currency slack on every constraint (HiGHS's feasibility tolerance, summed over a few rows)
SLACK = 1e-4


@st.composite
def policies(draw):
    bounds = []
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(["campaign", "segment", "creative"]))
        name = draw(st.sampled_from({"campaign": CAMPAIGNS, "segment": SEGMENTS, "creative": CREATIVES}[key]))
        low = draw(st.floats(0, 600))
        bounds.append({key: name, "min": low, "max": low + draw(st.floats(0, 2000))})
    total = draw(st.floats(500, 8000))
    return {
        "budget": {"daily_total": total, "min_total": draw(st.floats(0, 1)) * total,
                   "max_daily_change": draw(st.sampled_from([0.2, 0.5, float("inf")]))},
        "bounds": bounds,
        "segments": {"min_spend": draw(st.floats(0, 100)), "max_spend": draw(st.floats(400, 3000)),
                     "exploration": draw(st.sampled_from([0.0, 0.05, 0.3]))},
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_every_constraint_holds_or_the_conflict_is_named(raw):
    policy = policy_from_dict(raw)
    try:
        result = plan_day(LOG, policy, rng=np.random.default_rng(0))
    except InfeasiblePolicyError as error:
        assert error.conflicting, str(error)
        return
    plan = result.plan
    spend = plan["spend"].to_numpy()
    assert spend.min() >= -SLACK
    assert policy.budget.min_total - SLACK <= spend.sum() <= policy.budget.daily_total + SLACK
    for bound in policy.bounds:
        match = np.ones(len(plan), bool)
        for key in ("campaign", "segment", "creative"):
            if getattr(bound, key) is not None:
                match &= plan[key].to_numpy() == getattr(bound, key)
        assert bound.min - SLACK <= spend[match].sum() <= bound.max + SLACK
    segments = plan.groupby(["campaign", "segment"]).agg(budget=("segment_spend", "first"), previous=("previous_spend", "sum"),
                                                          live=("status", lambda s: (s == "active").any()))
    live = segments[segments["live"]]
    assert (live["budget"] <= policy.segments.max_spend + SLACK).all()
    assert (live["budget"] >= policy.segments.min_spend - SLACK).all()
    change = policy.budget.max_daily_change
    if np.isfinite(change):
        moved = live[live["previous"] > 0]
        assert (moved["budget"] <= moved["previous"] * (1 + change) + SLACK).all()
        if result.problem.notes:  # the floors yield to the total only when they cannot all fit under it
            floors = np.maximum(moved["previous"] * (1 - change), policy.segments.min_spend).sum()
            assert floors + policy.segments.min_spend * (len(live) - len(moved)) > policy.budget.daily_total
            assert "max_daily_change's floors are dropped" in result.problem.notes[0]
        else:
            assert (moved["budget"] >= moved["previous"] * (1 - change) - SLACK).all()
    assert (plan.loc[plan["status"] != "active", "spend"] == 0).all()


def test_exploration_zero_is_the_mean_optimum_and_exploration_keeps_every_limit():
    raw = {"budget": {"daily_total": 4200.0}, "segments": {"max_spend": 1500.0, "exploration": 0.0}}
    exploit = plan_day(LOG, policy_from_dict(raw), rng=np.random.default_rng(1))
    assert exploit.plan.groupby(["campaign", "segment"])["segment_spend"].first().to_numpy() == pytest.approx(exploit.allocation.spend)
    raw["segments"]["exploration"] = 0.5
    explore = plan_day(LOG, policy_from_dict(raw), rng=np.random.default_rng(1))
    budgets = explore.plan.groupby(["campaign", "segment"])["segment_spend"].first().to_numpy()
    assert not np.allclose(budgets, explore.allocation.spend)  # some money moved to what a posterior draw favours
    assert budgets.sum() <= 4200.0 + SLACK and budgets.max() <= 1500.0 + SLACK
    # the mean-optimal plan earns at least as much in expectation as the exploring one
    assert exploit.summary["expected_margin"] >= explore.summary["expected_margin"] - 1e-6


def test_a_creative_level_bound_sizes_its_segment():
    raw = {"budget": {"daily_total": 4200.0, "max_daily_change": 1.0},
           "bounds": [{"campaign": "prospecting-social", "segment": "women-25-34", "creative": "ugc-d", "max": 50.0}]}
    plan = plan_day(LOG, policy_from_dict(raw), rng=np.random.default_rng(2)).plan
    row = plan[(plan["segment"] == "women-25-34") & (plan["creative"] == "ugc-d")].iloc[0]
    assert row["spend"] <= 50.0 + SLACK


@pytest.mark.parametrize("factor", [0.01, 7.0, 1000.0])
def test_the_plan_does_not_depend_on_the_currency_unit(factor):
    """Every amount (log spend and revenue, policy limits) in a unit `factor` times smaller: the same plan."""
    raw = {"budget": {"daily_total": 4200.0, "min_total": 2000.0},
           "bounds": [{"campaign": "brand-search", "min": 600.0, "max": 1500.0}],
           "segments": {"min_spend": 20.0, "max_spend": 1500.0}}
    scaled_raw = {"budget": {k: v * factor for k, v in raw["budget"].items()},
                  "bounds": [{"campaign": "brand-search", "min": 600.0 * factor, "max": 1500.0 * factor}],
                  "segments": {k: v * factor for k, v in raw["segments"].items()}}
    scaled_log = LOG.assign(spend=LOG["spend"] * factor, revenue=LOG["revenue"] * factor)
    base = plan_day(LOG, policy_from_dict(raw), rng=np.random.default_rng(5))
    scaled = plan_day(scaled_log, policy_from_dict(scaled_raw), rng=np.random.default_rng(5))
    assert scaled.plan["spend"].to_numpy() == pytest.approx(base.plan["spend"].to_numpy() * factor, rel=1e-4, abs=1e-6 * factor)
    assert scaled.summary["expected_margin"] == pytest.approx(base.summary["expected_margin"] * factor, rel=1e-4)
    assert (scaled.plan["status"] == base.plan["status"]).all()
