"""Why the plan is what it is: binding constraints with shadow prices, each segment's limiter,
and, for an infeasible policy, the smallest set of conflicting constraints we can find."""

from __future__ import annotations

import numpy as np

from budgetopt.allocate.problem import AllocationProblem
from budgetopt.allocate.solve import (
    AT_LIMIT,
    Allocation,
    Binding,
    build,
    is_infeasible,
    run_highs,
)
from budgetopt.allocate.targets import gain_in_words, limit_in_words, loosening_gain
from budgetopt.errors import InfeasiblePolicyError
from budgetopt.model import saturation_factor

#: a shadow price smaller than this (currency per currency) is reported as not binding
PRICE_TOLERANCE = 1e-7
#: a total or a [[bounds]] row within this (currency per day) of its limit is at the limit: the solver's
#: answer is exact only to its feasibility tolerance (relative AT_LIMIT is for segment budgets)
AT_TOTAL = 1e-4
#: a shadow price worth a sentence: below half a cent per unit a constraint binds only on paper (the JSON keeps them all)
MIN_SHADOW_PRICE = 0.005


def money(value: float, currency: str) -> str:
    """An amount as every sentence and table writes it: '1,234.50 EUR'."""
    return f"{value:,.2f} {currency}"


def binding_constraints(problem: AllocationProblem, allocation: Allocation) -> list[Binding]:
    """Constraints at their limit with a non-zero shadow price, largest first."""
    found: list[Binding] = []
    spend = allocation.spend
    cur = problem.currency
    total = spend.sum()
    if abs(allocation.total_dual) > PRICE_TOLERANCE:
        if total >= problem.total_max - AT_TOTAL and allocation.total_dual > 0:
            found.append(Binding(f"{problem.total_label} {money(problem.total_max, cur)}", allocation.total_dual))
        elif total <= problem.total_min + AT_TOTAL:
            found.append(Binding(f"[budget] min_total {money(problem.total_min, cur)}", allocation.total_dual))
    for s in np.flatnonzero(np.abs(allocation.segment_dual) > PRICE_TOLERANCE):
        at_cap = spend[s] >= problem.upper[s] - AT_TOTAL
        label = problem.upper_label[s] if (at_cap and allocation.segment_dual[s] > 0) else problem.lower_label[s]
        found.append(Binding(f"segment {problem.segment_labels[s]}: {label}", float(allocation.segment_dual[s])))
    activity = problem.bound_coef @ spend if len(problem.bound_min) else np.zeros(0)
    for b in np.flatnonzero(np.abs(allocation.bound_dual) > PRICE_TOLERANCE):
        side = "max" if activity[b] >= problem.bound_max[b] - AT_TOTAL else "min"
        limit = problem.bound_max[b] if side == "max" else problem.bound_min[b]
        found.append(Binding(f"{problem.bound_labels[b]} {side} {money(limit, cur)}", float(allocation.bound_dual[b])))
    if problem.targets is not None:  # another objective: its unit in the sentence, not margin's
        objective = problem.targets.objective
        found = [Binding(b.constraint, b.shadow_price, limit_in_words(b.constraint, b.shadow_price, objective, cur)) for b in found]
    return sorted(found + target_bindings(problem, allocation), key=lambda item: -abs(item.shadow_price))


def target_bindings(problem: AllocationProblem, allocation: Allocation) -> list[Binding]:
    """The [targets] at their limit, each with what loosening it by one unit would add to the objective, in words."""
    targets = problem.targets
    if targets is None or not len(allocation.target_dual):
        return []
    bought = allocation.spend * saturation_factor(allocation.spend, problem.curves.saturation_spend)
    found = []
    for row, dual in zip(targets.rows, allocation.target_dual):
        if abs(dual) <= PRICE_TOLERANCE:
            continue
        gain = loosening_gain(row, float(dual), float(allocation.spend[row.segments].sum()), float((targets.conversions_per_euro * bought)[row.segments].sum()))
        found.append(Binding(row.label, gain, gain_in_words(row, gain, targets.objective, problem.currency)))
    return found


def describe_binding(item: Binding, currency: str) -> str:
    """'one more EUR on [budget] daily_total … would earn 0.84 EUR' in words (a target's own sentence, see allocate.targets)."""
    if item.in_words:
        return item.in_words
    verb = "earn" if item.shadow_price >= 0 else "cost"
    return f"one more {currency} on {item.constraint} would {verb} {abs(item.shadow_price):,.2f} {currency}"


