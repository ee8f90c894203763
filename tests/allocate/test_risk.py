"""[budget] risk_aversion: the CVaR term moves money from an uncertain segment to a safe one, raising the
worst draws' margin at a cost in expected margin; λ = 0 is the plan without it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from budgetopt.allocate import solve
from budgetopt.allocate.risk import RISK_DRAWS, Risk, tail_mean
from tests.allocate.test_solve import FEASIBILITY, make_problem

#: a safe segment (value per euro 2.0 ± 2 %) and a risky one (2.2 ± 40 %), unsaturated, sharing a 1,000 budget
MEAN = np.array([2.0, 2.2])
SPREAD = np.array([0.02, 0.4])


def draws(rng, n):
    return MEAN * np.exp(SPREAD * rng.standard_normal((n, 2)) - SPREAD**2 / 2)  # log-normal with the given means


def margins(spend, value_draws):
    return value_draws @ spend - spend.sum()  # unsaturated: margin = (v − 1) × spend


def risky_problem(aversion):
    problem = make_problem(MEAN, [np.inf, np.inf], total=1000.0, upper=[1000.0, 1000.0])
    if aversion == 0:
        return problem
    return dataclasses.replace(problem, risk=Risk(aversion, draws(np.random.default_rng(1), RISK_DRAWS)))


def test_risk_aversion_trades_expected_margin_for_a_better_worst_case():
    fresh = draws(np.random.default_rng(2), 20_000)  # judged on draws the LP never saw
    plans = {aversion: solve(risky_problem(aversion)) for aversion in (0.0, 0.3, 1.0, 3.0)}
    assert plans[0.0].spend == pytest.approx([0.0, 1000.0], abs=FEASIBILITY)  # expected margin alone: all on the risky one
    assert plans[3.0].spend[0] > 900.0  # very averse: nearly all on the safe one (a little of the other still diversifies)
    worst = [tail_mean(margins(plans[a].spend, fresh)) for a in sorted(plans)]
    mean = [margins(plans[a].spend, fresh).mean() for a in sorted(plans)]
    assert worst == sorted(worst) and worst[-1] > worst[0] + 100.0
    assert mean == sorted(mean, reverse=True)
    for plan in plans.values():
        assert plan.status == "optimal" and plan.spend.sum() <= 1000.0 + FEASIBILITY


def test_zero_aversion_with_draws_is_the_plan_without_them():
    without = solve(risky_problem(0.0))
    with_draws = solve(dataclasses.replace(risky_problem(1.0), risk=Risk(0.0, draws(np.random.default_rng(1), RISK_DRAWS))))
    assert with_draws.spend == pytest.approx(without.spend, abs=FEASIBILITY)
