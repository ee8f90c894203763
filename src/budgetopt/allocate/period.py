"""A budget period ([budget] period_total, period_start, period_end): what remains of it is spread over the
days left × segments in one LP, each day's response scaled by its weekday's effect; tomorrow's row is the plan.

Days are the LP's blocks: block d holds every segment's pieces for day d (value per euro × m_d, the same
saturation), the period's remaining total is the LP's total, each day's total is capped by daily_total
(when given) and floored by min_total through one [[bounds]]-like row per day, and [[bounds]] and
[targets] hold each day. Tomorrow's segment limits are the day's (max_daily_change included); later days
only [segments] min_spend and max_spend, since their yesterday is not known yet.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from budgetopt.allocate.curves import SegmentCurves
from budgetopt.allocate.explain import diagnose
from budgetopt.allocate.problem import AllocationProblem, change_limit
from budgetopt.allocate.solve import Allocation, solve
from budgetopt.config import Policy
from budgetopt.errors import InputError, SolverError

#: what the total of tomorrow's plan is called when it comes from the period
TOMORROW_LABEL = "tomorrow's part of [budget] period_total"
#: pieces per segment and day: the LP splits a day's money between days only to within a piece's width (days
#: alike tie on a piece's slope), so finer than one day's LP (curves.PIECES = 32): tomorrow's total within ~1 %
PERIOD_PIECES = 96
#: ... as long as the LP keeps to about this many columns (days × segments × pieces); a large account's period
#: LP takes fewer pieces (at least MIN_PERIOD_PIECES): 250 segments × 30 days at 96 pieces did not solve in 60 s
PERIOD_COLUMNS = 60_000
MIN_PERIOD_PIECES = 12


@dataclass(frozen=True)
class Period:
    """A budget period seen on the plan date `as_of` (the first day left), with what the log shows spent in it."""

    total: float  # currency
    start: pd.Timestamp
    end: pd.Timestamp  # included
    as_of: pd.Timestamp
    spent: float  # currency, logged from start to the day before as_of
    overdelivery: float = 1.0
    multipliers: np.ndarray = dataclasses.field(default_factory=lambda: np.ones(7))  # (7,) Monday first, the account's
    by_segment: np.ndarray | None = None  # (segments, 7) each segment's own, when fitted (None: the account's for all)
    spent_by_day: tuple[tuple[str, float], ...] = ()  # (yyyy-mm-dd, spend) of the period's logged days, for the report

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.as_of, self.end, freq="D")

    @property
    def days_left(self) -> int:
        return len(self.dates)

    def day_multipliers(self, n_segments: int) -> np.ndarray:
        """(days left, segments) what a euro earns on each day left relative to tomorrow (the estimates' forecast), by segment."""
        weekday = self.dates.day_of_week.to_numpy()
        week = np.tile(self.multipliers, (n_segments, 1)) if self.by_segment is None else self.by_segment
        return (week[:, weekday] / week[:, weekday[:1]]).T

    @property
    def remaining(self) -> float:
        """What is left to spend, currency (never below 0)."""
        return max(self.total - self.spent, 0.0)

    @property
    def plannable(self) -> float:
        """What the plan spreads over the days left: the remainder ÷ [budget] overdelivery."""
        return self.remaining / self.overdelivery

    @property
    def pace(self) -> float | None:
        """Spent so far ÷ what an even pace would have spent by now (None on the period's first day)."""
        elapsed = (self.as_of - self.start).days
        even = self.total * elapsed / ((self.end - self.start).days + 1)
        return self.spent / even if elapsed > 0 else None


def period_of(policy: Policy, as_of: pd.Timestamp, spent: float, by_segment: np.ndarray | None = None) -> Period:
    """The policy's period on `as_of`, with each segment's weekday effects (segments, 7) when fitted (History.weekday);
    a plan date outside it is an InputError."""
    b = policy.budget
    start, end = pd.Timestamp(b.period_start), pd.Timestamp(b.period_end)
    if not (start <= as_of <= end):
        raise InputError(
            f"[budget] period {start:%Y-%m-%d} to {end:%Y-%m-%d} does not include the plan date {as_of:%Y-%m-%d}; "
            "give the current period (or plan a day inside it with --date)"
        )
    pooled = np.ones(7) if by_segment is None else np.exp(np.log(by_segment).mean(0))  # the account's week, for the summary
    return Period(b.period_total, start, end, as_of, float(spent), b.overdelivery, pooled, by_segment)


def day_policy(policy: Policy, period: Period | None) -> Policy:
    """The policy as one day's plan takes it: with a period, no day may spend more than the period still allows
    (daily_total, when given, still caps it), so an exhausted period gives a plan of 0, not a conflict."""
    if period is None:
        return policy
    cap = max(min(period.plannable, policy.budget.daily_total or np.inf), 1e-9)
    budget = policy.budget.model_copy(update={"daily_total": cap, "min_total": min(policy.budget.min_total, cap)})
    return policy.model_copy(update={"budget": budget})


def period_problem(day: AllocationProblem, period: Period, policy: Policy) -> AllocationProblem:
    """One LP over the days left × segments (blocks of segments, tomorrow first) for `day`, tomorrow's problem."""
    n, dates = day.n_segments, period.dates
    days = len(dates)
    m = period.day_multipliers(n).ravel()  # (days × segments,)
    live = ~((day.upper == 0) & (day.lower == 0))
    s = policy.segments
    later_lower, later_upper = np.where(live, s.min_spend, 0.0), np.where(live, s.max_spend, 0.0)
    labels = [f"{d:%Y-%m-%d}" for d in dates]
    b = policy.budget
    per_day = sparse.kron(sparse.identity(days), np.ones((1, n)))  # (days, days × n) each day's total
    bounds = sparse.kron(sparse.identity(days), sparse.csr_matrix(day.bound_coef)) if len(day.bound_min) else sparse.csr_matrix((0, days * n))
    growth, growth_labels = _growth_rows(live, days, n, change_limit(policy), labels)
    daily_cap = b.daily_total if b.daily_total is not None else np.inf
    targets = None
    if day.targets is not None:
        t = day.targets.tiled(days, labels)
        targets = dataclasses.replace(
            t, revenue_per_euro=t.revenue_per_euro * m, conversions_per_euro=t.conversions_per_euro * m
        )
    return AllocationProblem(
        curves=SegmentCurves(m * np.tile(day.curves.value_per_euro, days), np.tile(day.curves.saturation_spend, days)),
        segment_labels=tuple(f"{label} on {date}" for date in labels for label in day.segment_labels),
        lower=np.r_[day.lower, np.tile(later_lower, days - 1)],
        upper=np.r_[day.upper, np.tile(later_upper, days - 1)],
        lower_label=day.lower_label + tuple(f"[segments] min_spend on {d}" for d in labels[1:] for _ in range(n)),
        upper_label=day.upper_label + tuple(f"[segments] max_spend on {d}" for d in labels[1:] for _ in range(n)),
        total_max=period.plannable,
        total_min=0.0,
        bound_coef=sparse.vstack([bounds, per_day, growth]).tocsr(),
        bound_min=np.r_[np.tile(day.bound_min, days), np.full(days, b.min_total), np.full(growth.shape[0], -np.inf)],
        bound_max=np.r_[np.tile(day.bound_max, days), np.full(days, daily_cap), np.zeros(growth.shape[0])],
        bound_labels=tuple(f"{label} on {d}" for d in labels for label in day.bound_labels) + tuple(f"[budget] daily_total (at most what the period still allows) on {d}" for d in labels)
        + growth_labels,
        currency=day.currency,
        targets=targets,
        total_label=f"[budget] period_total's remainder{' ÷ overdelivery' if period.overdelivery != 1 else ''}",
        pieces=int(np.clip(PERIOD_COLUMNS // (days * n), MIN_PERIOD_PIECES, PERIOD_PIECES)),
    )


def _growth_rows(live: np.ndarray, days: int, n: int, change: float | None, labels: list[str]) -> tuple[sparse.csr_matrix, tuple[str, ...]]:
    """max_daily_change's caps between the days left, T(d+1, s) − (1 + change) T(d, s) ≤ 0 for each live segment, so
    the plan does not count on a jump the next mornings could not make (their floors are left out: a day may always
    spend less than planned, and the next morning re-plans)."""
    if change is None or days < 2:
        return sparse.csr_matrix((0, days * n)), ()
    d, s = np.meshgrid(np.arange(days - 1), np.flatnonzero(live), indexing="ij")
    d, s = d.ravel(), s.ravel()
    rows = np.arange(len(d))
    matrix = sparse.csr_matrix(
        (np.r_[np.ones(len(d)), np.full(len(d), -(1 + change))], (np.r_[rows, rows], np.r_[(d + 1) * n + s, d * n + s])), shape=(len(d), days * n)
    )
    return matrix, tuple(f"max_daily_change +{change:.0%} from {labels[i]} to {labels[i + 1]}" for i in d)


@dataclass(frozen=True)
class PeriodPlan:
    """The period's plan: spend and expected margin per day left × segment, currency."""

    period: Period
    problem: AllocationProblem
    allocation: Allocation
    spend: np.ndarray  # (days, segments)
    margin: np.ndarray  # (days, segments)
    segment_labels: tuple[str, ...] = ()  # 'campaign/segment', as tomorrow's problem names them

    @property
    def tomorrow_total(self) -> float:
        return float(self.spend[0].sum())

    def summary(self, tomorrow_spend: float, tomorrow_margin: float) -> dict[str, Any]:
        """summary.json's `period`, with tomorrow's row as the final plan has it (after exploration)."""
        p = self.period
        spend, margin = self.spend.sum(1), self.margin.sum(1)
        spend[0], margin[0] = tomorrow_spend, tomorrow_margin
        return {
            "total": p.total, "start": f"{p.start:%Y-%m-%d}", "end": f"{p.end:%Y-%m-%d}", "spent": p.spent, "remaining": p.remaining,
            "days_left": p.days_left, "pace": p.pace, "overdelivery": p.overdelivery,
            "spent_by_day": [{"date": d, "spend": float(v)} for d, v in p.spent_by_day],
            "weekday_effects": _by_weekday(p.multipliers),
            "weekday_effects_by_segment": {} if p.by_segment is None else {
                label: _by_weekday(row) for label, row in zip(self.segment_labels, p.by_segment) if np.abs(np.log(row / p.multipliers)).max() > 0.005
            },
            "planned_by_day": [
                {"date": f"{d:%Y-%m-%d}", "spend": float(s), "expected_margin": float(g)} for d, s, g in zip(p.dates, spend, margin)
            ],
        }


def _by_weekday(multipliers: np.ndarray) -> dict[str, float]:
    return dict(zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), map(float, multipliers)))


def plan_period(day: AllocationProblem, period: Period, policy: Policy, value_mean: np.ndarray | None = None) -> PeriodPlan:
    """Solve the period's LP; an infeasible one raises the diagnosis naming its conflicting limits. value_mean: each
    segment's posterior mean value per unsaturated euro (segments,), what the days' expected margins are reported on
    (the LP's own values may carry the optimism bonus); None: the LP's."""
    problem = period_problem(day, period, policy)
    allocation = solve(problem)
    if allocation.status == "infeasible":
        raise diagnose(problem)
    if allocation.status != "optimal":
        raise SolverError(f"the solver {allocation.status} before proving the period's plan optimal; rerun, or simplify the policy")
    shape = (period.days_left, day.n_segments)
    spend = allocation.spend.reshape(shape)
    curves = problem.curves if value_mean is None else SegmentCurves(period.day_multipliers(day.n_segments).ravel() * np.tile(value_mean, shape[0]), problem.curves.saturation_spend)
    margin = curves.margin(spend.ravel()).reshape(shape)
    return PeriodPlan(period, problem, allocation, spend, margin, day.segment_labels)


def for_tomorrow(day: AllocationProblem, plan: PeriodPlan) -> AllocationProblem:
    """Tomorrow's problem with its total capped at tomorrow's row of the period plan (so it re-finds that row)."""
    total = plan.tomorrow_total * (1 + 1e-9) + 1e-7  # the solver's own tolerance: tomorrow's floors still fit
    return dataclasses.replace(day, total_max=total, total_min=min(day.total_min, total), total_label=TOMORROW_LABEL)


def period_from_log(policy: Policy, log: pd.DataFrame, as_of: pd.Timestamp, week: np.ndarray | None) -> Period:
    """The policy's period on `as_of`: the log's spend in it so far, and each segment's weekday effects `week`
    (segments, 7) as the History fitted them (None: no weekday effect)."""
    b = policy.budget
    dates = log["date"]
    in_period = log[(dates >= pd.Timestamp(b.period_start)) & (dates < as_of)]
    by_day = in_period.groupby("date")["spend"].sum()
    period = period_of(policy, as_of, float(in_period["spend"].sum()), week)
    return dataclasses.replace(period, spent_by_day=tuple((f"{d:%Y-%m-%d}", float(v)) for d, v in by_day.items()))
