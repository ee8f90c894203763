"""The budget policy's limits on one day's segment budgets, and the feasible split nearest a wish.

Every simulated policy works under the scenario's budget policy, as `budgetopt plan` does: the
daily total and its floor, each segment's floor and cap, ±max_daily_change of yesterday's budget
and every [[bounds]]. A baseline states the budgets it wants; `feasible_budgets` rescales them
as a person would (one factor for all, each clipped to its segment's limits, so what a capped
segment cannot take goes to the others in proportion), and only when that cannot satisfy every
limit takes the feasible budgets nearest the wish (least total absolute change, a small LP).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from budgetopt.allocate import bound_coefficients, policy_limits
from budgetopt.config import Policy
from budgetopt.errors import InfeasiblePolicyError
from budgetopt.model import segment_sums

#: relative slack (of the daily total) within which a limit counts as met
TOLERANCE = 1e-7
_BISECTIONS = 60
#: rounds of rescaling the wishes of segments under a violated [[bounds]] row before the LP settles it
_FITTING_ROUNDS = 8


@dataclass(frozen=True)
class Account:
    """What every policy knows before the run: the cells' names, their segments, and the budget policy."""

    campaign: np.ndarray  # (cells,) str
    segment: np.ndarray  # (cells,) str
    creative: np.ndarray  # (cells,) str
    segment_index: np.ndarray  # (cells,) int
    n_segments: int
    policy: Policy  # the baselines' (a period spent evenly: simulate.pacing.flat_policy)
    paced_policy: Policy | None = None  # the scenario's own, with its period, for the `budgetopt` policy to pace

    @property
    def n_cells(self) -> int:
        return len(self.creative)

    @property
    def segment_labels(self) -> tuple[str, ...]:
        first = np.unique(self.segment_index, return_index=True)[1]
        return tuple(f"{self.campaign[i]}/{self.segment[i]}" for i in first)

    def segment_sum(self, values: np.ndarray) -> np.ndarray:
        """(..., cells) → (..., segments)."""
        return segment_sums(values, self.segment_index, self.n_segments)

    def bound_coef(self, shares: np.ndarray) -> np.ndarray:
        """(bounds, segments): the share of each segment's budget that each [[bounds]]'s matched cells receive."""
        return bound_coefficients(self.policy, self.campaign, self.segment, self.creative, self.segment_index, self.n_segments, shares)

    def segment_limits(self, previous: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
        """(lower, upper, lower_label, upper_label) per segment, as `budgetopt plan` sets them."""
        return policy_limits(self.policy, previous, live)


def _fill(wish: np.ndarray, lower: np.ndarray, upper: np.ndarray, target: float) -> np.ndarray:
    """clip(λ · wish, lower, upper) with the one λ ≥ 0 that makes the total `target` (bisection);
    the closest total reachable when caps or zero wishes stop it short."""
    total = lambda scale: np.clip(scale * wish, lower, upper).sum()
    high = 1.0
    while total(high) < target and high < 1e12:
        high *= 4.0
    low = 0.0
    for _ in range(_BISECTIONS):
        mid = 0.5 * (low + high)
        if total(mid) > target:
            high = mid
        else:
            low = mid
    return np.clip(low * wish, lower, upper)


def feasible_budgets(desired: np.ndarray, shares: np.ndarray, previous: np.ndarray, account: Account) -> np.ndarray:
    """(segments,) budgets under the policy's limits, nearest the `desired` (segments,) ones.

    The desired total (kept within [min_total, daily_total]) is spread in proportion to the wishes,
    each clipped to its segment's floor and cap, as a person rescales budgets by hand; a [[bounds]]
    row that is still violated rescales the wishes of the segments it covers and the rest absorb the
    difference, a few rounds. What still fails is settled by the nearest feasible budgets (an LP).

    shares: (cells,) each cell's share of its segment (a segment whose shares are all 0 gets 0);
    previous: (segments,) yesterday's budgets (0 = new, exempt from the change limit).
    """
    budget = account.policy.budget
    live = account.segment_sum(shares) > 0
    wish = np.where(live, np.maximum(np.asarray(desired, dtype=float), 0.0), 0.0)
    lower, upper, _, _ = account.segment_limits(previous, live)
    slack = TOLERANCE * budget.daily_total
    if lower.sum() > budget.daily_total + slack or upper.sum() < budget.min_total - slack:
        raise InfeasiblePolicyError(
            f"the segments' floors ({lower.sum():,.2f}) and caps ({upper.sum():,.2f}) leave no room for a total between "
            f"[budget] min_total {budget.min_total:,.2f} and daily_total {budget.daily_total:,.2f}; loosen the scenario's policy"
        )
    target = min(max(wish.sum(), budget.min_total), budget.daily_total)
    if wish.sum() <= 0:
        wish = live.astype(float)  # nothing wished but something must be spent: evenly
    coef = account.bound_coef(shares)
    bound_min = np.array([b.min for b in account.policy.bounds])
    bound_max = np.array([b.max for b in account.policy.bounds])
    spend = _fill(wish, lower, upper, target)
    for _ in range(_FITTING_ROUNDS):
        activity = coef @ spend
        over, under = activity > bound_max + slack, activity < bound_min - slack
        if not (over.any() or under.any()):
            break
        for b in np.flatnonzero(over | under):
            covered = coef[b] > 0
            limit = bound_max[b] if over[b] else bound_min[b]
            wish = np.where(covered, wish * limit / max(activity[b], 1e-12), wish)
            if under[b] and activity[b] <= 0:
                wish = np.where(covered & live, limit / max(covered.sum(), 1), wish)
        spend = _fill(wish, lower, upper, target)
    total_ok = budget.min_total - slack <= spend.sum() <= budget.daily_total + slack
    if not total_ok or (len(coef) and not _bounds_hold(coef @ spend, account, slack)):
        spend = _nearest(spend, lower, upper, coef, account)
    return spend


def _bounds_hold(activity: np.ndarray, account: Account, slack: float) -> bool:
    low = np.array([b.min for b in account.policy.bounds])
    high = np.array([b.max for b in account.policy.bounds])
    return bool(np.all(activity >= low - slack) and np.all(activity <= high + slack))


def _nearest(target: np.ndarray, lower: np.ndarray, upper: np.ndarray, coef: np.ndarray, account: Account) -> np.ndarray:
    """The feasible budgets with the least Σ |T − target| (variables: T, then the deviations)."""
    n = len(target)
    budget = account.policy.budget
    eye = np.eye(n)
    bound_min = np.array([b.min for b in account.policy.bounds])
    bound_max = np.array([b.max for b in account.policy.bounds])
    rows = [np.hstack([eye, -eye]), np.hstack([-eye, -eye]), np.r_[np.ones(n), np.zeros(n)][None, :], np.r_[-np.ones(n), np.zeros(n)][None, :]]
    rhs = [target, -target, [budget.daily_total], [-budget.min_total]]
    finite_max = np.isfinite(bound_max)
    rows += [np.hstack([coef[finite_max], np.zeros((finite_max.sum(), n))]), np.hstack([-coef, np.zeros((len(coef), n))])]
    rhs += [bound_max[finite_max], -bound_min]
    result = linprog(
        np.r_[np.zeros(n), np.ones(n)],
        A_ub=np.vstack(rows),
        b_ub=np.concatenate([np.atleast_1d(r) for r in rhs]),
        bounds=[(lo, None if np.isinf(hi) else hi) for lo, hi in zip(lower, upper)] + [(0, None)] * n,
        method="highs",
    )
    if result.status != 0:
        raise InfeasiblePolicyError(
            "the scenario's policy cannot be met: its [[bounds]] conflict with the daily total, the segments' limits or "
            "the change limit; check it with `budgetopt plan` or loosen it"
        )
    return np.maximum(result.x[:n], 0.0)
