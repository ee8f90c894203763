"""[budget] risk_aversion λ: maximise expected margin − λ × CVaR₅ % of the loss (−margin) over posterior
draws, still an LP (Rockafellar & Uryasev, 2000):

    max  Σ_sk g_sk x_sk − λ (η + Σ_i u_i / (α N))
    s.t. M_i(x) + η + u_i ≥ 0,  u_i ≥ 0,  η free,      M_i(x) = Σ_sk (v_is b_sk − 1) x_sk

g: the mean curves' margin slopes; v_is: draw i's value per unsaturated euro of segment s; b_sk: the
unsaturated euros a euro on piece k buys; α = 5 %. At the optimum η is the draws' 95 % loss quantile
and η + Σu/(αN) the mean loss of the worst 5 % of draws: λ = 1 gives up a euro of expected margin for
each euro the bad draws' margin gains.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from budgetopt.config import Policy
from budgetopt.estimate import Estimates

if TYPE_CHECKING:
    from budgetopt.allocate.problem import AllocationProblem

#: posterior draws in the LP: each is one row over every piece, so 200 keeps a 250-segment account's LP
#: near 1.7 M nonzeros; the tail (α N = 10 draws) is still an average, not one draw
RISK_DRAWS = 200
#: the tail whose mean loss is penalised: the worst 5 % of draws
TAIL = 0.05


@dataclass(frozen=True)
class Risk:
    """λ and the draws of value per unsaturated euro, (draws, segments)."""

    aversion: float
    value_draws: np.ndarray
    tail: float = TAIL


def with_risk(problem: AllocationProblem, policy: Policy, estimates: Estimates, share: np.ndarray, rng: np.random.Generator) -> AllocationProblem:
    """`problem` with the policy's risk_aversion and RISK_DRAWS posterior draws (unchanged when λ = 0, no draw taken).

    share: (cells,) each creative's share of its segment (the decisions')."""
    aversion = policy.budget.risk_aversion
    if aversion <= 0:
        return problem
    h = estimates.history
    draws = h.segment_sum(share * estimates.value_per_euro_draws(rng, RISK_DRAWS).astype(float))
    return dataclasses.replace(problem, risk=Risk(aversion, draws))


def risk_rows(
    risk: Risk, gain: np.ndarray, bought: np.ndarray, widths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, sparse.csr_matrix, np.ndarray]:
    """What the risk term adds to an LP over `gain`'s pieces (segments, pieces) of `widths`, `bought` their slopes
    in unsaturated euros: (cost of every column, its lower and upper bounds, the extra rows' block over all
    columns, their lower limits). Columns: the pieces, then η, then u_1..u_N. Minimised: cost = −objective."""
    n_draws = len(risk.value_draws)
    margin = (risk.value_draws[:, :, None] * bought[None, :, :] - 1.0).reshape(n_draws, -1)  # (draws, pieces) M_i per euro
    cost = np.r_[-gain.ravel(), risk.aversion, np.full(n_draws, risk.aversion / (risk.tail * n_draws))]
    lower = np.r_[np.zeros(gain.size), -np.inf, np.zeros(n_draws)]
    upper = np.r_[widths.ravel(), np.full(1 + n_draws, np.inf)]
    block = sparse.hstack([sparse.csr_matrix(margin), sparse.csr_matrix(np.ones((n_draws, 1))), sparse.identity(n_draws, format="csr")])
    return cost, lower, upper, block.tocsr(), np.zeros(n_draws)


def tail_mean(total_draws: np.ndarray, tail: float = TAIL) -> float:
    """Mean of the worst `tail` share of a plan's margin draws (draws,), currency: what the risk term raises."""
    worst = np.sort(total_draws)[: max(1, int(np.ceil(tail * len(total_draws))))]
    return float(worst.mean())

