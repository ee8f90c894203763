"""Amounts of money as an ad platform takes them: whole cents that still add up."""

from __future__ import annotations

import numpy as np


def cents_keeping_total(values: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """`values` (n,) rounded to the cent so that each group's sum (all of them when `groups` is None; else
    (n,) group ids) is its own total rounded to the cent: the largest remainders take the spare cents, as
    amounts typed into an ad platform must add up to the budget."""
    values = np.asarray(values, dtype=float)
    groups = np.zeros(len(values), dtype=np.int64) if groups is None else np.asarray(groups)
    cents = values * 100.0
    floor = np.floor(cents + 1e-9)
    _, group = np.unique(groups, return_inverse=True)
    totals = np.round(np.bincount(group, weights=cents))
    spare = (totals - np.bincount(group, weights=floor)).astype(np.int64)  # cents still to hand out, per group
    order = np.lexsort((-(cents - floor), group))  # by group, then largest remainder first
    rank = np.empty(len(values), dtype=np.int64)
    starts = np.searchsorted(group[order], np.arange(group.max(initial=-1) + 1))
    rank[order] = np.arange(len(values)) - starts[group[order]]
    return (floor + (rank < spare[group])) / 100.0 + 0.0


def budgets_to_cents(budgets: np.ndarray, lower: np.ndarray, upper: np.ndarray, total_max: float) -> np.ndarray:
    """(segments,) budgets to the cent, as the platform takes them: each within its [lower, upper] (a floor
    rounded up, a cap down, to a cent), adding up to their own total rounded to the cent (never above
    `total_max`). Spare or excess cents go where rounding moved a budget most, within its limits."""
    budgets = np.asarray(budgets, dtype=float)
    floor = np.ceil(np.asarray(lower, dtype=float) * 100.0 - 1e-6)
    cap = np.floor(np.where(np.isfinite(upper), upper, 1e13) * 100.0 + 1e-6)
    floor = np.minimum(floor, cap)
    cents = np.clip(np.round(budgets * 100.0), floor, cap)
    target = np.round(budgets.sum() * 100.0)
    if np.isfinite(total_max):
        target = min(target, np.floor(total_max * 100.0 + 1e-6))
    gap = int(target - cents.sum())  # > 0: cents to add; < 0: cents to take back
    error = cents - budgets * 100.0  # how far rounding moved each budget, in cents
    order = np.argsort(error if gap > 0 else -error, kind="stable")
    while gap != 0:  # one cent at a time, round after round, so no budget moves by more than it must
        moved = False
        for s in order:
            room = cap[s] - cents[s] if gap > 0 else cents[s] - max(floor[s], 0.0)
            if gap == 0 or room < 1:
                continue
            cents[s] += 1 if gap > 0 else -1
            gap += -1 if gap > 0 else 1
            moved = True
        if not moved:
            break
    return cents / 100.0 + 0.0
