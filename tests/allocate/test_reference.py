"""The readable reference formulation in PuLP: the same allocation, written as a modeller would.

It solves, through PuLP (HiGHS behind it), the concave piecewise model stated directly (one variable per
piece, segment/total/bound rows); the production path (numpy arrays into highspy) must agree.
"""

from __future__ import annotations

import numpy as np
import pulp
import pytest

from budgetopt.allocate import AllocationProblem, solve
from tests.allocate.test_solve import make_problem

#: both paths stop at HiGHS's default tolerances (about 1e-9 relative); objectives agree to this
AGREEMENT = 1e-6


def solve_with_pulp(problem: AllocationProblem) -> tuple[float, np.ndarray]:
    span = np.maximum(np.where(np.isfinite(problem.upper), problem.upper, problem.total_max), problem.lower)
    widths, slopes = problem.curves.pieces(np.maximum(span, 1e-9))
    model = pulp.LpProblem("allocation", pulp.LpMaximize)
    pieces = [
        [model.add_variable(f"x_{s}_{k}", 0, None if np.isinf(widths[s, k]) else float(widths[s, k])) for k in range(widths.shape[1])]
        for s in range(problem.n_segments)
    ]
    budget = [pulp.lpSum(row) for row in pieces]
    model += pulp.lpSum(float(slopes[s, k]) * pieces[s][k] for s in range(problem.n_segments) for k in range(widths.shape[1]))
    for s, total in enumerate(budget):
        model += total >= float(problem.lower[s])
        if np.isfinite(problem.upper[s]):
            model += total <= float(problem.upper[s])
    model += pulp.lpSum(budget) <= problem.total_max
    model += pulp.lpSum(budget) >= problem.total_min
    for b in range(len(problem.bound_min)):
        matched = pulp.lpSum(float(problem.bound_coef[b, s]) * budget[s] for s in range(problem.n_segments))
        model += matched >= float(problem.bound_min[b])
        if np.isfinite(problem.bound_max[b]):
            model += matched <= float(problem.bound_max[b])
    model.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[model.status] == "Optimal"
    return pulp.value(model.objective), np.array([pulp.value(t) for t in budget])


@pytest.mark.parametrize("seed", range(5))
def test_highspy_arrays_and_the_pulp_model_agree(seed):
    rng = np.random.default_rng(seed)
    n = 6
    problem = make_problem(
        rng.uniform(0.8, 5.0, n), rng.uniform(50, 2000, n), total=rng.uniform(500, 4000),
        lower=rng.uniform(0, 60, n), upper=rng.uniform(300, 1500, n), bounds=[(rng.integers(0, 2, n), 100.0, 2000.0)],
    )
    reference, budgets = solve_with_pulp(problem)
    ours = solve(problem)
    assert ours.objective == pytest.approx(reference, rel=AGREEMENT, abs=AGREEMENT)
    assert problem.curves.margin(ours.spend).sum() == pytest.approx(problem.curves.margin(budgets).sum(), rel=1e-5, abs=1e-5)
