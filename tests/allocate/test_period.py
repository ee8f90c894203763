"""The period's LP: never more than what remains, weekday effects move money to the better days,
tomorrow's row is re-found by tomorrow's own LP; through plan_day: a period ending tomorrow is the daily
plan with that total, and summary.json's period adds up."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetopt import load_log
from budgetopt.allocate import solve
from budgetopt.allocate.period import Period, for_tomorrow, plan_period
from budgetopt.config import policy_from_dict
from budgetopt.data.demo import demo_path
from budgetopt.plan import plan_day
from tests.allocate.test_solve import (
    FEASIBILITY,
    PIECEWISE_TOLERANCE,
    make_problem,
    problems,
)

LOG = load_log(demo_path("demo_log.csv"))
POLICY = tomllib.loads(demo_path("demo_policy.toml").read_text())
TOMORROW = LOG["date"].max() + pd.Timedelta(days=1)
#: alike days tie on a piece's slope, so the LP splits money between them only to within a piece (allocate.period.PERIOD_PIECES)
SPLIT_BETWEEN_DAYS = 0.05
#: the policy the LP-level tests take their [segments] and [budget] from: no daily cap, no floors
OPEN = policy_from_dict({"budget": {"period_total": 1.0, "period_start": "2026-01-01", "period_end": "2026-01-31"}})


def period(remaining, days, multipliers=None, spent=0.0, overdelivery=1.0):
    start = pd.Timestamp("2026-01-05")  # a Monday
    return Period(remaining + spent, start, start + pd.Timedelta(days=days - 1), start, spent, overdelivery,
                  np.ones(7) if multipliers is None else np.asarray(multipliers, float))


@settings(max_examples=30, deadline=None)
@given(problems(), st.floats(0.0, 20_000.0), st.integers(1, 10), st.floats(1.0, 1.5))
def test_the_period_plan_never_exceeds_what_remains(problem, remaining, days, overdelivery):
    problem = make_problem(problem.curves.value_per_euro, problem.curves.saturation_spend, total=problem.total_max, upper=problem.upper)
    p = period(remaining, days, overdelivery=overdelivery)
    plan = plan_period(problem, p, OPEN)
    assert plan.spend.sum() <= remaining / overdelivery + FEASIBILITY * days
    assert np.all(plan.spend[0] <= problem.upper + FEASIBILITY)  # tomorrow's limits (later days: [segments] max_spend only)
    tomorrow = solve(for_tomorrow(problem, plan))
    assert tomorrow.spend.sum() <= plan.tomorrow_total + FEASIBILITY * max(1.0, plan.tomorrow_total)
    paced_margin = problem.curves.margin(plan.spend[0]).sum()  # tomorrow's own LP re-finds tomorrow's row, to its pieces' precision
    assert problem.curves.margin(tomorrow.spend).sum() >= paced_margin - PIECEWISE_TOLERANCE * max(1.0, abs(paced_margin))


def test_better_weekdays_get_more_and_even_ones_the_same():
    problem = make_problem([3.0, 2.0], [400.0, 900.0], total=np.inf)
    even = plan_period(problem, period(7 * 800.0, 7), OPEN)
    assert even.spend.sum(1) == pytest.approx(np.full(7, 800.0), rel=SPLIT_BETWEEN_DAYS)
    cycle = 1 + 0.3 * np.sin(2 * np.pi * np.arange(7) / 7)
    paced = plan_period(problem, period(7 * 800.0, 7, cycle), OPEN)
    assert np.argmax(paced.spend.sum(1)) == np.argmax(cycle) and np.argmin(paced.spend.sum(1)) == np.argmin(cycle)
    assert paced.margin.sum() > (problem.curves.margin(even.spend) * cycle[:, None]).sum()  # pacing earns more than an even split


def demo_plan(**budget):
    raw = {**POLICY, "budget": {**{k: v for k, v in POLICY["budget"].items() if k != "daily_total"}, **budget}}
    return plan_day(LOG, policy_from_dict(raw), rng=np.random.default_rng(7))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(3000.0, 6000.0))
def test_a_period_that_ends_tomorrow_is_the_daily_plan_with_that_total(total):
    daily = demo_plan(daily_total=total)
    day = f"{TOMORROW:%Y-%m-%d}"
    paced = demo_plan(period_total=total, period_start=day, period_end=day)
    assert paced.plan["spend"].to_numpy() == pytest.approx(daily.plan["spend"].to_numpy(), rel=1e-6, abs=1e-4)
    assert paced.summary["period"]["days_left"] == 1


def test_the_summary_tells_the_period():
    spent_so_far = float(LOG.loc[LOG["date"] >= "2026-11-01", "spend"].sum())
    result = demo_plan(period_total=spent_so_far + 6 * 4000.0, period_start="2026-11-01", period_end="2026-11-30", overdelivery=1.05)
    p = result.summary["period"]
    assert p["spent"] == pytest.approx(spent_so_far) and p["remaining"] == pytest.approx(24_000.0)
    assert p["days_left"] == len(p["planned_by_day"]) == (pd.Timestamp("2026-11-30") - TOMORROW).days + 1
    assert sum(d["spend"] for d in p["planned_by_day"]) <= 24_000.0 / 1.05 + 1e-3
    assert p["planned_by_day"][0]["spend"] == pytest.approx(result.summary["total_spend"])
    elapsed = (TOMORROW - pd.Timestamp("2026-11-01")).days
    assert p["pace"] == pytest.approx(spent_so_far / ((spent_so_far + 24_000.0) * elapsed / 30))


def test_a_plan_date_outside_the_period_is_named():
    with pytest.raises(Exception, match=r"\[budget\] period 2026-10-01 to 2026-10-31 does not include the plan date"):
        demo_plan(period_total=1e5, period_start="2026-10-01", period_end="2026-10-31")


def test_the_plan_does_not_count_on_jumps_the_change_limit_forbids():
    problem = make_problem([3.0, 2.0], [400.0, 900.0], total=np.inf, upper=[500.0, 500.0], lower=[300.0, 300.0])  # yesterday ~385 each
    cycle = np.r_[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 2.0]  # Sunday (day 7) pays four times a weekday: the plan would pile up there
    policy = policy_from_dict({"budget": {**OPEN.budget.model_dump(mode="json", exclude_none=True), "max_daily_change": 0.3}})
    plan = plan_period(problem, period(7 * 800.0, 7, cycle), policy)
    assert np.all(plan.spend[1:] <= plan.spend[:-1] * 1.3 + FEASIBILITY)  # each segment grows at most 30 % a day


def test_an_exhausted_period_plans_nothing_rather_than_failing():
    spent = float(LOG.loc[LOG["date"] >= "2026-11-01", "spend"].sum())
    raw = {**POLICY, "budget": {"period_total": spent - 100.0, "period_start": "2026-11-01", "period_end": "2026-11-30"},
           "segments": {"min_spend": 0.0}, "bounds": []}
    result = plan_day(LOG, policy_from_dict(raw), rng=np.random.default_rng(7))
    assert result.summary["period"]["remaining"] == 0.0
    assert result.summary["total_spend"] == pytest.approx(0.0, abs=1e-6)
