"""What a day's plan reads and writes: the policy-aware log reader, plan.csv, decisions.csv and summary.json."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.allocate import (
    Allocation,
    AllocationProblem,
    binding_constraints,
)
from budgetopt.allocate.period import PeriodPlan
from budgetopt.allocate.risk import tail_mean
from budgetopt.config import Policy
from budgetopt.data import LoadedLog, read_log
from budgetopt.data.schema import CellStatus
from budgetopt.decide import Decisions
from budgetopt.decide.verdicts import DISABLE, PAUSED
from budgetopt.estimate import Estimates
from budgetopt.model import cents_keeping_total
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
    "metric_mean", "metric_p05", "metric_p95", "p_best", "expected_loss", "verdict", "reason", "lift_p05", "lift_p95", "p_best_se",
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
    period: PeriodPlan | None = None  # the period's plan over its days left, when the policy has a period

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


def decisions_table(estimates: Estimates, d: Decisions) -> pd.DataFrame:
    h = estimates.history
    return pd.DataFrame({
        "date": h.as_of.strftime("%Y-%m-%d"), "campaign": h.campaign, "segment": h.segment, "creative": h.creative,
        "visits": h.raw.visits, "conversions": h.raw.conversions,
        "cvr_mean": d.cvr_mean, "cvr_p05": d.cvr_p05, "cvr_p95": d.cvr_p95,
        "metric_mean": d.metric_mean, "metric_p05": d.metric_p05, "metric_p95": d.metric_p95,
        "p_best": d.p_best, "expected_loss": d.expected_loss, "verdict": d.verdict.astype(str), "reason": d.reason,
        "lift_p05": d.lift_p05, "lift_p95": d.lift_p95, "p_best_se": d.p_best_se,
    })[DECISION_COLUMNS]


@dataclass(frozen=True)
class MarginDraws:
    """Each cell's gross margin tomorrow, summarised: mean and 90 % interval (cells,), currency; and the plan's
    total: its mean and `draws` posterior draws of it (draws,)."""

    mean: np.ndarray
    p05: np.ndarray
    p95: np.ndarray
    total_mean: float
    total: np.ndarray
    value_p05: np.ndarray  # (cells,) the 90 % interval of value per unsaturated euro behind p05 and p95
    value_p95: np.ndarray

    @classmethod
    def of(cls, spend: np.ndarray, estimates: Estimates, decisions: Decisions, factor: np.ndarray) -> MarginDraws:
        """From spend (cells,) and each cell's saturation factor: margin = spend × (factor × value − 1), value the
        revenue-margin per unsaturated euro. Its mean is exact (the factors' posteriors are independent); its
        quantiles follow the value's (spend ≥ 0), closed form where log-normal; the total is drawn a block of
        cells at a time (Decisions.value_summary), so no (draws, cells) array is made."""
        p05, p95, total = decisions.value_summary(spend * factor)
        mean = spend * (factor * estimates.value_per_euro_mean() - 1.0)
        low, high = spend * (factor * p05 - 1.0), spend * (factor * p95 - 1.0)
        return cls(mean, low, high, float(mean.sum()), total - spend.sum(), p05, p95)


def _plan_table(
    estimates: Estimates, d: Decisions, typed: np.ndarray, budgets: np.ndarray, spend: np.ndarray, factor: np.ndarray,
    margins: MarginDraws, limiters: list[str], cur: str,
) -> pd.DataFrame:
    """plan.csv's rows; factor: each cell's saturation factor (cells,)."""
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


def _summary(estimates, problem, allocation, budgets, previous, margins, limiters, policy, seconds) -> dict[str, Any]:
    """summary.json: totals with the margin's interval (margins.total: (draws,) the plan's margin)."""
    h = estimates.history
    starts = h.segment_start
    return {
        "date": h.as_of.strftime("%Y-%m-%d"),
        "currency": policy.budget.currency,
        "total_spend": float(budgets.sum()),
        "expected_margin": margins.total_mean,
        "margin_p05": float(np.quantile(margins.total, 0.05)),
        "margin_p95": float(np.quantile(margins.total, 0.95)),
        **({"risk": {"risk_aversion": policy.budget.risk_aversion, "margin_worst_5pct": tail_mean(margins.total)}} if problem.risk else {}),
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
        "daily_rate_spread": h.daily_rate_spread,
        "status": allocation.status,
        "solver": allocation.solver,
        "seconds": round(seconds, 3),
    }
