"""Each baseline does what its description says, on hand-made logs; every split stays feasible."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetopt.errors import InfeasiblePolicyError
from budgetopt.plan import plan_day
from budgetopt.simulate.limits import feasible_budgets
from budgetopt.simulate.log import SimulatedLog
from budgetopt.simulate.policies import (
    AB_TEST_DAYS,
    AbThenCommitPolicy,
    Briefing,
    BudgetoptPolicy,
    ProportionalPolicy,
    RulesPolicy,
    ThompsonPolicy,
    parse_policies,
)
from budgetopt.simulate.runner import account_of, run_policy, warm_up
from budgetopt.simulate.scenario import scenario_from_dict
from tests.simulate.accounts import account

START = dt.date(2026, 3, 2)


def log_of(days: int, spend, visits, conversions, revenue, present=None) -> SimulatedLog:
    log = SimulatedLog.empty(days + 5, 5)
    for d in range(days):
        row = [np.asarray(x[d] if np.ndim(x) == 2 else x, dtype=float) for x in (spend, visits, conversions, revenue)]
        log.record(d, np.ones(5, bool) if present is None else np.asarray(present[d]), *row)
    return log


def test_rules_pause_a_barren_and_a_costly_creative_and_move_budgets_by_twenty_percent():
    acc = account()
    # cell b: 60/day, no conversion for 6 days (360 ≥ 200 spent); cell c: CPA 100/4 = 25 > 2 × target 10,
    # with 12 ≥ 10 conversions over the last 3 days; s1 returns 5 per euro, s0 less
    spend = [100.0, 60.0, 100.0, 200.0, 200.0]
    conversions = [15.0, 0.0, 4.0, 40.0, 40.0]
    revenue = [300.0, 0.0, 30.0, 1000.0, 1000.0]
    policy = RulesPolicy(acc, Briefing(START, target_cpa=10.0, target_roas=2.0), np.random.default_rng(0))
    step = policy.plan(log_of(6, spend, np.array(spend) * 2, conversions, revenue).seen())
    assert step.disabled.tolist() == [False, True, True, False, False]
    assert step.spend[1] == 0 and step.spend[2] == 0
    # s0 returned 330 / 260 < 2: cut 20 % of 260; s1 returned 5 > 2: raised 20 % of 400, all within 1000
    assert step.spend[:3].sum() == pytest.approx(260 * 0.8)
    assert step.spend[3:].sum() == pytest.approx(400 * 1.2)
    assert step.spend[3] == pytest.approx(step.spend[4])  # creatives rotate evenly


def test_rules_never_pause_a_segments_last_creative():
    acc = account()
    spend = [70.0, 70.0, 70.0, 100.0, 100.0]
    policy = RulesPolicy(acc, Briefing(START, target_cpa=10.0, target_roas=2.0), np.random.default_rng(0))
    step = policy.plan(log_of(6, spend, np.array(spend) * 2, [0, 0, 0, 5, 5], [0, 0, 0, 300, 300]).seen())
    assert step.disabled[:3].sum() == 2 and step.spend[:3].sum() > 0


def test_ab_then_commit_commits_to_the_best_return_and_tests_a_newcomer_against_the_champion():
    acc = account()
    days = AB_TEST_DAYS
    revenue = [100.0, 150.0, 120.0, 200.0, 100.0]
    present = np.ones((days + 3, 5), bool)
    present[: days + 1, 2] = False  # c appears on day 15
    log = log_of(days, [50.0] * 5, [100.0] * 5, [2.0] * 5, revenue, present)
    policy = AbThenCommitPolicy(acc, Briefing(START), np.random.default_rng(0))
    step = policy.plan(log.seen())
    assert step.disabled.tolist() == [True, False, False, False, True]
    assert step.spend[1] > 0 and step.spend[0] == 0 and step.spend[4] == 0
    log.record(days, present[days], step.spend, step.spend * 2, step.spend * 0.04, step.spend * 3)
    log.record(days + 1, present[days + 1], step.spend, step.spend * 2, step.spend * 0.04, step.spend * 3)
    step = policy.plan(log.seen())  # c has appeared: b (champion) and c share s0 evenly
    assert step.spend[1] == pytest.approx(step.spend[2]) and step.spend[1] > 0
    assert step.disabled[0] and not step.disabled[2]


def test_thompson_gives_each_segment_to_its_sampled_best_with_the_chance_it_is_best():
    acc = account({"budget": {"daily_total": 1000.0, "max_daily_change": float("inf")}})
    log = log_of(10, [50.0] * 5, [1000.0] * 5, [10.0, 30.0, 20.0, 25.0, 25.0], [500.0] * 5)
    policy = ThompsonPolicy(acc, Briefing(START), np.random.default_rng(0))
    days = np.stack([policy.plan(log.seen()).spend for _ in range(400)])  # 400 decisions on the same evidence
    assert np.all(days[:, :3].sum(1) == pytest.approx(500.0)) and np.all(days[:, 3:].sum(1) == pytest.approx(500.0))  # budgets stay even
    assert np.all(np.isin(days, [0.0, 500.0]))  # a day's traffic goes to one creative per segment
    share = days.mean(0) / 500.0
    assert share[1] > 0.99  # 3 % vs 1 % and 2 % after 10,000 visits each
    assert share[3] == pytest.approx(0.5, abs=0.08)  # a tie: about half the days each (binomial sd 0.025)


def test_proportional_follows_recent_return_on_ad_spend():
    acc = account({"budget": {"daily_total": 1000.0, "max_daily_change": float("inf")}})
    revenue = np.tile([100.0, 100.0, 100.0, 400.0, 400.0], (10, 1))
    revenue[-3:, :3] = 300.0  # s0 improved lately: recent days count most
    log = log_of(10, [100.0] * 5, [200.0] * 5, [4.0] * 5, revenue)
    step = ProportionalPolicy(acc, Briefing(START), np.random.default_rng(0)).plan(log.seen())
    s0, s1 = step.spend[:3].sum(), step.spend[3:].sum()
    assert s0 + s1 == pytest.approx(1000.0)
    assert 0.25 < s0 / (s0 + s1) < 0.5  # all-time return 1.6 vs 4, the last days 3 vs 4
    assert step.spend[3] == pytest.approx(step.spend[4])


def test_budgetopt_plays_make_plans_plan_and_keeps_its_disabled_creatives_off():
    acc = account({"budget": {"daily_total": 1000.0}, "segments": {"exploration": 0.0}})
    conversions = np.tile([30.0, 5.0, 28.0, 20.0, 22.0], (12, 1))
    log = log_of(12, [80.0] * 5, [800.0] * 5, conversions, conversions * 40)
    policy = BudgetoptPolicy(acc, Briefing(START), np.random.default_rng(3))
    step = policy.plan(log.seen())
    expected = plan_day(log.seen().frame(acc, START), acc.policy, rng=np.random.default_rng(3)).plan
    assert step.spend.tolist() == pytest.approx(expected["spend"].tolist())
    assert step.disabled[1] and step.spend[1] == 0  # 0.6 % vs 3.75 % after 9,600 visits


def test_feasible_budgets_scale_and_redistribute_what_a_capped_segment_cannot_take():
    acc = account({"budget": {"daily_total": 1000.0, "max_daily_change": float("inf")}, "segments": {"max_spend": 500.0}})
    shares = np.array([0.5, 0.5, 0.0, 0.5, 0.5])
    assert feasible_budgets(np.array([300.0, 200.0]), shares, np.zeros(2), acc) == pytest.approx([300.0, 200.0])
    assert feasible_budgets(np.array([1200.0, 800.0]), shares, np.zeros(2), acc) == pytest.approx([500.0, 500.0])
    acc = account({"budget": {"daily_total": 1000.0}, "segments": {"max_spend": 900.0}})
    assert feasible_budgets(np.array([1800.0, 200.0]), shares, np.zeros(2), acc) == pytest.approx([900.0, 100.0])
    # ±30 % of yesterday's 100 and 900: s0 stops at 130, s1 takes the rest of the wished 1,000
    assert feasible_budgets(np.array([500.0, 500.0]), shares, np.array([100.0, 900.0]), acc) == pytest.approx([130.0, 870.0])


def test_infeasible_scenario_policy_is_an_error():
    acc = account({"budget": {"daily_total": 100.0}, "segments": {"min_spend": 80.0}})
    with pytest.raises(InfeasiblePolicyError, match="loosen the scenario's policy"):
        feasible_budgets(np.array([50.0, 50.0]), np.ones(5), np.zeros(2), acc)


@settings(max_examples=60, deadline=None)
@given(
    wish=st.lists(st.floats(0, 3000), min_size=2, max_size=2),
    previous=st.lists(st.sampled_from([0.0, 50.0, 400.0, 900.0]), min_size=2, max_size=2),
    bound_max=st.floats(100, 1000),
)
def test_feasible_budgets_respect_every_limit(wish, previous, bound_max):
    policy = {
        "budget": {"daily_total": 1000.0, "min_total": 300.0, "max_daily_change": 0.5},
        "segments": {"max_spend": 800.0},
        "bounds": [{"creative": "a", "max": bound_max}],
    }
    acc = account(policy)
    shares = np.array([0.5, 0.25, 0.25, 0.5, 0.5])
    try:
        budgets = feasible_budgets(np.array(wish), shares, np.array(previous), acc)
    except InfeasiblePolicyError:
        return  # e.g. yesterday's 900 and 900 cannot both drop under the total
    tolerance = 1e-5
    assert budgets.sum() <= 1000.0 + tolerance and budgets.sum() >= 300.0 - tolerance
    assert np.all(budgets <= 800.0 + tolerance)
    for b, p in zip(budgets, previous):
        if p > 0:
            assert p * 0.5 - tolerance <= b <= p * 1.5 + tolerance
    assert (acc.bound_coef(shares) @ budgets)[0] <= bound_max + tolerance


def test_policy_list_is_validated_and_always_holds_the_oracle():
    assert parse_policies("rules, budgetopt") == ("budgetopt", "rules", "oracle")
    assert parse_policies(None)[-1] == "oracle"
    with pytest.raises(Exception, match="unknown policy 'bandit'"):
        parse_policies("bandit")


class _CheckedAgainstMakePlan(BudgetoptPolicy):
    """The simulator's budgetopt policy, checked each day against `make_plan` on the log's DataFrame."""

    days_checked = 0

    def plan(self, log, truth=None):
        a = self.account
        keys = set(zip(a.campaign[self.disabled], a.segment[self.disabled], a.creative[self.disabled]))
        expected = plan_day(log.frame(a, self.briefing.start_date), a.policy, rng=copy.deepcopy(self.rng), previously_disabled=keys).plan
        step = super().plan(log, truth)
        cell = {key: i for i, key in enumerate(zip(a.campaign, a.segment, a.creative))}
        order = [cell[key] for key in zip(expected["campaign"], expected["segment"], expected["creative"])]
        assert step.spend[order] == pytest.approx(expected["spend"].to_numpy(), rel=1e-9, abs=1e-6)
        assert step.disabled[order].tolist() == (expected["status"] == "disabled").tolist()
        assert step.spend[np.setdiff1d(np.arange(a.n_cells), order)].sum() == 0  # a cell not launched yet gets nothing
        type(self).days_checked += 1
        return step


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"estimate": {"conversion_lag": [0.5, 0.8], "pooling": "campaign", "half_life_days": 5.0}},
        {"estimate": {"pooling": "none"}, "decide": {"metric": "conversion_rate"}},
        {"bounds": [{"campaign": "social", "max": 250.0}, {"creative": "a", "min": 100.0}], "segments": {"exploration": 0.0, "max_spend": 600.0}},
    ],
    ids=["the scenario's policy", "lag, campaign pooling, fast decay", "unpooled, conversion rate", "bounds on shares, no exploration"],
)
def test_budgetopt_in_the_simulator_plans_what_make_plan_plans_day_after_day(small, settings):
    small["world"]["days"] = 14  # through the launch (day 6) and the shock (day 7); cells listed out of name order
    for key, value in settings.items():
        small["policy"][key] = value if key == "bounds" else {**small["policy"].get(key, {}), **value}
    scenario = scenario_from_dict(small)
    acc = account_of(scenario)
    replication = np.random.SeedSequence(scenario.seed).spawn(1)[0]
    log, cumulative = warm_up(scenario, acc, replication)
    policy = _CheckedAgainstMakePlan(acc, Briefing(scenario.start_date), np.random.default_rng(4))
    checked = _CheckedAgainstMakePlan.days_checked
    trajectory, _ = run_policy(scenario, acc, policy, log, cumulative, replication)
    assert _CheckedAgainstMakePlan.days_checked - checked == 14 and trajectory.spend.sum() > 0
