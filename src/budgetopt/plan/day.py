"""One day's plan: estimate → decide → allocate. The API calls `plan_day`; the simulator calls `plan_budgets`, its core."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.allocate import (
    Allocation,
    AllocationProblem,
    Guard,
    Pins,
    SegmentCurves,
    WarmStart,
    bound_coefficients,
    diagnose,
    guard_for,
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
from budgetopt.allocate.risk import with_risk
from budgetopt.allocate.targets import Targets, expected_outcome, policy_targets
from budgetopt.config import DEFAULT_SEED, Policy
from budgetopt.decide import Decisions, decide_creatives
from budgetopt.decide.guardrails import guard_creatives
from budgetopt.decide.verdicts import Off, retested
from budgetopt.errors import InputError, SolverError
from budgetopt.estimate import Estimates, History, build_history, fit, fit_saturation
from budgetopt.estimate.history import unpaid_evidence
from budgetopt.estimate.sanity import (
    log_warnings,
    name_variant_warnings,
    plan_warnings,
    shift_warnings,
)
from budgetopt.model import budgets_to_cents, saturation_factor
from budgetopt.plan.files import MarginDraws, PlanResult, _plan_table, _summary
from budgetopt.plan.probes import holding, loss_evidence, probe_bar, with_probes


def estimates_from_log(
    log: pd.DataFrame, policy: Policy, date: pd.Timestamp | None = None, fresh_since: dict[tuple[str, str, str], pd.Timestamp] | None = None
) -> Estimates:
    """Fit every cell's posteriors from the log as seen on `date` (default: the day after its last).

    fresh_since: re-enabled cells and the day their new test began (see build_history)."""
    settings = policy.estimate
    history = build_history(log, date, conversion_lag=settings.conversion_lag, exposure=settings.exposure, fresh_since=fresh_since, **settings.time_model)
    return fit_history(history, policy)


def fit_history(history: History, policy: Policy) -> Estimates:
    """Every cell's posteriors from a History: saturation first, then the pooled posteriors that use it."""
    saturation = fit_saturation(history.days, history.n_segments)
    return fit(history.with_saturation(saturation), policy.estimate, saturation, policy.budget.margin_rate)


#: the most posterior coefficients of variation the optimism bonus counts (a creative with no conversion has a huge one)
MAX_CV = 2.0


def optimistic_value(mean: np.ndarray, cv: np.ndarray, optimism: float) -> np.ndarray:
    """(cells,) revenue-margin per unsaturated euro the allocation maximises, from its posterior mean and
    coefficient of variation (cells,): the mean plus `optimism` posterior standard deviations (an
    upper-confidence bonus, the sd capped at MAX_CV means): a creative measured on a few conversions is
    valued near the top of what they allow, so its segment is not cut for lack of evidence, only once the
    evidence says it loses money; with plenty of evidence the bonus vanishes."""
    return mean if optimism <= 0 else mean * (1.0 + optimism * np.minimum(cv, MAX_CV))


