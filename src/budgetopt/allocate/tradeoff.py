"""The mean-versus-downside trade-off of [budget] risk_aversion: tomorrow's plan re-solved for a few λ, each
judged on posterior draws its LP did not see (the plan report's table)."""

from __future__ import annotations

import dataclasses

import numpy as np

from budgetopt.allocate.problem import AllocationProblem
from budgetopt.allocate.risk import RISK_DRAWS, Risk, tail_mean
from budgetopt.allocate.solve import solve
from budgetopt.estimate import Estimates
from budgetopt.model import saturation_factor

#: the risk aversions the plan report compares (beside the policy's own)
TRADEOFF_AVERSIONS = (0.0, 0.5, 1.0, 2.0)


def risk_tradeoff(problem: AllocationProblem, estimates: Estimates, share: np.ndarray, rng: np.random.Generator,
                  aversions: tuple[float, ...] = TRADEOFF_AVERSIONS) -> list[dict[str, float]]:
    """Tomorrow's plan under each risk aversion λ: its spend, expected margin and the mean margin of its worst
    5 % of posterior draws (judged on draws the LP did not see), currency; `problem` is the day's (any λ)."""
    h = estimates.history
    fitted = h.segment_sum(share * estimates.value_per_euro_draws(rng, RISK_DRAWS).astype(float))
    judged = h.segment_sum(share * estimates.value_per_euro_draws(rng, 10 * RISK_DRAWS).astype(float))  # (draws, segments)
    found = []
    for aversion in aversions:
        allocation = solve(dataclasses.replace(problem, risk=Risk(aversion, fitted) if aversion > 0 else None))
        if allocation.status != "optimal":
            continue
        spend = allocation.spend
        margin = judged @ (spend * saturation_factor(spend, estimates.saturation_spend)) - spend.sum()  # (draws,)
        found.append({"risk_aversion": aversion, "spend": float(spend.sum()), "expected_margin": float(margin.mean()), "margin_worst_5pct": tail_mean(margin)})
    return found