def binding_in_words(binding: list[dict], currency: str) -> list[str]:
    """The summary's binding constraints worth saying ({constraint, shadow_price} dicts), in words, largest first."""
    return [
        describe_binding(Binding(item["constraint"], item["shadow_price"], item.get("in_words")), currency)
        for item in binding
        if abs(item["shadow_price"]) >= MIN_SHADOW_PRICE
    ]


def segment_limiter(problem: AllocationProblem, allocation: Allocation, s: int) -> str:
    """What set segment s's budget: its cap or floor, the total, a bound, or saturation."""
    spend, cur = allocation.spend[s], problem.currency
    if problem.upper[s] == 0 and problem.lower[s] == 0:
        return "no active creative"
    if spend >= problem.upper[s] - AT_LIMIT * max(1.0, spend) and allocation.segment_dual[s] > PRICE_TOLERANCE:
        return f"capped by {problem.upper_label[s]}"
    if spend <= problem.lower[s] + AT_LIMIT * max(1.0, spend) and allocation.segment_dual[s] < -PRICE_TOLERANCE:
        return f"held up by {problem.lower_label[s]} (it would earn more elsewhere)"
    marginal = float(problem.curves.marginal(allocation.spend)[s])
    if spend <= AT_LIMIT:
        return f"left at 0: its first {cur} would earn {marginal:+.2f} {cur} net"
    if allocation.total_dual > PRICE_TOLERANCE or np.any(np.abs(allocation.bound_dual) > PRICE_TOLERANCE):
        return f"saturation: the next {cur} here earns {marginal:+.2f} {cur} net, no more than elsewhere under the budget"
    return f"saturation: the next {cur} here would earn {marginal:+.2f} {cur} net, so more would lose money"


def diagnose(problem: AllocationProblem) -> InfeasiblePolicyError:
    """An error naming a minimal set of conflicting constraints (deletion filter over the policy's limits).

    Each limit is dropped in turn; if the rest is still infeasible it stays dropped. What remains
    cannot lose any member without becoming feasible: an irreducible conflict.
    """
    lp = build(problem)
    n = problem.n_segments
    cur = problem.currency
    # (row, side, label, amount): every limit the policy sets
    limits: list[tuple[int, str, str]] = [(n, "upper", f"{problem.total_label} {money(problem.total_max, cur)}")]
    if problem.total_min > 0:
        limits.append((n, "lower", f"[budget] min_total {money(problem.total_min, cur)}"))
    for b, label in enumerate(problem.bound_labels):
        if problem.bound_min[b] > 0:
            limits.append((n + 1 + b, "lower", f"{label} min {money(problem.bound_min[b], cur)}"))
        if np.isfinite(problem.bound_max[b]):
            limits.append((n + 1 + b, "upper", f"{label} max {money(problem.bound_max[b], cur)}"))
    for s in range(n):
        if problem.lower[s] > 0:
            limits.append((s, "lower", f"segment {problem.segment_labels[s]}: {problem.lower_label[s]} (floor {money(problem.lower[s], cur)})"))
        if np.isfinite(problem.upper[s]):
            limits.append((s, "upper", f"segment {problem.segment_labels[s]}: {problem.upper_label[s]} (cap {money(problem.upper[s], cur)})"))
    first_target = n + 1 + len(problem.bound_min)
    limits += [(first_target + t, "lower", row.label) for t, row in enumerate(problem.targets.rows if problem.targets is not None else ())]
    row_lower, row_upper = lp.row_lower.copy(), lp.row_upper.copy()

    def infeasible_without(dropped: set[int]) -> bool:
        lower, upper = row_lower.copy(), row_upper.copy()
        for i in dropped:
            row, side, _ = limits[i]
            if side == "lower":
                lower[row] = -np.inf
            else:
                upper[row] = np.inf
        trial = type(lp)(lp.cost, lp.col_lower, lp.col_upper, lp.matrix, lower, upper, lp.pieces_per_segment)
        highs, _ = run_highs(trial, objective=False)
        return is_infeasible(highs)

    dropped: set[int] = set()
    for i in range(len(limits)):
        if infeasible_without(dropped | {i}):
            dropped.add(i)
    conflict = [limits[i][2] for i in range(len(limits)) if i not in dropped]
    if not conflict:
        return InfeasiblePolicyError("the policy's constraints cannot all hold; loosen a floor or raise a cap")
    return InfeasiblePolicyError(
        "the policy's constraints cannot all hold together: " + "; ".join(conflict) + ". Loosen one of them.",
        conflict,
    )