def segment_rates(estimates: Estimates, share: np.ndarray, weight: np.ndarray | float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(segments,) revenue-margin and conversions per unsaturated euro at the posterior means, each creative counted
    at its `share` × `weight` (cells,) (the targets: its [targets] caution factor)."""
    h = estimates.history
    value = h.segment_sum(share * estimates.value_per_euro_mean() * weight)
    conversions = h.segment_sum(share * estimates.exposure_per_euro.mean() * estimates.conversion_rate.mean() * weight)
    return value, conversions


def build_problem(
    policy: Policy, estimates: Estimates, decisions: Decisions, previous_segment_spend: np.ndarray, guard: Guard | None = None,
    probe: float | None = None,
) -> AllocationProblem:
    """The allocation problem for these estimates, shares and yesterday's budgets (probe: the [segments] probe
    floors' size, default the policy's; 0 = none, and no holding before the first conversion either)."""
    h = estimates.history
    mean, cv = estimates.value_per_euro_mean(), estimates.value_per_euro_cv()
    value = h.segment_sum(decisions.share * optimistic_value(mean, cv, policy.segments.optimism))
    live = h.segment_sum(decisions.share) > 0
    coef = bound_coefficients(policy, h.campaign, h.segment, h.creative, h.segment_index, h.n_segments, decisions.share)
    # creatives that never spent yet show traffic or conversions: together, the exploration budget is their most
    unbought = h.segment_sum(decisions.share * unpaid_evidence(h))  # (segments,) share of each budget they would get
    curves = SegmentCurves(value, estimates.saturation_spend)
    b = policy.budget
    caution = np.maximum(1.0 - policy.targets.caution * np.minimum(cv, MAX_CV), 0.0)  # (cells,) targets hold on the cautious side
    cautious, conversions = segment_rates(estimates, decisions.share, caution)
    targets = policy_targets(policy.targets, h.campaign[h.segment_start], cautious / b.margin_rate, conversions, b.objective, b.margin_rate, b.currency)
    problem = policy_problem(policy, curves, tuple(h.segment_labels), previous_segment_spend, live, coef, unbought=unbought, guard=guard, targets=targets)
    size = policy.segments.probe if probe is None else probe
    if size <= 0:
        return problem
    if h.raw.conversions.sum() <= 0:  # nothing has converted yet: no evidence of value either way
        return holding(problem, previous_segment_spend, live)
    bar = probe_bar(curves, problem.upper, problem.total_max)  # a probe is measured against what the budget earns elsewhere
    return with_probes(problem, size, h.segment_sum(decisions.share * cv), loss_evidence(h, b.margin_rate), live, bar)


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
    draw = estimates.value_per_euro_draws(rng, 1)[0]
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
    off: Off | None = None,
    pins: Pins | None = None,
    period: Period | None = None,
) -> DayPlan:
    """Decide, allocate and explore: tomorrow's budgets from the estimates, the cells disabled on an
    earlier day (cells,) and yesterday's segment budgets (segments,), under the [guardrails] and the
    `pins` a person set. `plan_day` and the simulator's `budgetopt` policy both come through here;
    `solvers` re-solves warm from an earlier day's basis; `period`: what remains of the policy's period,
    planned over its days left (allocate.period), tomorrow's row kept."""
    h = estimates.history
    guard = guard_for(policy.guardrails, h.campaign, h.segment, h.creative, h.segment_start, pins)
    disabled_before = disabled_before & (guard.kept == "")  # a creative a person keeps on is on
    d = decide_creatives(estimates, policy.decide, rng, previously_disabled=disabled_before, currency=policy.budget.currency, off=off)
    d = guard_creatives(d, h, policy.guardrails, policy.decide, disabled_before, guard.frozen_cell, guard.kept)
    policy = day_policy(policy, period)
    value_mean = segment_rates(estimates, d.share)[0] if period is not None else None  # what the period's days are reported on
    for probe in dict.fromkeys((policy.segments.probe, 0.0)):  # the probes give way before the policy's own limits do
        problem = with_risk(build_problem(policy, estimates, d, previous, guard, probe), policy, estimates, d.share, rng)
        paced = plan_period(problem, period, policy, value_mean) if period is not None else None
        problem = for_tomorrow(problem, paced) if paced is not None else problem
        allocation = solve(problem, warm=solvers and solvers.mean)
        if allocation.status != "infeasible":
            break
    if allocation.status == "infeasible":
        raise diagnose(problem)
    if allocation.status != "optimal":
        raise SolverError(f"the solver {allocation.status} before proving the plan optimal; rerun, or simplify the policy")
    budgets = _explore(problem, allocation, d, estimates, policy.segments.exploration, rng, solvers and solvers.draw)
    return DayPlan(d, problem, allocation, budgets, d.share * budgets[h.segment_index], paced)


def _kept_off(
    log: pd.DataFrame, policy: Policy, date: pd.Timestamp | None,
    previously_disabled: set[tuple[str, str, str]] | None, fresh_since: dict[tuple[str, str, str], pd.Timestamp] | None,
) -> tuple[Estimates, np.ndarray, Off]:
    """(estimates, cells disabled on an earlier day (cells,), what the log shows switched off). The ledger's
    disabled cells stay disabled; the creatives the log shows switched off (History.off) come back only
    as challengers (see Off). `[decide] retest_after_days` brings back both once off that long, as a fresh
    test (their earlier conversions set aside, as `enable` does)."""
    estimates = estimates_from_log(log, policy, date, fresh_since)
    h = estimates.history
    disabled = np.array([(c, s, k) in (previously_disabled or set()) for c, s, k in zip(h.campaign, h.segment, h.creative)], dtype=bool)
    off = h.off | disabled
    back = retested(off, h.last_paid_day, policy.decide.retest_after_days)
    if back.any():
        fresh = dict(fresh_since or {})
        fresh.update({(h.campaign[i], h.segment[i], h.creative[i]): h.as_of for i in np.flatnonzero(back)})
        estimates = estimates_from_log(log, policy, date, fresh)  # the same cells in the same order
    return estimates, disabled & ~back, Off(off & ~back, back)


def targets_summary(targets: Targets, estimates: Estimates, share: np.ndarray, budgets: np.ndarray, policy: Policy) -> dict[str, Any]:
    """summary.json's `targets`: the plan's expected revenue, conversions, ROAS and CPA on the posterior means, and
    the ROAS and CPA the targets were held on ([targets] caution posterior sds below the means)."""
    value, conversions = segment_rates(estimates, share)
    mean = replace(targets, revenue_per_euro=value / policy.budget.margin_rate, conversions_per_euro=conversions)
    held = expected_outcome(targets, estimates.saturation_spend, budgets)
    return {
        **expected_outcome(mean, estimates.saturation_spend, budgets), "caution": policy.targets.caution,
        "cautious_roas": held["expected_roas"], "cautious_cpa": held["expected_cpa"],
    }


