"""The greedy for total-only policies (allocate.greedy) against HiGHS on the same LP: the same status and
objective always, the same budgets where the optimum is unique, the same shadow prices where they are."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetopt.allocate import binding_constraints, segment_limiter, solve
from budgetopt.allocate.solve import GREEDY_NAME, piece_span, solve_greedy, solve_highs
from tests.allocate.test_solve import make_problem

#: relative agreement asked of the two solvers' objectives (HiGHS's feasibility tolerance is 1e-9 absolute)
OBJECTIVE = 1e-6
#: budgets and shadow prices agree to this where they are unique (currency; currency per currency)
CLOSE = 1e-6
#: the step of the one-sided differences that tell whether a shadow price is unique (currency)
STEP = 1e-4


@st.composite
def total_only_problems(draw):
    n = draw(st.integers(1, 10))
    value = np.array(draw(st.lists(st.floats(0.2, 6.0), min_size=n, max_size=n)))
    saturation = np.array(draw(st.lists(st.one_of(st.just(np.inf), st.floats(20.0, 2000.0)), min_size=n, max_size=n)))
    lower = np.array(draw(st.lists(st.one_of(st.just(0.0), st.floats(0.0, 300.0)), min_size=n, max_size=n)))
    room = np.array(draw(st.lists(st.one_of(st.just(np.inf), st.just(0.0), st.floats(0.0, 1500.0)), min_size=n, max_size=n)))
    total = draw(st.floats(0.0, 6000.0))
    total_min = draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0).map(lambda share: share * total)))
    return make_problem(value, saturation, total=total, total_min=total_min, lower=lower, upper=lower + room)


def unique_budgets(problem) -> bool:
    """A sufficient condition for a unique optimum: no two segments have a piece of the same slope within their
    floor and cap, and none is flat (a tie the LP may break either way)."""
    widths, slopes = problem.curves.pieces(piece_span(problem), problem.pieces)
    start = np.hstack([np.zeros((problem.n_segments, 1)), np.cumsum(widths[:, :-1], axis=1)])
    free = (start + widths > problem.lower[:, None]) & (start < problem.upper[:, None]) & (widths > 0)
    seg, slope = np.nonzero(free)[0], slopes[free]
    order = np.argsort(slope, kind="stable")
    seg, slope = seg[order], slope[order]
    tie = (np.diff(slope) < 1e-9 * np.maximum(1.0, np.abs(slope[1:]))) & (np.diff(seg) != 0)
    return not tie.any() and not np.any(np.abs(slope) < 1e-9)


def one_sided(problem, change) -> tuple[float, float]:
    """(left, right) difference quotients of the greedy's optimum as `change(problem, step)` moves a limit; (nan, inf)
    where a segment has no cap, since its pieces then span daily_total and move with it (another piecewise model)."""
    if not np.all(np.isfinite(problem.upper)):
        return np.nan, np.inf
    base = solve_greedy(problem)
    below, above = solve_greedy(change(problem, -STEP)), solve_greedy(change(problem, STEP))
    if any(a is None or a.status != "optimal" for a in (below, above)):
        return np.nan, np.inf
    return (base.objective - below.objective) / STEP, (above.objective - base.objective) / STEP


def total_moved(field: str):
    """A change moving the total's `field` (total_max or total_min) by its step."""
    return lambda problem, step: dataclasses.replace(problem, **{field: getattr(problem, field) + step})


@settings(max_examples=150, deadline=None)
@given(total_only_problems())
def test_the_greedy_is_highs_on_total_only_problems(problem):
    greedy, highs = solve_greedy(problem), solve_highs(problem)
    if greedy is None:  # at the edge of feasibility: HiGHS decides, as solve does
        assert solve(problem).solver == highs.solver
        return
    assert greedy.status == highs.status
    if greedy.status != "optimal":
        return
    assert greedy.objective == pytest.approx(highs.objective, rel=OBJECTIVE, abs=OBJECTIVE)
    assert greedy.spend.sum() <= problem.total_max + CLOSE and greedy.spend.sum() >= problem.total_min - CLOSE
    assert np.all(greedy.spend >= problem.lower - CLOSE) and np.all(greedy.spend <= problem.upper + CLOSE)
    if unique_budgets(problem):
        assert greedy.spend == pytest.approx(highs.spend, abs=CLOSE * max(1.0, problem.total_max))
    forced = problem.total_min > problem.lower.sum() + STEP and greedy.spend.sum() <= problem.total_min + CLOSE
    left, right = one_sided(problem, total_moved("total_min" if forced else "total_max"))  # the limit that binds
    if problem.total_min < problem.total_max - STEP and abs(left - right) < CLOSE:  # the total's price is unique: HiGHS's
        assert greedy.total_dual == pytest.approx(highs.total_dual, abs=CLOSE)
        assert greedy.total_dual == pytest.approx(right, abs=1e-4)


