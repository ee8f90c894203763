"""The allocation LP: invariants, closed-form anchors, nonlinear optimum, explanations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from budgetopt.allocate import (
    AllocationProblem,
    SegmentCurves,
    WarmStart,
    binding_constraints,
    diagnose,
    segment_limits,
    solve,
)
from budgetopt.allocate.solve import solve_highs
from budgetopt.errors import InfeasiblePolicyError

#: the LP's margin may fall short of the true concave optimum by at most this share (issue 4)
PIECEWISE_TOLERANCE = 0.005
#: slack on constraints, currency: HiGHS's primal feasibility tolerance is 1e-7 relative
FEASIBILITY = 1e-5


def make_problem(value, saturation, *, total=1000.0, total_min=0.0, lower=None, upper=None, bounds=(), labels=None) -> AllocationProblem:
    n = len(value)
    lower = np.zeros(n) if lower is None else np.asarray(lower, float)
    upper = np.full(n, np.inf) if upper is None else np.asarray(upper, float)
    coef = np.array([b[0] for b in bounds], dtype=float).reshape(len(bounds), n)
    return AllocationProblem(
        curves=SegmentCurves(np.asarray(value, float), np.asarray(saturation, float)),
        segment_labels=tuple(labels or (f"c/s{i}" for i in range(n))),
        lower=lower,
        upper=upper,
        lower_label=tuple("[segments] min_spend" for _ in range(n)),
        upper_label=tuple("[segments] max_spend" for _ in range(n)),
        total_max=total,
        total_min=total_min,
        bound_coef=coef,
        bound_min=np.array([b[1] for b in bounds], dtype=float),
        bound_max=np.array([b[2] for b in bounds], dtype=float),
        bound_labels=tuple(f"[[bounds]] #{i + 1}" for i in range(len(bounds))),
    )


def true_optimum(problem: AllocationProblem) -> float:
    """The concave optimum by SLSQP from several starts (no bounds rows)."""
    n = problem.n_segments
    upper = np.where(np.isfinite(problem.upper), problem.upper, problem.total_max)
    best = -np.inf
    for start in (np.full(n, problem.total_max / n / 2), np.minimum(upper, problem.total_max / n)):
        result = minimize(
            lambda t: -problem.curves.margin(t).sum(),
            np.clip(start, problem.lower, upper),
            jac=lambda t: -problem.curves.marginal(t),
            bounds=list(zip(problem.lower, upper)),
            constraints=[{"type": "ineq", "fun": lambda t: problem.total_max - t.sum()},
                         {"type": "ineq", "fun": lambda t: t.sum() - problem.total_min}],
            method="SLSQP",
            options={"ftol": 1e-12, "maxiter": 500},
        )
        best = max(best, -result.fun)
    return best


def test_dominant_segment_gets_its_cap():
    problem = make_problem([5.0, 1.5, 1.2], [np.inf, np.inf, np.inf], total=1000, upper=[400, 1000, 1000])
    allocation = solve(problem)
    assert allocation.status == "optimal"
    assert allocation.spend[0] == pytest.approx(400)
    assert allocation.spend[1] == pytest.approx(600)  # the next best takes the rest
    assert allocation.spend[2] == pytest.approx(0, abs=FEASIBILITY)


def test_unsaturated_optimum_matches_closed_form():
    # margin'(T) = v·exp(−T/S) − 1 = 0  →  T* = S·ln v, when the budget does not bind
    v, s = np.array([3.0, 2.0]), np.array([500.0, 300.0])
    allocation = solve(make_problem(v, s, total=10_000))
    assert allocation.spend == pytest.approx(s * np.log(v), rel=0.03)


def test_never_spends_into_negative_margin_without_a_floor():
    allocation = solve(make_problem([0.8, 0.9], [np.inf, 400.0], total=1000))
    assert allocation.spend == pytest.approx([0, 0], abs=FEASIBILITY)
    forced = solve(make_problem([0.8, 0.9], [np.inf, 400.0], total=1000, total_min=300))
    assert forced.spend.sum() == pytest.approx(300)


@pytest.mark.parametrize("seed", range(8))
def test_piecewise_lp_is_within_tolerance_of_nonlinear_optimum(seed):
    rng = np.random.default_rng(seed)
    n = 4
    problem = make_problem(rng.uniform(1.2, 6.0, n), rng.uniform(100, 1500, n), total=rng.uniform(300, 3000), upper=rng.uniform(200, 2000, n))
    allocation = solve(problem)
    exact = problem.curves.margin(allocation.spend).sum()
    assert exact >= true_optimum(problem) * (1 - PIECEWISE_TOLERANCE)


def test_shadow_price_of_the_total_lies_between_one_sided_differences():
    # LP duality: the dual is a supergradient of the optimal value in the limit, so it lies between
    # the value's right and left derivatives (they differ where the optimum sits on a breakpoint)
    caps = [2000.0, 2000.0, 2000.0]
    objective = lambda total: solve(make_problem([3.0, 2.5, 1.8], [400.0, 600.0, 300.0], total=total, upper=caps)).objective
    problem = make_problem([3.0, 2.5, 1.8], [400.0, 600.0, 300.0], total=900, upper=caps)
    base = solve(problem)
    step = 0.5
    right = (objective(900 + step) - base.objective) / step
    left = (base.objective - objective(900 - step)) / step
    assert right - 1e-6 <= base.total_dual <= left + 1e-6
    assert base.total_dual == pytest.approx(problem.curves.marginal(base.spend)[base.spend > 1].mean(), rel=0.1)
    names = [b.constraint for b in binding_constraints(problem, base)]
    assert any("daily_total" in name for name in names)


def test_bound_rows_are_respected_and_explained():
    # campaign bound: segments 0 and 1 together at most 300
    problem = make_problem([4.0, 3.0, 1.5], [np.inf, np.inf, np.inf], total=1000, bounds=[([1, 1, 0], 0.0, 300.0)])
    allocation = solve(problem)
    assert allocation.spend[:2].sum() == pytest.approx(300)
    assert allocation.bound_dual[0] == pytest.approx(4.0 - 1.5)  # moving a euro from segment 2 to 0
    assert any(b.constraint.startswith("[[bounds]] #1 max") for b in binding_constraints(problem, allocation))


def test_change_limits_come_from_previous_spend():
    lower, upper, lower_label, upper_label = segment_limits(np.array([100.0, 0.0, 50.0]), np.array([True, True, False]), 10.0, 1000.0, 0.3)
    assert lower == pytest.approx([70.0, 10.0, 0.0])
    assert upper == pytest.approx([130.0, 1000.0, 0.0])
    assert "max_daily_change" in lower_label[0] and "min_spend" in lower_label[1]
    assert upper_label[2] == "no active creative"


def test_infeasible_floors_name_the_conflict():
    problem = make_problem([2.0, 2.0, 2.0], [500.0] * 3, total=100, lower=[50, 60, 0])
    assert solve(problem).status == "infeasible"
    error = diagnose(problem)
    assert isinstance(error, InfeasiblePolicyError)
    assert len(error.conflicting) == 3  # the total and the two floors, not the free segment
    assert "daily_total" in str(error) and "c/s0" in str(error) and "c/s1" in str(error) and "c/s2" not in str(error)


def test_infeasible_bound_against_caps():
    problem = make_problem([2.0, 2.0], [500.0] * 2, total=1000, upper=[100, 100], bounds=[([1, 1], 500.0, np.inf)])
    error = diagnose(problem)
    assert "[[bounds]] #1 min" in str(error)
    assert "daily_total" not in str(error)


@st.composite
def problems(draw):
    n = draw(st.integers(1, 6))
    floats = lambda lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    value = np.array(draw(st.lists(floats(0.2, 8.0), min_size=n, max_size=n)))
    saturation = np.array(draw(st.lists(st.one_of(floats(20, 3000), st.just(np.inf)), min_size=n, max_size=n)))
    lower = np.array(draw(st.lists(floats(0, 100), min_size=n, max_size=n)))
    upper = lower + np.array(draw(st.lists(floats(0, 1500), min_size=n, max_size=n)))
    total = float(lower.sum() + draw(floats(0, 4000)))  # floors always fit
    mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=float)
    bound_max = float(lower @ mask + draw(floats(0, 2000)))
    return make_problem(value, saturation, total=total, lower=lower, upper=upper, bounds=[(mask, 0.0, bound_max)])


@settings(max_examples=60, deadline=None)
@given(problems())
def test_feasible_whenever_floors_fit_and_every_limit_holds(problem):
    allocation = solve(problem)
    assert allocation.status == "optimal"
    t = allocation.spend
    assert t.sum() <= problem.total_max + FEASIBILITY
    assert np.all(t >= problem.lower - FEASIBILITY) and np.all(t <= problem.upper + FEASIBILITY)
    assert problem.bound_coef @ t <= problem.bound_max + FEASIBILITY


@settings(max_examples=40, deadline=None)
@given(problems(), st.floats(1.0, 3.0))
def test_more_budget_never_lowers_expected_margin(problem, factor):
    richer = AllocationProblem(**{**problem.__dict__, "total_max": problem.total_max * factor})
    assert solve(richer).objective >= solve(problem).objective - 1e-6 * max(1.0, abs(solve(problem).objective))


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from([0.01, 0.5, 100.0]))
def test_currency_scaling_invariance(problem, factor):
    base, scaled = solve(problem), solve(problem.scaled(factor))
    assert scaled.spend == pytest.approx(base.spend * factor, rel=1e-5, abs=1e-6 * factor * max(1.0, problem.total_max))
    assert scaled.objective == pytest.approx(base.objective * factor, rel=1e-6, abs=1e-6 * factor)


def test_a_warm_re_solve_gives_the_cold_solves_answer_day_after_day():
    rng = np.random.default_rng(11)
    n = 40
    value, saturation = rng.uniform(0.5, 6.0, n), rng.uniform(100, 900, n)
    mask = (np.arange(n) % 3 == 0).astype(float)
    warm = WarmStart()
    held = []
    for day in range(12):
        value = value * rng.lognormal(0.0, 0.1, n)  # tomorrow's estimates move a little
        lower = rng.uniform(0, 40, n)
        upper = lower + rng.uniform(50, 800, n)
        if day == 5:  # floors above the total: infeasible, then feasible again the next day
            problem = make_problem(value, saturation, total=float(lower.sum()) - 1.0, lower=lower, upper=upper)
        elif day >= 8:  # a bound: another matrix, passed anew, then re-solved warm
            problem = make_problem(value, saturation, total=9000.0, lower=lower, upper=upper, bounds=[(mask, 0.0, 1500.0)])
        else:
            problem = make_problem(value, saturation, total=9000.0, lower=lower, upper=upper)
        hot, cold = solve_highs(problem, warm=warm), solve_highs(problem)  # warm starts are HiGHS's (no bound: solve's greedy)
        held.append(warm.highs)
        assert hot.status == cold.status
        if cold.status == "optimal":
            assert hot.objective == pytest.approx(cold.objective, rel=1e-9)
            assert hot.spend == pytest.approx(cold.spend, abs=1e-6)
            assert hot.total_dual == pytest.approx(cold.total_dual, abs=1e-9)
    # one instance for the same matrix (through the infeasible day), a new one when the bound came
    assert all(h is held[0] for h in held[:8]) and all(h is held[8] for h in held[8:]) and held[8] is not held[0]


def test_a_warm_run_that_proves_nothing_is_rerun_from_scratch():
    rng = np.random.default_rng(12)
    value, saturation = rng.uniform(0.5, 6.0, 30), rng.uniform(100, 900, 30)
    warm = WarmStart()
    solve_highs(make_problem(value, saturation, total=5000.0), warm=warm)
    stuck = warm.highs
    stuck.setOptionValue("simplex_iteration_limit", 0)  # the next warm run stops before proving anything
    tomorrow = make_problem(value * rng.lognormal(0.0, 0.3, 30), saturation, total=4000.0)
    answer = solve_highs(tomorrow, warm=warm)
    assert answer.status == "optimal" and warm.highs is not stuck
    assert answer.spend == pytest.approx(solve_highs(tomorrow).spend, abs=1e-6)
