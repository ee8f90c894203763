"""The allocation LP solved exactly without an LP solver, when the only coupling is the total (issue 18).

With no [[bounds]] row (nor the exploration row for creatives that never spent), no [targets] and no
risk, the LP of solve.py is a fractional knapsack over the concave pieces: each segment's budget lies
in [floor, cap], the total in [min_total, daily_total], and the objective is Σ slope × amount. Filling
every segment to its floor, then the pieces above the floors (within the caps) in order of falling slope
— all the profitable ones, at least min_total and at most daily_total — is optimal, to the last cent.

The shadow prices are the LP's duals, chosen as the right derivative of the optimum in the direction a
limit loosens (what one more unit earns): the total's is the slope of the next piece to fill when a total
binds (0 otherwise); a segment's at its cap is (its marginal slope beyond the cap − the total's price),
where positive; at a floor above 0, (the slope of the piece above its floor − the total's price), where
negative. Where the LP's dual is unique these are HiGHS's; where it is not (a limit on a piece's end)
they are one of the optimal duals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: relative slack (of the largest limit involved) within which a feasibility verdict is left to HiGHS, whose
#: own tolerance decides there
NEAR = 1e-7


@dataclass(frozen=True)
class Knapsack:
    """The greedy's answer: budgets (segments,), the piecewise objective, duals as solve.Allocation has them."""

    spend: np.ndarray
    objective: float
    segment_dual: np.ndarray
    total_dual: float


def fill(
    widths: np.ndarray, slopes: np.ndarray, lower: np.ndarray, upper: np.ndarray, total_min: float, total_max: float
) -> Knapsack | str | None:
    """Maximise Σ slope·x over pieces x_sk ∈ [0, width_sk] (segments, pieces; each row's slopes falling, its
    last width inf), with lower_s ≤ Σ_k x_sk ≤ upper_s and total_min ≤ Σ x ≤ total_max (currency).

    Returns the Knapsack, "infeasible", or None where the greedy will not decide (unbounded, or feasibility
    within NEAR of a limit): the caller then solves the LP."""
    scale = max(1.0, float(np.max(np.abs(lower))), float(np.max(np.where(np.isfinite(upper), upper, 0.0))), abs(total_min),
                abs(total_max) if np.isfinite(total_max) else 0.0)
    floors, caps = float(lower.sum()), float(upper.sum())
    if np.any(lower > upper + NEAR * scale) or floors > total_max + NEAR * scale or caps < total_min - NEAR * scale or total_min > total_max:
        return "infeasible"
    if np.any(lower > upper) or floors > total_max - NEAR * scale or (np.isfinite(caps) and caps < total_min + NEAR * scale):
        return None  # at the edge of feasibility: HiGHS's tolerance decides
    start = np.zeros_like(widths)
    start[:, 1:] = np.cumsum(widths[:, :-1], axis=1)  # each piece's first euro (the tail's: the span)
    end = start + widths
    below = np.clip(np.minimum(end, lower[:, None]) - start, 0.0, None)  # each piece's part under its segment's floor
    room = np.clip(np.minimum(end, upper[:, None]) - np.maximum(start, lower[:, None]), 0.0, None)  # above the floor, within the cap
    order = np.argsort(-slopes, axis=None, kind="stable")
    r, s = room.ravel()[order], slopes.ravel()[order]
    profitable = float(r[s > 0].sum())
    amount = min(max(profitable, total_min - floors), total_max - floors)
    if not np.isfinite(amount):
        return None  # unbounded: HiGHS says so in its words
    before = np.concatenate([[0.0], np.cumsum(r)[:-1]])
    taken = np.clip(amount - before, 0.0, r)
    taken[~np.isfinite(before)] = 0.0
    x = np.zeros(widths.size)
    x[order] = taken
    x = x.reshape(widths.shape)
    spend = lower + x.sum(1)
    objective = float((slopes * below).sum() + (s * taken).sum())
    open_piece = np.flatnonzero(taken < r)
    next_slope = float(s[open_piece[0]]) if len(open_piece) else 0.0
    at_max = amount >= total_max - floors - NEAR * scale and amount < profitable + NEAR * scale and np.isfinite(total_max)
    at_min = total_min - floors > NEAR * scale and amount <= total_min - floors + NEAR * scale and amount > profitable - NEAR * scale
    # the next euro's slope, when a total binds: what one more unit of daily_total (or min_total) earns
    price = next_slope if at_min else (max(next_slope, 0.0) if at_max else 0.0)
    return Knapsack(spend, objective, segment_duals(widths, slopes, start, end, spend, lower, upper, price), price)


def segment_duals(
    widths: np.ndarray, slopes: np.ndarray, start: np.ndarray, end: np.ndarray, spend: np.ndarray, lower: np.ndarray, upper: np.ndarray,
    price: float,
) -> np.ndarray:
    """(segments,) each segment row's shadow price given the total's `price` (see the module's docstring)."""
    tolerance = NEAR * np.maximum(1.0, spend)
    # the slope of the piece that the next euro above `spend` would go to (the tail's beyond the last break)
    above = np.where((end > spend[:, None] + tolerance[:, None]) & (widths > 0), np.arange(widths.shape[1]), widths.shape[1] - 1).min(1)
    next_slope = slopes[np.arange(len(spend)), above]
    at_cap = np.isfinite(upper) & (spend >= upper - tolerance)
    at_floor = (lower > 0) & (spend <= lower + tolerance)
    dual = np.zeros(len(spend))
    dual = np.where(at_cap, np.maximum(next_slope - price, 0.0), dual)
    return np.where(at_floor & ~at_cap, np.minimum(next_slope - price, 0.0), dual)
