"""What a proposed split of a budget period's days left would earn beside the period's plan, on the same
posterior draws (`budgetopt whatif --split` with a `date` column; the file: budgetopt.data.period_split).

The plan's side is the period's LP (allocate.period) with tomorrow's row as the final plan has it (after
exploration). On each of DRAWS joint posterior draws v (draws, cells) of revenue-margin per unsaturated euro,
segment s earns V_s = Σ_c share_c v_c per unsaturated euro tomorrow (the plan's creative shares, kept for
the later days) and m_ds V_s on day d (m: its weekday effect relative to tomorrow, Period.day_multipliers),
so a split x (days, segments) earns

    Σ_d Σ_s x_ds · (m_ds V_s f_s(x_ds) − 1),   f = saturation_factor at the segment's budget that day,

the period LP's own margin at the posterior draws rather than its (optimistic) means. Paired draws: the
chance the proposal beats the plan is the share of draws in which it earns strictly more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.allocate.explain import money
from budgetopt.config import Policy
from budgetopt.data.period_split import PeriodSplit
from budgetopt.model import saturation_factor
from budgetopt.plan import PlanResult
from budgetopt.whatif.day import DRAWS, LIMIT_SLACK, Distribution

_MAX_DAYS_SHOWN = 5


@dataclass(frozen=True)
class PeriodWhatIf:
    """A proposed split of the period's days left against the period's plan, on the same posterior draws."""

    start: str  # the first day left (tomorrow), yyyy-mm-dd
    end: str
    currency: str
    draws: int
    split: PeriodSplit
    proposal: Distribution  # of the period's margin over the days left, currency
    plan: Distribution
    difference: Distribution
    chance_beats: float
    days: pd.DataFrame  # date, proposal_spend, plan_spend, proposal_margin, plan_margin (margins at the posterior mean)
    segments: pd.DataFrame  # campaign, segment, proposal_spend, plan_spend, proposal_margin, plan_margin, over the days left
    notes: tuple[str, ...]
    result: PlanResult

    def as_dict(self) -> dict[str, Any]:
        """What --out writes."""
        rows = lambda frame: [{k: (v if isinstance(v, str) else float(v)) for k, v in r.items()} for r in frame.to_dict(orient="records")]  # noqa: E731
        return {
            "period_days_left": {"start": self.start, "end": self.end},
            "currency": self.currency,
            "draws": self.draws,
            "split": self.split.source,
            "split_per": "segment and day",
            "proposal": self.proposal.as_dict(),
            "plan": self.plan.as_dict(),
            "difference": self.difference.as_dict(),
            "chance_proposal_beats_plan": self.chance_beats,
            "days": rows(self.days),
            "segments": rows(self.segments),
            "notes": list(self.notes),
        }


def plan_period_spend(result: PlanResult) -> np.ndarray:
    """(days left, segments) the period plan's budgets, tomorrow's row as the final plan has it, currency."""
    spend = result.period.spend.copy()
    spend[0] = result.estimates.history.segment_sum(result.plan["spend"].to_numpy(float))
    return spend


def bought(result: PlanResult, spend: np.ndarray) -> np.ndarray:
    """(days, segments) unsaturated euros bought by `spend` (days, segments), in tomorrow's units (weekday effects applied)."""
    m = result.period.period.day_multipliers(spend.shape[1])
    return spend * saturation_factor(spend, result.estimates.saturation_spend[None, :]) * m


def compare_period(result: PlanResult, policy: Policy, split: PeriodSplit, rng: np.random.Generator, draws: int = DRAWS) -> PeriodWhatIf:
    """The proposal and the period's plan on the same `draws` posterior draws of the plan's estimates."""
    h = result.estimates.history
    share = result.decision_detail.share
    value = h.segment_sum(result.estimates.value_per_euro_draws(rng, draws).astype(np.float64) * share)  # (draws, segments)
    planned_spend = plan_period_spend(result)
    proposed_bought, planned_bought = bought(result, split.spend), bought(result, planned_spend)
    proposed = value @ proposed_bought.sum(0) - split.spend.sum()
    planned = value @ planned_bought.sum(0) - planned_spend.sum()
    mean = value.mean(0)
    starts = h.segment_start
    days = pd.DataFrame({
        "date": list(split.dates),
        "proposal_spend": split.spend.sum(1), "plan_spend": planned_spend.sum(1),
        "proposal_margin": proposed_bought @ mean - split.spend.sum(1), "plan_margin": planned_bought @ mean - planned_spend.sum(1),
    })
    segments = pd.DataFrame({
        "campaign": h.campaign[starts], "segment": h.segment[starts],
        "proposal_spend": split.spend.sum(0), "plan_spend": planned_spend.sum(0),
        "proposal_margin": proposed_bought.sum(0) * mean - split.spend.sum(0), "plan_margin": planned_bought.sum(0) * mean - planned_spend.sum(0),
    })
    total, planned_total = split.spend.sum(), planned_spend.sum()
    return PeriodWhatIf(
        start=split.dates[0], end=split.dates[-1], currency=policy.budget.currency, draws=draws, split=split,
        proposal=Distribution.of(total, proposed), plan=Distribution.of(planned_total, planned),
        difference=Distribution.of(total - planned_total, proposed - planned), chance_beats=float(np.mean(proposed > planned)),
        days=days, segments=segments, notes=tuple(_notes(result, policy, split)), result=result,
    )


def _notes(result: PlanResult, policy: Policy, split: PeriodSplit) -> list[str]:
    """The period's limits the proposal breaks (the plan keeps them all), and the days it leaves out."""
    period, cur = result.period.period, policy.budget.currency
    notes = []
    total = float(split.spend.sum())
    if total > period.plannable + LIMIT_SLACK:
        what = "what remains of [budget] period_total" + (" ÷ overdelivery" if period.overdelivery != 1 else "")
        notes.append(f"breaks {what} {money(period.plannable, cur)}: the proposal spends {money(total, cur)} over the days left")
    cap = policy.budget.daily_total
    if cap is not None:
        over = [d for d, spent in zip(split.dates, split.spend.sum(1)) if spent > cap + LIMIT_SLACK]
        if over:
            notes.append(f"breaks [budget] daily_total {money(cap, cur)} on {_days(over)}")
    s = policy.segments
    above = split.spend > s.max_spend + LIMIT_SLACK
    if above.any():
        notes.append(f"breaks [segments] max_spend {money(s.max_spend, cur)} on {int(above.sum())} segment-day{'s' if above.sum() > 1 else ''}")
    if split.unnamed_days:
        notes.append(f"names no spend on {_days(list(split.unnamed_days))}: every segment spends 0 then")
    return notes


def _days(days: list[str]) -> str:
    shown = ", ".join(days[:_MAX_DAYS_SHOWN])
    return shown + (f" and {len(days) - _MAX_DAYS_SHOWN} more days" if len(days) > _MAX_DAYS_SHOWN else "")
