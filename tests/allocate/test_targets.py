"""[targets] and [budget] objective in the LP: slack targets change nothing, binding ones hold and are
priced in words, impossible ones are named; revenue, conversions and min_spend objectives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetopt.allocate import binding_constraints, diagnose, solve
from budgetopt.allocate.targets import TargetRow, Targets, expected_outcome
from budgetopt.errors import InfeasiblePolicyError
from tests.allocate.test_solve import FEASIBILITY, make_problem, problems

#: how far the LP's optimum may move when a slack row is added (HiGHS's tolerances on a re-ordered basis), currency
SLACK_TOLERANCE = 1e-4
#: the piecewise curve lies under the concave one by at most this share (curves.PIECES = 32; tests of the LP check 0.5 %)
PIECEWISE_SHORTFALL = 0.005
#: revenue per unsaturated euro = margin value per unsaturated euro here (margin_rate 1); conversions at a 40-euro basket
BASKET = 40.0


def with_targets(problem, rows, objective="margin"):
    v = problem.curves.value_per_euro
    every = np.ones(problem.n_segments, dtype=bool)
    built = tuple(TargetRow(f"[targets] {kind} {level:g}", kind, level, every) for kind, level in rows)
    return dataclasses.replace(problem, targets=Targets(v, v / BASKET, built, objective))


def outcome(problem, spend):
    return expected_outcome(problem.targets, problem.curves.saturation_spend, spend)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_a_slack_target_changes_nothing(problem):
    base = solve(problem)
    achieved = outcome(with_targets(problem, []), base.spend)
    # a ROAS far below what the plan achieves, a CPA far above, a tenth of its conversions: none binds
    slack = [("min_conversions", achieved["expected_conversions"] * 0.1)] if achieved["expected_conversions"] > 0 else []
    if achieved["expected_roas"] is not None:
        slack += [("min_roas", achieved["expected_roas"] * 0.5), ("max_cpa", achieved["expected_cpa"] * 2.0)]
    targeted = solve(with_targets(problem, slack if base.spend.sum() > 1e-3 else []))
    assert targeted.status == "optimal"
    assert targeted.objective == pytest.approx(base.objective, rel=1e-6, abs=SLACK_TOLERANCE)
    assert targeted.spend == pytest.approx(base.spend, rel=1e-4, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(problems(), st.floats(0.5, 6.0))
def test_the_plans_expected_roas_meets_the_target(problem, roas):
    problem = dataclasses.replace(problem, lower=np.zeros(problem.n_segments))  # without floors 0 always meets a ROAS
    targeted = with_targets(problem, [("min_roas", roas)])
    allocation = solve(targeted)
    assert allocation.status == "optimal"
    got = outcome(targeted, allocation.spend)
    if allocation.spend.sum() > 1e-3:
        assert got["expected_revenue"] >= roas * allocation.spend.sum() - FEASIBILITY * max(1.0, allocation.spend.sum())
    assert allocation.objective <= solve(problem).objective + 1e-6 * max(1.0, abs(allocation.objective))


def test_a_binding_roas_target_is_priced_in_words_and_its_price_is_the_margin_it_costs():
    problem = make_problem([5.0, 2.2], [300.0, 2000.0], total=3000.0)
    free = solve(problem)
    roas = outcome(with_targets(problem, []), free.spend)["expected_roas"] + 0.5
    tight = with_targets(problem, [("min_roas", roas)])
    allocation = solve(tight)
    [binding] = [b for b in binding_constraints(tight, allocation) if b.constraint.startswith("[targets]")]
    assert binding.in_words.startswith(f"lowering [targets] min_roas {roas:g} by 0.1 would earn")
    assert "EUR more margin" in binding.in_words
    # the price is the slope of the optimum in the target: compare with a finite difference
    looser = solve(with_targets(problem, [("min_roas", roas - 0.01)]))
    assert binding.shadow_price * 0.01 == pytest.approx(looser.objective - allocation.objective, rel=0.05)
    # at the target: the pieces lie under the concave curve, so the plan's true ROAS is at most a hair above
    assert roas <= outcome(tight, allocation.spend)["expected_roas"] <= roas * (1 + PIECEWISE_SHORTFALL)


def test_max_cpa_and_min_conversions_hold():
    problem = make_problem([5.0, 2.2, 0.9], [300.0, 2000.0, np.inf], total=5000.0)  # the total does not bind
    free = outcome(with_targets(problem, []), solve(problem).spend)
    cpa = with_targets(problem, [("max_cpa", free["expected_cpa"] * 0.9)])
    got = outcome(cpa, solve(cpa).spend)
    assert got["expected_cpa"] <= free["expected_cpa"] * 0.9 * (1 + 1e-6)
    more = with_targets(problem, [("min_conversions", free["expected_conversions"] * 1.05)])
    got = outcome(more, solve(more).spend)
    assert got["expected_conversions"] >= free["expected_conversions"] * 1.05 * (1 - 1e-6)


def test_objectives_revenue_conversions_and_min_spend():
    problem = make_problem([5.0, 2.2, 0.8], [300.0, 2000.0, np.inf], total=3000.0)
    margin = solve(problem)
    revenue = solve(with_targets(problem, [], "revenue"))
    # revenue counts every euro it buys back, so it spends the whole budget, even where margin is lost
    assert revenue.spend.sum() == pytest.approx(3000.0)
    assert margin.spend.sum() < 3000.0
    conversions = solve(with_targets(problem, [], "conversions"))
    assert conversions.spend.sum() == pytest.approx(3000.0)
    need = outcome(with_targets(problem, []), margin.spend)["expected_conversions"] * 0.5
    cheapest = with_targets(problem, [("min_conversions", need)], "min_spend")
    allocation = solve(cheapest)
    assert need <= outcome(cheapest, allocation.spend)["expected_conversions"] <= need * (1 + PIECEWISE_SHORTFALL)
    assert allocation.spend.sum() < margin.spend.sum()
    # the least spend for that volume buys it where a euro buys most: the first pieces of the best segments
    assert allocation.spend[2] == pytest.approx(0.0, abs=FEASIBILITY)


@pytest.mark.parametrize(
    "rows, lower, named",
    [
        ([("min_roas", 30.0)], [0.0, 200.0], ["segment c/s1", "[targets] min_roas 30"]),
        ([("min_conversions", 1e6)], [0.0, 0.0], ["[budget] daily_total", "[targets] min_conversions 1e+06"]),
    ],
)
def test_an_impossible_target_names_the_limits_it_conflicts_with(rows, lower, named):
    problem = with_targets(make_problem([5.0, 2.2], [300.0, 2000.0], total=3000.0, lower=lower), rows)
    assert solve(problem).status == "infeasible"
    error = diagnose(problem)
    assert isinstance(error, InfeasiblePolicyError)
    for name in named:
        assert name in str(error)


@pytest.mark.parametrize("objective, words", [("revenue", "EUR more revenue"), ("conversions", "more conversions"), ("min_spend", None)])
def test_limits_are_priced_in_the_objectives_unit(objective, words):
    problem = make_problem([5.0, 2.2], [300.0, 2000.0], total=800.0, upper=[300.0, 2000.0])
    need = outcome(with_targets(problem, []), solve(problem).spend)["expected_conversions"] * 0.9
    rows = [("min_conversions", need)] if objective == "min_spend" else []
    targeted = with_targets(problem, rows, objective)
    allocation = solve(targeted)
    sentences = [b.in_words for b in binding_constraints(targeted, allocation)]
    if words:
        assert any(s.startswith("one more EUR on [budget] daily_total") and s.endswith(words) for s in sentences), sentences
    else:  # the least spend for a volume: the volume is what costs, and a higher cap on the best segment saves spend
        assert sentences[0].startswith("lowering [targets] min_conversions") and sentences[0].endswith("EUR of spend")
        assert sentences[1].startswith("one more EUR on segment c/s0: [segments] max_spend would save"), sentences
