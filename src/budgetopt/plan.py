"""One day's plan: estimate → decide → allocate. The API calls `plan_day`; the simulator calls `plan_budgets`, its core."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from budgetopt.allocate import (
    Allocation,
    AllocationProblem,
    SegmentCurves,
    WarmStart,
    binding_constraints,
    bound_coefficients,
    diagnose,
    policy_problem,
    segment_limiter,
    solve,
)
from budgetopt.allocate.period import (
    Period,
    PeriodPlan,
    day_policy,
    for_tomorrow,
    period_from_log,
    plan_period,
)
from budgetopt.allocate.risk import tail_mean, with_risk
from budgetopt.allocate.targets import expected_outcome, policy_targets
from budgetopt.config import DEFAULT_SEED, Policy
from budgetopt.data import LoadedLog, read_log
from budgetopt.data.schema import CellStatus
from budgetopt.decide import Decisions, decide_creatives
from budgetopt.decide.engine import DRAWS
from budgetopt.decide.verdicts import DISABLE, PAUSED
from budgetopt.errors import InputError, SolverError
from budgetopt.estimate import Estimates, History, build_history, fit, fit_saturation
from budgetopt.estimate.history import unpaid_evidence
from budgetopt.estimate.sanity import log_warnings, plan_warnings
from budgetopt.model import budgets_to_cents, cents_keeping_total, saturation_factor
from budgetopt.outputs import clean_floats, round_money

PLAN_COLUMNS = [
    "date", "campaign", "segment", "creative", "status", "spend", "share", "segment_spend", "previous_spend",
    "change", "expected_visits", "expected_conversions", "expected_margin", "margin_p05", "margin_p95", "p_best", "reason",
]
#: plan.csv's amounts of money, written to the cent (the other numbers at full precision)
PLAN_MONEY = ("spend", "segment_spend", "previous_spend", "change", "expected_margin", "margin_p05", "margin_p95")
#: summary.json's amounts of money, written to the cent (shadow prices are rates: full precision)
SUMMARY_MONEY = ("total_spend", "expected_margin", "margin_p05", "margin_p95", "before", "after", "total", "spent", "remaining", "spend", "expected_revenue", "margin_worst_5pct")
DECISION_COLUMNS = [
    "date", "campaign", "segment", "creative", "visits", "conversions", "cvr_mean", "cvr_p05", "cvr_p95",
    "metric_mean", "metric_p05", "metric_p95", "p_best", "expected_loss", "verdict", "reason", "lift_p05", "lift_p95",
]


@dataclass(frozen=True)
class PlanResult:
    """Tomorrow's plan (one row per cell), the decisions behind it and the summary."""

    plan: pd.DataFrame
    decision_detail: Decisions  # the engine's arrays; `decisions` is its table
    summary: dict[str, Any]
    estimates: Estimates
    problem: AllocationProblem
    allocation: Allocation
    budgets_in_cents: np.ndarray  # (segments,) the budgets as typed into the ad platform (model.budgets_to_cents)

    @cached_property
    def decisions(self) -> pd.DataFrame:
        """The decisions table (decisions.csv's columns), built when first asked for."""
        return decisions_table(self.estimates, self.decision_detail)


def read_performance_log(
    path: str | os.PathLike, policy: Policy, *, columns: Any = None, sum_duplicates: bool = False, require_spend: bool = True
) -> LoadedLog:
    """A log file as the policy reads it: our format or an ad platform's export (`columns`: a column map, see
    budgetopt.data.columns), conversions valued by [estimate] value_per_conversion when it has no revenue."""
    value = policy.estimate.value_per_conversion
    loaded = read_log(
        path, exposure=policy.estimate.exposure, sum_duplicates=sum_duplicates, columns=columns, allow_missing_revenue=value is not None,
        require_spend=require_spend,
    )
    notes = list(loaded.notes)
    if not loaded.has_revenue:
        loaded = replace(loaded, log=loaded.log.assign(revenue=loaded.log["conversions"] * value))
        notes = [n for n in notes if not n.startswith("no revenue column")]
        notes.append(f"no revenue column: each conversion is worth {value:,.2f} {policy.budget.currency} ([estimate] value_per_conversion)")
    if loaded.currency and loaded.currency != policy.budget.currency:
        notes.append(
            f"the export's amounts are in {loaded.currency} but the policy's currency is {policy.budget.currency}: amounts are taken "
            f"as they are; set [budget] currency = \"{loaded.currency}\" in the policy"
        )
    return replace(loaded, notes=tuple(notes))


