"""The allocation problem as data: segment curves, per-segment limits, the total, and [[bounds]] rows.

Every limit carries a label in the words of the policy, so binding constraints and conflicts
can be named back to the user ("[[bounds]] #1 campaign 'brand' max 1,500 EUR").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from budgetopt.allocate.curves import PIECES, SegmentCurves
from budgetopt.allocate.guardrails import Guard, guarded_limits, no_guard
from budgetopt.allocate.risk import Risk
from budgetopt.allocate.targets import Targets
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
    notes: tuple[str, ...] = ()  # what the policy's limits could not all be today, and why
    targets: Targets | None = None  # [targets] rows and a non-margin objective (allocate.targets); None = margin alone
    total_label: str = "[budget] daily_total"  # what sets total_max, in the policy's words
    risk: Risk | None = None  # [budget] risk_aversion's posterior draws (allocate.risk); None = expected margin alone
    pieces: int = PIECES  # concave pieces per segment (curves.PIECES; a period's LP takes more, see allocate.period)

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
            notes=self.notes,
            targets=None if self.targets is None else self.targets.scaled(factor),
            total_label=self.total_label,
            risk=self.risk,  # draws of value per euro: no currency in them
            pieces=self.pieces,
        )


def limit_arrays(
    previous: np.ndarray,
    live: np.ndarray,
    min_spend: float,
    max_spend: float,
    max_daily_change: float | None,
    daily_total: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, relaxed): each segment's floor and cap, (..., segments) like `previous` and `live`.

    [segments] min_spend and max_spend, tightened to ±max_daily_change of `previous` (yesterday's
    budget; 0 = new, exempt); segments with no live creative (`live` false) are held at 0. The total
    is a promise about money, the change limit one about smoothness: where the change limit's floors
    alone add up to more than `daily_total`, they yield (`relaxed`, (...,) bool) and cuts go deeper.
    """
    had = previous > 0
    lower = np.full(previous.shape, float(min_spend))
    upper = np.full(previous.shape, float(max_spend))
    if max_daily_change is not None:
        lower = np.where(had, np.maximum(lower, previous * (1 - max_daily_change)), lower)
        upper = np.where(had, np.minimum(upper, previous * (1 + max_daily_change)), upper)
    lower, upper = np.where(live, lower, 0.0), np.where(live, upper, 0.0)
    floors_only = np.where(live, float(min_spend), 0.0)
    relaxed = (lower.sum(-1) > daily_total * (1 + 1e-9)) & (floors_only.sum(-1) <= daily_total)
    return np.where(relaxed[..., None], floors_only, lower), upper, relaxed


def segment_limits(
    previous: np.ndarray,
    live: np.ndarray,
    min_spend: float,
    max_spend: float,
    max_daily_change: float | None,
    currency: str = "EUR",
    daily_total: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """`limit_arrays` for one day, with the policy key that sets each floor and cap (see it for the rules)."""
    lower, upper, relaxed = limit_arrays(previous, live, min_spend, max_spend, max_daily_change, daily_total)
    lower_label = [f"[segments] min_spend {min_spend:,.0f} {currency}"] * len(previous)
    upper_label = [f"[segments] max_spend {max_spend:,.0f} {currency}"] * len(previous)
    if max_daily_change is not None:
        for s in np.flatnonzero((previous > 0) & live):
            if not relaxed and previous[s] * (1 - max_daily_change) > min_spend:
                lower_label[s] = f"max_daily_change −{max_daily_change:.0%} of {previous[s]:,.2f} {currency}"
            if previous[s] * (1 + max_daily_change) < max_spend:
                upper_label[s] = f"max_daily_change +{max_daily_change:.0%} of {previous[s]:,.2f} {currency}"
    for s in np.flatnonzero(~live):
        lower_label[s] = upper_label[s] = "no active creative"
    return lower, upper, lower_label, upper_label


def change_limit(policy: Policy) -> float | None:
    """[budget] max_daily_change as the limits take it (None: no limit)."""
    change = policy.budget.max_daily_change
    return None if change is None or np.isinf(change) else change


def policy_limits(policy: Policy, previous: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """segment_limits with the policy's [segments], max_daily_change (inf = no limit) and daily_total."""
    b, s = policy.budget, policy.segments
    return segment_limits(previous, live, s.min_spend, s.max_spend, change_limit(policy), b.currency, b.daily_total)


def relaxed_change_note(policy: Policy, previous: np.ndarray, live: np.ndarray) -> str | None:
    """Why the change limit's floors were dropped today, in words (None when they hold)."""
    b, s = policy.budget, policy.segments
    _, _, relaxed = limit_arrays(previous, live, s.min_spend, s.max_spend, change_limit(policy), b.daily_total)
    if not relaxed:
        return None
    yesterday = float(previous[(previous > 0) & live].sum())
    return (
        f"the segments' budgets before this plan add up to {yesterday:,.2f} {b.currency}, so cutting each by at most "
        f"{change_limit(policy):.0%} cannot meet [budget] daily_total {b.daily_total:,.2f} {b.currency}: max_daily_change's "
        "floors are dropped for this plan (its caps still hold)"
    )


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
    policy: Policy,
    curves: SegmentCurves,
    segment_labels: tuple[str, ...],
    previous: np.ndarray,
    live: np.ndarray,
    bound_coef: np.ndarray,
    *,
    unbought: np.ndarray | None = None,
    guard: Guard | None = None,
    targets: Targets | None = None,
) -> AllocationProblem:
    """The allocation problem a budget policy sets for these segment curves: every limit of
    [budget], [segments] and [[bounds]], labelled in the policy's words.

    previous: yesterday's budgets (segments,); live: segments with an active creative; unbought: (segments,)
    the share of each segment's budget that would go to creatives that never spent yet show traffic or
    conversions (their value per euro is their pool's guess): together they get at most [segments]
    exploration × daily_total, a probe, until they have spent. guard: the [guardrails] with what the
    freeze list and the overrides hold (default: the guardrails' limits alone)."""
    b = policy.budget
    bound_min = np.array([x.min for x in policy.bounds], dtype=float)
    bound_max = np.array([x.max for x in policy.bounds], dtype=float)
    bound_labels = [f"[[bounds]] #{i + 1} {x.label}" for i, x in enumerate(policy.bounds)]
    if unbought is not None and np.any((unbought > 0) & live):
        bound_coef = np.vstack([bound_coef, np.where(live, unbought, 0.0)[None, :]])
        bound_min = np.append(bound_min, 0.0)
        bound_max = np.append(bound_max, policy.segments.exploration * b.daily_total)
        bound_labels.append(f"[segments] exploration {policy.segments.exploration:.0%} of daily_total for creatives that never spent")
    lower, upper, lower_label, upper_label = policy_limits(policy, previous, live)
    guard = guard or no_guard(policy.guardrails, len(previous))
    lower, upper, lower_label, upper_label = guarded_limits(guard, previous, live, lower, upper, lower_label, upper_label, b.currency)
    note = relaxed_change_note(policy, previous, live)
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
        bound_min=bound_min,
        bound_max=bound_max,
        bound_labels=tuple(bound_labels),
        currency=b.currency,
        notes=(note,) if note else (),
        targets=targets,
    )