@settings(max_examples=80, deadline=None)
@given(total_only_problems(), st.data())
def test_segment_shadow_prices_are_highs_where_unique(problem, data):
    greedy, highs = solve_greedy(problem), solve_highs(problem)
    if greedy is None or greedy.status != "optimal":
        return
    s = data.draw(st.integers(0, problem.n_segments - 1))
    at_cap = np.isfinite(problem.upper[s]) and greedy.spend[s] >= problem.upper[s] - CLOSE
    at_floor = problem.lower[s] > 0 and greedy.spend[s] <= problem.lower[s] + CLOSE
    if at_cap == at_floor:  # free, or pinned (floor = cap): not a one-sided limit
        return
    field = "upper" if at_cap else "lower"

    def moved(p, step):
        limit = getattr(p, field).copy()
        limit[s] += step
        return dataclasses.replace(p, **{field: limit})

    left, right = one_sided(problem, moved)
    if at_cap and right < -CLOSE:  # truly negative: a right quotient of −1e-12 is a 0, and a cap and total binding together
        # the pieces end at the cap, so moving it re-grids them: a last piece still worth taking on average runs past
        # where the curve starts to lose money, and the model, not the cap, makes the quotient negative; a cap's
        # shadow price is ≥ 0 (more room can always be left unused), and both solvers say 0
        assert greedy.segment_dual[s] == pytest.approx(highs.segment_dual[s], abs=CLOSE) and greedy.segment_dual[s] >= -CLOSE
        return
    if abs(left - right) < CLOSE:
        assert greedy.segment_dual[s] == pytest.approx(highs.segment_dual[s], abs=CLOSE)
        assert greedy.segment_dual[s] == pytest.approx(right, abs=1e-4)


def test_a_cap_and_the_total_binding_together_share_one_price():
    """The case hypothesis found: a cap equal to the total (a linear segment earning 1 a euro, capped at 1, total
    1) binds with it, so the LP's price is not unique: the greedy gives it to the cap, HiGHS to the total. Each
    is an optimal dual, and both say one more euro of both would earn 1 (their sum)."""
    problem = make_problem([1.0, 2.0], [np.inf, np.inf], total=1.0, lower=[0.0, 0.0], upper=[0.0, 1.0])
    greedy, highs = solve_greedy(problem), solve_highs(problem)
    assert greedy.spend == pytest.approx([0.0, 1.0]) and highs.spend == pytest.approx([0.0, 1.0])
    assert greedy.segment_dual[1] + greedy.total_dual == pytest.approx(1.0, abs=CLOSE)
    assert highs.segment_dual[1] + highs.total_dual == pytest.approx(1.0, abs=CLOSE)


def test_a_cap_the_curve_loses_money_beyond_has_no_price():
    """The case hypothesis found: one segment (value 4, saturation 290) capped at 414, where the curve's marginal
    margin is −0.04 but its last piece, up to the cap, still earns on average: it spends to the cap, and the cap's
    shadow price is 0 in both solvers (one more unit of cap would be left unused by the true curve)."""
    problem = make_problem([4.0], [290.0], total=441.0, lower=[0.0], upper=[414.0])
    greedy, highs = solve_greedy(problem), solve_highs(problem)
    assert greedy.spend == pytest.approx([414.0]) and highs.spend == pytest.approx([414.0])
    assert greedy.segment_dual == pytest.approx([0.0], abs=CLOSE) and highs.segment_dual == pytest.approx([0.0], abs=CLOSE)


def test_a_cap_earns_what_the_curve_beyond_it_earns_over_the_totals_price():
    """A cap sits on the pieces' last break, where the LP's dual is not unique: the greedy says what one
    more unit of cap earns (the right derivative), as HiGHS does here, and explain names the cap."""
    problem = make_problem([5.0, 1.5, 2.0], [300.0, 800.0, 500.0], total=1200.0, upper=[250.0, np.inf, np.inf])
    greedy, highs = solve(problem), solve_highs(problem)
    assert greedy.solver == GREEDY_NAME
    wider = solve_highs(dataclasses.replace(problem, upper=np.array([250.0 + STEP, np.inf, np.inf])))
    assert greedy.segment_dual[0] == pytest.approx((wider.objective - highs.objective) / STEP, abs=1e-4)
    assert greedy.segment_dual == pytest.approx(highs.segment_dual, abs=CLOSE)
    assert greedy.total_dual == pytest.approx(highs.total_dual, abs=CLOSE)
    assert segment_limiter(problem, greedy, 0) == segment_limiter(problem, highs, 0)
    assert [b.constraint for b in binding_constraints(problem, greedy)] == [b.constraint for b in binding_constraints(problem, highs)]


def test_infeasible_floors_are_infeasible_and_bounds_go_to_highs():
    floors = make_problem([2.0, 3.0], [100.0, 100.0], total=100.0, lower=[60.0, 60.0])
    assert solve(floors).status == "infeasible" == solve_highs(floors).status
    bounded = make_problem([2.0, 3.0], [100.0, 100.0], total=100.0, bounds=[([1.0, 0.0], 0.0, 30.0)])
    assert solve(bounded).solver != GREEDY_NAME and solve_greedy(make_problem([2.0], [100.0])).solver == GREEDY_NAME