def summary_for_file(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as summary.json holds it: amounts of money to the cent, every float without noise."""
    def rounded(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: round_money(v) if k in SUMMARY_MONEY and isinstance(v, float) else rounded(v) for k, v in item.items()}
        return [rounded(v) for v in item] if isinstance(item, list) else item

    return clean_floats(rounded(summary))


def plan_for_file(result: PlanResult) -> pd.DataFrame:
    """plan.csv's table: amounts to the cent that add up — each segment's budget within its limits, its
    creatives' spends summing to it exactly (the largest remainders take the spare cents)."""
    plan = result.plan.copy()
    h = result.estimates.history
    budgets = result.budgets_in_cents[h.segment_index]
    share = np.where(budgets > 0, plan["share"].to_numpy(), 0.0)
    share = share / np.maximum(h.segment_sum(share)[h.segment_index], 1e-300)
    plan["segment_spend"] = budgets
    plan["spend"] = cents_keeping_total(share * budgets, h.segment_index)
    plan["previous_spend"] = plan["previous_spend"].map(round_money)
    plan["change"] = (plan["spend"] - plan["previous_spend"]).round(2) + 0.0
    return plan


def summary_for_plan_file(result: PlanResult) -> dict[str, Any]:
    """summary.json beside plan.csv: the budgets as plan.csv has them (so the segments add up to the total)."""
    budgets = result.budgets_in_cents
    segments = [{**s, "after": float(b)} for s, b in zip(result.summary["segments"], budgets)]
    return summary_for_file({**result.summary, "segments": segments, "total_spend": float(np.round(budgets.sum(), 2))})


def estimates_from_log(
    log: pd.DataFrame, policy: Policy, date: pd.Timestamp | None = None, fresh_since: dict[tuple[str, str, str], pd.Timestamp] | None = None
) -> Estimates:
    """Fit every cell's posteriors from the log as seen on `date` (default: the day after its last).

    fresh_since: re-enabled cells and the day their new test began (see build_history)."""
    settings = policy.estimate
    kwargs = dict(
        half_life_days=settings.half_life_days, conversion_lag=settings.conversion_lag, exposure=settings.exposure, fresh_since=fresh_since
    )
    return fit_history(build_history(log, date, **kwargs), policy)


def fit_history(history: History, policy: Policy) -> Estimates:
    """Every cell's posteriors from a History: saturation first, then the pooled posteriors that use it."""
    saturation = fit_saturation(history.days, history.n_segments)
    return fit(history.with_saturation(saturation), policy.estimate, saturation, policy.budget.margin_rate)


def decisions_table(estimates: Estimates, d: Decisions) -> pd.DataFrame:
    h = estimates.history
    return pd.DataFrame({
        "date": h.as_of.strftime("%Y-%m-%d"), "campaign": h.campaign, "segment": h.segment, "creative": h.creative,
        "visits": h.raw.visits, "conversions": h.raw.conversions,
        "cvr_mean": d.cvr_mean, "cvr_p05": d.cvr_p05, "cvr_p95": d.cvr_p95,
        "metric_mean": d.metric_mean, "metric_p05": d.metric_p05, "metric_p95": d.metric_p95,
        "p_best": d.p_best, "expected_loss": d.expected_loss, "verdict": d.verdict.astype(str), "reason": d.reason,
        "lift_p05": d.lift_p05, "lift_p95": d.lift_p95,
    })[DECISION_COLUMNS]


def build_problem(policy: Policy, estimates: Estimates, decisions: Decisions, previous_segment_spend: np.ndarray) -> AllocationProblem:
    """The allocation problem for these estimates, shares and yesterday's budgets."""
    h = estimates.history
    value = h.segment_sum(decisions.share * estimates.value_per_euro_mean())
    live = h.segment_sum(decisions.share) > 0
    coef = bound_coefficients(policy, h.campaign, h.segment, h.creative, h.segment_index, h.n_segments, decisions.share)
    # creatives that never spent yet show traffic or conversions: together, the exploration budget is their most
    unbought = h.segment_sum(decisions.share * unpaid_evidence(h))  # (segments,) share of each budget they would get
    curves = SegmentCurves(value, estimates.saturation_spend)
    conversions = h.segment_sum(decisions.share * estimates.exposure_per_euro.mean() * estimates.conversion_rate.mean())
    b = policy.budget
    targets = policy_targets(policy.targets, h.campaign[h.segment_start], value / b.margin_rate, conversions, b.objective, b.margin_rate, b.currency)
    return policy_problem(policy, curves, tuple(h.segment_labels), previous_segment_spend, live, coef, unbought=unbought, targets=targets)


def _explore(
    problem: AllocationProblem, mean: Allocation, decisions: Decisions, estimates: Estimates, exploration: float, rng: np.random.Generator,
    warm: WarmStart | None = None,
) -> np.ndarray:
    """Blend the mean-optimal budgets with those optimal under one posterior draw (Thompson-style).

    Both are feasible, so their convex combination is too; `exploration` is the draw's weight.
    """
    if exploration <= 0:
        return mean.spend
    h = estimates.history
    draw = decisions.value_draws[rng.integers(decisions.value_draws.shape[0])]
    sampled = solve(problem, h.segment_sum(decisions.share * draw), warm=warm)
    if sampled.status != "optimal":
        return mean.spend
    return (1 - exploration) * mean.spend + exploration * sampled.spend


@dataclass(frozen=True)
class DayPlan:
    """What tomorrow's plan decides, before any table is written: the decisions, the allocation and
    the budgets after exploration."""

    decisions: Decisions
    problem: AllocationProblem
    allocation: Allocation
    budgets: np.ndarray  # (segments,) currency per day
    spend: np.ndarray  # (cells,) currency per day
    period: PeriodPlan | None = None  # the period's plan, tomorrow first, when the policy has a period


@dataclass(frozen=True)
class MarginDraws:
    """Each cell's gross margin tomorrow under the posterior draws, summarised: mean and 90 % interval
    (cells,), and the plan's total in each draw (draws,), currency."""

    mean: np.ndarray
    p05: np.ndarray
    p95: np.ndarray
    total: np.ndarray

    #: cells summarised at a time: a (draws, cells) array of a 40,000-cell account is 640 MB, a chunk 33 MB
    CHUNK: ClassVar[int] = 2048

    @classmethod
    def of(cls, spend: np.ndarray, value_draws: np.ndarray, factor: np.ndarray) -> MarginDraws:
        """From spend (cells,), draws of value per unsaturated euro (draws, cells) and each cell's saturation factor."""
        n_draws, n_cells = value_draws.shape
        mean, p05, p95, total = np.empty(n_cells), np.empty(n_cells), np.empty(n_cells), np.zeros(n_draws)
        for start in range(0, n_cells, cls.CHUNK):
            cells = slice(start, start + cls.CHUNK)
            margin = spend[None, cells] * (value_draws[:, cells] * factor[None, cells] - 1.0)
            total += margin.sum(1)
            mean[cells] = margin.mean(0)
            p05[cells], p95[cells] = np.quantile(margin, 0.05, axis=0), np.quantile(margin, 0.95, axis=0)
        return cls(mean, p05, p95, total)


@dataclass
class Solvers:
    """HiGHS instances a caller keeps between days (the simulator): one for the mean allocation, one
    for the exploration draw's (see allocate.WarmStart)."""

    mean: WarmStart = field(default_factory=WarmStart)
    draw: WarmStart = field(default_factory=WarmStart)


def plan_budgets(
    estimates: Estimates,
    policy: Policy,
    rng: np.random.Generator,
    disabled_before: np.ndarray,
    previous: np.ndarray,
    solvers: Solvers | None = None,
    period: Period | None = None,
) -> DayPlan:
    """Decide, allocate and explore: tomorrow's budgets from the estimates, the cells disabled on an
    earlier day (cells,) and yesterday's segment budgets (segments,). `plan_day` and the simulator's
    `budgetopt` policy both come through here; `solvers` re-solves warm from an earlier day's basis;
    `period`: what remains of the policy's period, planned over its days left (allocate.period), tomorrow's row kept."""
    h = estimates.history
    d = decide_creatives(estimates, policy.decide, rng, previously_disabled=disabled_before, currency=policy.budget.currency)
    if d.value_draws is None:  # the conversion-rate metric samples nothing; the plan's margins need draws
        d = replace(d, value_draws=estimates.value_per_euro_draws(rng, DRAWS))
    policy = day_policy(policy, period)
    problem = with_risk(build_problem(policy, estimates, d, previous), policy, estimates, d.share, rng)
    paced = plan_period(problem, period, policy) if period is not None else None
    problem = for_tomorrow(problem, paced) if paced is not None else problem
    allocation = solve(problem, warm=solvers and solvers.mean)
    if allocation.status == "infeasible":
        raise diagnose(problem)
    if allocation.status != "optimal":
        raise SolverError(f"the solver {allocation.status} before proving the plan optimal; rerun, or simplify the policy")
    budgets = _explore(problem, allocation, d, estimates, policy.segments.exploration, rng, solvers and solvers.draw)
    return DayPlan(d, problem, allocation, budgets, d.share * budgets[h.segment_index], paced)


def plan_day(
    log: pd.DataFrame,
    policy: Policy,
    *,
    date: pd.Timestamp | str | None = None,
    rng: np.random.Generator | None = None,
    previous_segment_spend: dict[tuple[str, str], float] | None = None,
    previously_disabled: set[tuple[str, str, str]] | None = None,
    fresh_since: dict[tuple[str, str, str], pd.Timestamp] | None = None,
) -> PlanResult:
    """Tomorrow's plan for every cell of `log`.

    previous_segment_spend: yesterday's budgets by (campaign, segment), e.g. the ledger's last plan;
    default: each segment's spend on the last day of the log. previously_disabled: cells the engine
    disabled on an earlier day, kept disabled. fresh_since: creatives the user re-enabled, with the day
    their new test began; they are judged only on the evidence since (earlier conversions set aside).
    """
    started = time.perf_counter()
    if not (log["spend"] > 0).any():
        raise InputError("the log has no spend at all: budgets cannot be learned from it; export a period with spend")
    rng = np.random.default_rng(DEFAULT_SEED) if rng is None else rng
    estimates = estimates_from_log(log, policy, None if date is None else pd.Timestamp(date), fresh_since)
    h = estimates.history
    disabled_before = np.array(
        [(c, s, k) in (previously_disabled or set()) for c, s, k in zip(h.campaign, h.segment, h.creative)], dtype=bool
    )
    previous = h.segment_sum(h.previous_spend)
    if previous_segment_spend:
        starts = h.segment_start
        previous = np.array([previous_segment_spend.get((h.campaign[i], h.segment[i]), previous[j]) for j, i in enumerate(starts)])
    period = period_from_log(policy, log, h.as_of, h.segment_labels, estimates.saturation_spend) if policy.budget.has_period else None
    day = plan_budgets(estimates, policy, rng, disabled_before, previous, period=period)
    d, problem, allocation, budgets, spend = day.decisions, day.problem, day.allocation, day.budgets, day.spend
    factor = saturation_factor(budgets, estimates.saturation_spend)[h.segment_index]
    margins = MarginDraws.of(spend, d.value_draws, factor)
    limiters = [segment_limiter(problem, allocation, s) for s in range(h.n_segments)]
    typed = budgets_to_cents(budgets, problem.lower, problem.upper, problem.total_max)  # as plan.csv gives them
    plan = _plan_table(estimates, d, typed, budgets, spend, factor, margins, limiters, problem.currency)
    summary = _summary(estimates, problem, allocation, budgets, previous, margins.total, limiters, policy, time.perf_counter() - started)
    if day.period is not None:
        summary["period"] = day.period.summary(summary["total_spend"], summary["expected_margin"])
    seen = log[log["date"] < h.as_of]
    cur, rate = policy.budget.currency, policy.budget.margin_rate
    summary["warnings"] = [
        *log_warnings(seen, h.as_of), *problem.notes,
        *plan_warnings(seen, plan, summary["expected_margin"], summary["total_spend"], rate, cur),
    ]
    return PlanResult(plan, d, summary, estimates, problem, allocation, typed)


def _plan_table(
    estimates: Estimates, d: Decisions, typed: np.ndarray, budgets: np.ndarray, spend: np.ndarray, factor: np.ndarray,
    margins: MarginDraws, limiters: list[str], cur: str,
) -> pd.DataFrame:
    h = estimates.history
    seg = h.segment_index
    visits = spend * estimates.visits_per_euro.mean() * factor
    exposure = spend * estimates.exposure_per_euro.mean() * factor
    conversions = exposure * estimates.conversion_rate.mean()
    status = np.where(d.verdict == PAUSED, CellStatus.PAUSED.value, np.where(d.verdict == DISABLE, CellStatus.DISABLED.value, CellStatus.ACTIVE.value))
    reasons = []
    for i in range(h.n_cells):
        if status[i] != CellStatus.ACTIVE:
            reasons.append(d.reason[i])
            continue
        s = seg[i]
        reasons.append(
            f"{100 * d.share[i]:.0f} % of {h.campaign[i]}/{h.segment[i]}'s {typed[s]:,.2f} {cur} "
            f"({limiters[s]}); {d.reason[i]}"
        )
    return pd.DataFrame({
        "date": h.as_of.strftime("%Y-%m-%d"), "campaign": h.campaign, "segment": h.segment, "creative": h.creative,
        "status": status, "spend": spend, "share": d.share, "segment_spend": budgets[seg],
        "previous_spend": h.previous_spend, "change": spend - h.previous_spend,
        "expected_visits": visits, "expected_conversions": conversions, "expected_margin": margins.mean,
        "margin_p05": margins.p05, "margin_p95": margins.p95,
        "p_best": d.p_best, "reason": reasons,
    })[PLAN_COLUMNS]


def _summary(estimates, problem, allocation, budgets, previous, total_draws, limiters, policy, seconds) -> dict[str, Any]:
    """summary.json: totals with the margin's interval (total_draws: (draws,) the plan's margin)."""
    h = estimates.history
    starts = h.segment_start
    return {
        "date": h.as_of.strftime("%Y-%m-%d"),
        "currency": policy.budget.currency,
        "total_spend": float(budgets.sum()),
        "expected_margin": float(total_draws.mean()),
        "margin_p05": float(np.quantile(total_draws, 0.05)),
        "margin_p95": float(np.quantile(total_draws, 0.95)),
        **({"risk": {"risk_aversion": policy.budget.risk_aversion, "margin_worst_5pct": tail_mean(total_draws)}} if problem.risk else {}),
        "binding": [
            {"constraint": b.constraint, "shadow_price": b.shadow_price, **({"in_words": b.in_words} if b.in_words else {})}
            for b in binding_constraints(problem, allocation)
        ],
        "segments": [
            {
                "campaign": str(h.campaign[i]), "segment": str(h.segment[i]),
                "before": float(previous[j]), "after": float(budgets[j]),
                "limited_by": limiters[j],
            }
            for j, i in enumerate(starts)
        ],
        "exploration": policy.segments.exploration,
        **({"targets": expected_outcome(problem.targets, problem.curves.value_per_euro, estimates.saturation_spend, budgets)} if problem.targets else {}),
        "status": allocation.status,
        "solver": allocation.solver,
        "seconds": round(seconds, 3),
    }
