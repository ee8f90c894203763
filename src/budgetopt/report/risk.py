"""The plan report's risk section, for a policy with [budget] risk_aversion > 0: tomorrow's plan under a few λ,
its expected margin against the mean margin of its worst 5 % of posterior draws."""

from __future__ import annotations

import numpy as np
import pandas as pd

from budgetopt.allocate.tradeoff import TRADEOFF_AVERSIONS, risk_tradeoff
from budgetopt.config import DEFAULT_SEED, Policy
from budgetopt.plan import PlanResult
from budgetopt.report.html import Section


def risk_sections(result: PlanResult, policy: Policy) -> list[Section]:
    """The trade-off table when the policy is risk-averse, else nothing (re-solving costs one LP per λ)."""
    own = policy.budget.risk_aversion
    if own <= 0:
        return []
    cur = policy.budget.currency
    aversions = tuple(sorted({*TRADEOFF_AVERSIONS, own}))
    rows = risk_tradeoff(result.problem, result.estimates, result.decision_detail.share, np.random.default_rng(DEFAULT_SEED), aversions)
    table = pd.DataFrame({
        "risk_aversion": [f"{r['risk_aversion']:g}{' (this plan)' if r['risk_aversion'] == own else ''}" for r in rows],
        f"spend ({cur})": [r["spend"] for r in rows],
        f"expected margin ({cur})": [r["expected_margin"] for r in rows],
        f"worst 5 % of draws, mean margin ({cur})": [r["margin_worst_5pct"] for r in rows],
    })
    return [Section(
        "Risk: expected margin against the worst outcomes",
        paragraphs=((
            f"[budget] risk_aversion λ = {own:g}: the plan maximises expected margin − λ × the mean loss of the worst 5 % of "
            "posterior draws. Tomorrow's plan under a few λ, each judged on 2,000 draws its LP did not see (before exploration): "
            "what a better worst case costs in expected margin."
        ),),
        table=table,
    )]
