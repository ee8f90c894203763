"""The `greedy` baseline: each segment on its creative of highest posterior mean value per euro
(estimates as `budgetopt plan` fits them, days weighted by a 7-day half-life), the segments sized by
the allocation LP under the scenario's policy; nothing explored, nothing disabled."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from budgetopt.plan import estimates_from_log
from budgetopt.simulate.limits import TOLERANCE
from budgetopt.simulate.log import SimulatedLog
from budgetopt.simulate.policies import (
    GREEDY_HALF_LIFE_DAYS,
    POLICIES,
    Briefing,
    GreedyPolicy,
    parse_policies,
)
from budgetopt.simulate.runner import account_of, run_policy, simulate, warm_up
from budgetopt.simulate.scenario import scenario_from_dict
from tests.simulate.accounts import account

START = dt.date(2026, 3, 2)


def log_of(conversions: np.ndarray, spend: float = 100.0) -> SimulatedLog:
    """A log of len(conversions) days: every cell spends `spend` for 2 visits per euro; revenue 40 per conversion."""
    days = len(conversions)
    log = SimulatedLog.empty(days + 3, 5)
    for d in range(days):
        log.record(d, np.ones(5, bool), np.full(5, spend), np.full(5, 2 * spend), conversions[d], conversions[d] * 40.0)
    return log


def test_greedy_is_registered_after_thompson_and_before_the_oracle():
    names = list(POLICIES)
    assert names.index("greedy") == names.index("thompson") + 1 and names[-1] == "oracle"
    assert parse_policies("greedy") == ("greedy", "oracle")
    assert not POLICIES["greedy"].disables and not POLICIES["greedy"].knows_truth


def test_greedy_puts_each_segment_on_its_best_posterior_creative_within_the_policy():
    acc = account({"budget": {"daily_total": 1000.0, "max_daily_change": 0.3}, "segments": {"max_spend": 700.0}})
    conversions = np.tile([4.0, 8.0, 6.0, 5.0, 4.0], (10, 1))
    log = log_of(conversions)
    step = GreedyPolicy(acc, Briefing(START), np.random.default_rng(0)).plan(log.seen())
    assert (step.spend > 0).tolist() == [False, True, False, True, False]  # b leads s0, a leads s1
    assert not step.disabled.any()
    budgets = acc.segment_sum(step.spend)
    assert budgets.sum() <= 1000.0 * (1 + TOLERANCE)
    lower, upper, _, _ = acc.segment_limits(np.array([300.0, 200.0]), np.ones(2, bool))
    assert np.all(budgets >= lower - 1e-6) and np.all(budgets <= upper + 1e-6)  # ±30 % of yesterday's 300 and 200


def test_greedy_follows_the_recent_days_and_agrees_with_the_projects_estimates():
    """a led s0 for two weeks (8 conversions a day to 5), b for the last four (9 to 3): with days
    weighted by a 7-day half-life the posterior means (the project's pooled estimates) put b first,
    and greedy follows them; a 14-day half-life would still put a first."""
    acc = account()
    conversions = np.tile([8.0, 5.0, 4.0, 5.0, 4.0], (19, 1))
    conversions[-4:, :2] = [3.0, 9.0]
    log = log_of(conversions)
    step = GreedyPolicy(acc, Briefing(START), np.random.default_rng(0)).plan(log.seen())
    def fixed(half_life: float):
        estimate = acc.policy.estimate.model_copy(update={"half_life_days": half_life, "wear_out": False})
        return acc.policy.model_copy(update={"estimate": estimate})

    estimates = estimates_from_log(log.seen().frame(acc, START), fixed(GREEDY_HALF_LIFE_DAYS))
    value = estimates.value_per_euro_mean()
    assert value[1] > value[0] and step.spend[1] > 0 and step.spend[0] == 0
    slow = estimates_from_log(log.seen().frame(acc, START), fixed(14.0)).value_per_euro_mean()
    assert slow[0] > slow[1]


def test_greedy_never_disables_and_switches_back_when_the_old_best_recovers():
    acc = account()
    conversions = np.tile([4.0, 8.0, 6.0, 5.0, 4.0], (10, 1))
    policy = GreedyPolicy(acc, Briefing(START), np.random.default_rng(0))
    log = log_of(conversions)
    assert policy.plan(log.seen()).spend[1] > 0
    for day in range(10, 13):  # b stops converting; a converts well
        log.record(day, np.ones(5, bool), np.full(5, 100.0), np.full(5, 200.0), *[np.array([12.0, 0.0, 6.0, 5.0, 4.0]) * k for k in (1.0, 40.0)])
    step = policy.plan(log.seen())
    assert step.spend[0] > 0 and step.spend[1] == 0 and not step.disabled.any()


@pytest.mark.parametrize("bounds", [[], [{"campaign": "social", "max": 250.0}, {"creative": "a", "min": 100.0}]], ids=["policy", "bounds"])
def test_greedy_plans_feasibly_under_the_scenarios_policy_day_after_day(small, bounds):
    small["world"]["days"] = 10  # through the launch (day 6) and the shock (day 7)
    small["policy"]["bounds"] = bounds
    scenario = scenario_from_dict(small)
    acc = account_of(scenario)
    replication = np.random.SeedSequence(scenario.seed).spawn(1)[0]
    log, cumulative = warm_up(scenario, acc, replication)
    trajectory, _ = run_policy(scenario, acc, GreedyPolicy(acc, Briefing(scenario.start_date), np.random.default_rng(0)), log, cumulative, replication)
    budgets = acc.segment_sum(trajectory.spend)  # (days, segments)
    previous = np.vstack([acc.segment_sum(log.spend[scenario.warmup_days - 1]), budgets[:-1]])
    slack = 1e-6 * scenario.policy.budget.daily_total
    for day, spend in enumerate(trajectory.spend):
        assert budgets[day].sum() <= scenario.policy.budget.daily_total + slack
        lower, upper, _, _ = acc.segment_limits(previous[day], np.ones(acc.n_segments, bool))
        assert np.all(budgets[day] >= lower - slack) and np.all(budgets[day] <= upper + slack)
        shares = np.divide(spend, budgets[day][acc.segment_index], out=np.zeros_like(spend), where=spend > 0)
        activity = acc.bound_coef(shares) @ budgets[day]
        for row, bound in zip(activity, scenario.policy.bounds):
            assert bound.min - slack <= row <= bound.max + slack
        assert np.all(acc.segment_sum((spend > 0).astype(float)) <= 1)  # one creative per segment


def test_greedy_is_no_slower_per_day_than_budgetopt(small):
    small["world"]["days"] = 8
    result = simulate(scenario_from_dict(small), reps=2, policies=("budgetopt", "greedy"))
    assert result.plan_seconds["greedy"] <= result.plan_seconds["budgetopt"]  # about half on the shipped scenarios