def _most_spent(h: History) -> np.ndarray:
    """(cells,) the most each creative spent in a day of the log (its rows before the plan date)."""
    most = np.zeros(h.n_cells)
    np.maximum.at(most, h.days.cell, h.days.spend)
    return most


def day_rng(rng: np.random.Generator | int | None, as_of: pd.Timestamp, *key: int) -> np.random.Generator:
    """The posterior draws' generator for the plan of `as_of`: a Generator as given (the simulator's stream, a
    caller's own); else a seed (None: DEFAULT_SEED) taken with the date, so the same log, date and seed give the
    same plan while each morning's plan draws afresh: one stream restarted every morning would repeat the
    same numbers daily, an exploration draw that is no longer random and Monte Carlo errors that never
    average out (README, "Through the front door"). key: a child stream (whatif's)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng([DEFAULT_SEED if rng is None else int(rng), as_of.toordinal(), *key])


def plan_day(
    log: pd.DataFrame,
    policy: Policy,
    *,
    date: pd.Timestamp | str | None = None,
    rng: np.random.Generator | int | None = None,
    previous_segment_spend: dict[tuple[str, str], float] | None = None,
    previously_disabled: set[tuple[str, str, str]] | None = None,
    fresh_since: dict[tuple[str, str, str], pd.Timestamp] | None = None,
    pins: Pins | None = None,
) -> PlanResult:
    """Tomorrow's plan for every cell of `log`.

    previous_segment_spend: yesterday's budgets by (campaign, segment), e.g. the ledger's last plan;
    default: each segment's spend on the last day of the log. previously_disabled: cells the engine
    disabled on an earlier day, kept disabled (those the log shows switched off come back only as challengers, see Off). fresh_since: creatives the user re-enabled, with the day
    their new test began; they are judged only on the evidence since (earlier conversions set aside).
    pins: budgets and creatives a person pinned (`budgetopt override`), bounds of this plan.
    rng: the posterior draws' generator, or a seed (None: DEFAULT_SEED) taken with the plan's date (`day_rng`).
    """
    started = time.perf_counter()
    if not (log["spend"] > 0).any():
        raise InputError("the log has no spend at all: budgets cannot be learned from it; export a period with spend")
    date = None if date is None else pd.Timestamp(date)
    estimates, disabled_before, off = _kept_off(log, policy, date, previously_disabled, fresh_since)
    h = estimates.history
    rng = day_rng(rng, h.as_of)
    previous = h.segment_sum(h.previous_spend)
    if previous_segment_spend:
        starts = h.segment_start
        previous = np.array([previous_segment_spend.get((h.campaign[i], h.segment[i]), previous[j]) for j, i in enumerate(starts)])
    period = period_from_log(policy, log, h.as_of, h.weekday) if policy.budget.has_period else None
    day = plan_budgets(estimates, policy, rng, disabled_before, previous, off=off, pins=pins, period=period)
    d, problem, allocation, budgets, spend = day.decisions, day.problem, day.allocation, day.budgets, day.spend
    factor = saturation_factor(budgets, estimates.saturation_spend)[h.segment_index]
    margins = MarginDraws.of(spend, estimates, d, factor)
    limiters = [segment_limiter(problem, allocation, s) for s in range(h.n_segments)]
    typed = budgets_to_cents(budgets, problem.lower, problem.upper, problem.total_max)  # as plan.csv gives them
    plan = _plan_table(estimates, d, typed, budgets, spend, factor, margins, limiters, problem.currency)
    summary = _summary(estimates, problem, allocation, budgets, previous, margins, limiters, policy, time.perf_counter() - started)
    if day.period is not None:
        summary["period"] = day.period.summary(summary["total_spend"], summary["expected_margin"])
    if problem.targets is not None:
        summary["targets"] = targets_summary(problem.targets, estimates, d.share, budgets, policy)
    seen = log[log["date"] < h.as_of]
    cur, rate = policy.budget.currency, policy.budget.margin_rate
    summary["warnings"] = [
        *log_warnings(seen, h.as_of), *name_variant_warnings(h.campaign, h.segment), *shift_warnings(h.campaign, h.campaign_index, h.shifts),
        *problem.notes,
        *plan_warnings(seen, plan, _most_spent(h), summary["expected_margin"], summary["total_spend"], rate, cur),
    ]
    return PlanResult(plan, d, summary, estimates, problem, allocation, typed, day.period)
