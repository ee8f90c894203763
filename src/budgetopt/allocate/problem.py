"""The allocation problem as data: segment curves, per-segment limits, the total, and [[bounds]] rows.

Every limit carries a label in the words of the policy, so binding constraints and conflicts
can be named back to the user ("[[bounds]] #1 campaign 'brand' max 1,500 EUR").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from budgetopt.allocate.curves import SegmentCurves
from budgetopt.config import Policy


@dataclass(frozen=True)
class AllocationProblem:
    """Maximise Σ margin_s(T_s) over segment budgets T (segments,), currency per day."""

    curves: SegmentCurves
    segment_labels: tuple[str, ...]
    lower: np.ndarray  # (segments,) floor of each budget
    upper: np.ndarray  # (segments,) cap of each budget (inf = none)
    lower_label: tuple[str, ...]  # which policy key sets each floor
    upper_label: tuple[str, ...]
    total_max: float
    total_min: float
    bound_coef: np.ndarray  # (bounds, segments): share of each segment's budget a bound's cells get
    bound_min: np.ndarray  # (bounds,)
    bound_max: np.ndarray  # (bounds,)
    bound_labels: tuple[str, ...]
    currency: str = "EUR"

    @property
    def n_segments(self) -> int:
        return len(self.lower)

    def scaled(self, factor: float) -> AllocationProblem:
        """The same problem in a currency `factor` times smaller units (for invariance tests)."""
        return AllocationProblem(
            curves=SegmentCurves(self.curves.value_per_euro, self.curves.saturation_spend * factor),
            segment_labels=self.segment_labels,
            lower=self.lower * factor,
            upper=self.upper * factor,
            lower_label=self.lower_label,
            upper_label=self.upper_label,
            total_max=self.total_max * factor,
            total_min=self.total_min * factor,
            bound_coef=self.bound_coef,
            bound_min=self.bound_min * factor,
            bound_max=self.bound_max * factor,
            bound_labels=self.bound_labels,
            currency=self.currency,
        )


def segment_limits(
    previous: np.ndarray,
    live: np.ndarray,
    min_spend: float,
    max_spend: float,
    max_daily_change: float | None,
    currency: str = "EUR",
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Floors and caps per segment from [segments] and max_daily_change, with their labels.

    `previous` (segments,) is yesterday's budget (0 = new: exempt from the change limit);
    segments with no live creative (`live` false) are held at 0.
    """
    n = len(previous)
    lower = np.full(n, float(min_spend))
    upper = np.full(n, float(max_spend))
    lower_label = [f"[segments] min_spend {min_spend:,.0f} {currency}"] * n
    upper_label = [f"[segments] max_spend {max_spend:,.0f} {currency}"] * n
    if max_daily_change is not None:
        change_low = previous * (1 - max_daily_change)
        change_high = previous * (1 + max_daily_change)
        for s in np.flatnonzero(previous > 0):
            if change_low[s] > lower[s]:
                lower[s] = change_low[s]
                lower_label[s] = f"max_daily_change −{max_daily_change:.0%} of {previous[s]:,.2f} {currency}"
            if change_high[s] < upper[s]:
                upper[s] = change_high[s]
                upper_label[s] = f"max_daily_change +{max_daily_change:.0%} of {previous[s]:,.2f} {currency}"
    for s in np.flatnonzero(~live):
        lower[s] = upper[s] = 0.0
        lower_label[s] = upper_label[s] = "no active creative"
    return lower, upper, lower_label, upper_label


def policy_limits(policy: Policy, previous: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """segment_limits with the policy's [segments] and max_daily_change (inf = no limit)."""
    b, s = policy.budget, policy.segments
    change = None if b.max_daily_change is None or np.isinf(b.max_daily_change) else b.max_daily_change
    return segment_limits(previous, live, s.min_spend, s.max_spend, change, b.currency)


def bound_coefficients(
    policy: Policy, campaign: np.ndarray, segment: np.ndarray, creative: np.ndarray,
    segment_index: np.ndarray, n_segments: int, share: np.ndarray,
) -> np.ndarray:
    """(bounds, segments): the share of each segment's budget that each [[bounds]]'s matched cells get.

    The cell arrays are (cells,); `share` is each cell's share of its segment."""
    rows = [
        np.bincount(segment_index, weights=np.where(bound.matches(campaign, segment, creative), share, 0.0), minlength=n_segments)
        for bound in policy.bounds
    ]
    return np.array(rows, dtype=float).reshape(len(policy.bounds), n_segments)


def policy_problem(
    policy: Policy, curves: SegmentCurves, segment_labels: tuple[str, ...], previous: np.ndarray, live: np.ndarray, bound_coef: np.ndarray
) -> AllocationProblem:
    """The allocation problem a budget policy sets for these segment curves: every limit of
    [budget], [segments] and [[bounds]], labelled in the policy's words.

    previous: yesterday's budgets (segments,); live: segments with an active creative."""
    b = policy.budget
    lower, upper, lower_label, upper_label = policy_limits(policy, previous, live)
    return AllocationProblem(
        curves=curves,
        segment_labels=tuple(segment_labels),
        lower=lower,
        upper=upper,
        lower_label=tuple(lower_label),
        upper_label=tuple(upper_label),
        total_max=b.daily_total,
        total_min=b.min_total,
        bound_coef=bound_coef,
        bound_min=np.array([x.min for x in policy.bounds], dtype=float),
        bound_max=np.array([x.max for x in policy.bounds], dtype=float),
        bound_labels=tuple(f"[[bounds]] #{i + 1} {x.label}" for i, x in enumerate(policy.bounds)),
        currency=b.currency,
    )
