"""What a proposed split of tomorrow's budget would earn, beside the optimised plan, and the chance
that it earns more (`budgetopt whatif`; the split itself is read by `budgetopt.data.split`).

The numbers: `plan_day` on the log gives the plan and the posteriors behind it (its `estimates`);
then DRAWS joint posterior draws v (draws, cells) of revenue-margin per unsaturated euro. For a
spend vector x (cells,) whose segments total T, each draw's gross margin is

    Σ_c x_c · (v_c · f_s(c)(T_s) − 1),   f = saturation_factor at the segment's total,

the formula of the plan's own expected margin. The proposal and the plan are evaluated on the same
draws (paired), so the chance that the proposal beats the plan is the share of draws in which it
earns strictly more: a tie is not a win, and the plan's own split (identical margins in every
draw) beats it with chance exactly 0. The plan's figures here come from whatif's draws; they agree
with `budgetopt plan`'s summary up to Monte Carlo error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.allocate.explain import money
from budgetopt.config import Policy
from budgetopt.data.schema import CellStatus
from budgetopt.data.split import Split
from budgetopt.model import saturation_factor
from budgetopt.plan import PlanResult, plan_for_file

#: posterior draws of each margin (the decision engine's number: MC error of a share ≤ 0.011)
DRAWS = 2000
#: a limit counts as broken only by more than this (currency per day): a split typed in whole units
#: does not break a cap of 443.62 by rounding it to 444
LIMIT_SLACK = 1.0
_MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Distribution:
    """The posterior predictive distribution of one day's gross margin, currency."""

    total_spend: float
    expected_margin: float
    margin_p05: float
    margin_p95: float

    @classmethod
    def of(cls, spend: float, draws: np.ndarray) -> Distribution:
        p05, p95 = np.quantile(draws, [0.05, 0.95])
        return cls(float(spend), float(draws.mean()), float(p05), float(p95))

    def as_dict(self) -> dict[str, float]:
        return {"total_spend": self.total_spend, "expected_margin": self.expected_margin, "margin_p05": self.margin_p05, "margin_p95": self.margin_p95}


@dataclass(frozen=True)
class WhatIf:
    """A proposal against the plan, on the same posterior draws."""

    date: str
    currency: str
    draws: int
    split: Split
    proposal: Distribution
    plan: Distribution
    difference: Distribution  # of (proposal − plan), draw by draw; total_spend is the difference in spend
    chance_beats: float  # share of draws in which the proposal earns strictly more than the plan
    segments: pd.DataFrame  # campaign, segment, proposal_spend, plan_spend, proposal_margin, plan_margin
    notes: tuple[str, ...]  # the policy limits the proposal breaks, and what it leaves out
    result: PlanResult

    @property
    def is_the_plan(self) -> bool:
        """Whether the proposal is the plan's own split, as plan.csv gives it (to the cent per creative)."""
        return bool(np.allclose(self.split.spend, plan_for_file(self.result)["spend"].to_numpy(float), rtol=0, atol=0.005))

    def as_dict(self) -> dict[str, Any]:
        """What --out writes."""
        return {
            "date": self.date,
            "currency": self.currency,
            "draws": self.draws,
            "split": self.split.source,
            "split_per": self.split.per,
            "proposal": self.proposal.as_dict(),
            "plan": self.plan.as_dict(),
            "difference": self.difference.as_dict(),
            "chance_proposal_beats_plan": self.chance_beats,
            "segments": [
                {k: (v if isinstance(v, str) else float(v)) for k, v in row.items()} for row in self.segments.to_dict(orient="records")
            ],
            "notes": list(self.notes),
        }


def margin_draws(result: PlanResult, value_draws: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """(draws,) gross margin of `spend` (cells,) under each posterior draw of value per euro (draws, cells),
    each segment saturating at its own total."""
    h = result.estimates.history
    factor = saturation_factor(h.segment_sum(spend), result.estimates.saturation_spend)[h.segment_index]
    return value_draws @ (spend * factor) - spend.sum()


def segment_margins(result: PlanResult, value_mean: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """(segments,) expected gross margin of `spend` (cells,) per segment, at the posterior mean value per euro."""
    h = result.estimates.history
    factor = saturation_factor(h.segment_sum(spend), result.estimates.saturation_spend)[h.segment_index]
    return h.segment_sum(spend * (value_mean * factor - 1.0))


def compare(result: PlanResult, policy: Policy, split: Split, rng: np.random.Generator, draws: int = DRAWS) -> WhatIf:
    """The proposal and the plan on the same `draws` posterior draws of the plan's estimates."""
    h = result.estimates.history
    plan = result.plan
    if not (np.array_equal(plan["creative"].to_numpy(), h.creative) and np.array_equal(plan["segment"].to_numpy(), h.segment)):
        raise ValueError("the plan's rows are not in the order of its estimates")
    value = result.estimates.value_per_euro_draws(rng, draws).astype(np.float64)
    plan_spend = plan["spend"].to_numpy(float)
    proposed = margin_draws(result, value, split.spend)
    planned = margin_draws(result, value, plan_spend)
    value_mean = value.mean(0)
    starts = h.segment_start
    segments = pd.DataFrame({
        "campaign": h.campaign[starts],
        "segment": h.segment[starts],
        "proposal_spend": h.segment_sum(split.spend),
        "plan_spend": h.segment_sum(plan_spend),
        "proposal_margin": segment_margins(result, value_mean, split.spend),
        "plan_margin": segment_margins(result, value_mean, plan_spend),
    })
    return WhatIf(
        date=result.summary["date"],
        currency=policy.budget.currency,
        draws=draws,
        split=split,
        proposal=Distribution.of(split.spend.sum(), proposed),
        plan=Distribution.of(plan_spend.sum(), planned),
        difference=Distribution.of(split.spend.sum() - plan_spend.sum(), proposed - planned),
        chance_beats=float(np.mean(proposed > planned)),
        segments=segments,
        notes=tuple(_notes(result, policy, split)),
        result=result,
    )



def _notes(result: PlanResult, policy: Policy, split: Split) -> list[str]:
    """The policy's limits the proposal breaks (the plan keeps them all), and what it leaves out."""
    h = result.estimates.history
    problem = result.problem
    cur = policy.budget.currency
    slack = LIMIT_SLACK
    total = float(split.spend.sum())
    notes = []
    if total > problem.total_max + slack:
        notes.append(f"breaks {problem.total_label} {money(problem.total_max, cur)}: the proposal spends {money(total, cur)}")
    if total < problem.total_min - slack:
        notes.append(f"breaks [budget] min_total {money(problem.total_min, cur)}: the proposal spends {money(total, cur)}")
    budgets = h.segment_sum(split.spend)
    for s in np.flatnonzero(budgets > problem.upper + slack):
        if problem.upper[s] == 0 and problem.upper_label[s] == "no active creative":
            continue  # said below, per creative
        notes.append(f"segment {problem.segment_labels[s]}: {money(budgets[s], cur)} is above {problem.upper_label[s]} (cap {money(problem.upper[s], cur)})")
    for s in np.flatnonzero(budgets < problem.lower - slack):
        notes.append(f"segment {problem.segment_labels[s]}: {money(budgets[s], cur)} is below {problem.lower_label[s]} (floor {money(problem.lower[s], cur)})")
    for b, bound in enumerate(policy.bounds):
        spent = float(split.spend[bound.matches(h.campaign, h.segment, h.creative)].sum())
        if spent > bound.max + slack or spent < bound.min - slack:
            side, limit = ("max", bound.max) if spent > bound.max + slack else ("min", bound.min)
            notes.append(f"breaks {problem.bound_labels[b]} {side} {money(limit, cur)}: the matched cells get {money(spent, cur)}")
    status = result.plan["status"].to_numpy()
    off = np.flatnonzero((split.spend > 0) & (status != CellStatus.ACTIVE))
    if len(off):
        cells = ", ".join(f"{h.campaign[i]}/{h.segment[i]}/{h.creative[i]} ({status[i]})" for i in off[:_MAX_ROWS_SHOWN])
        more = f" and {len(off) - _MAX_ROWS_SHOWN} more" if len(off) > _MAX_ROWS_SHOWN else ""
        notes.append(f"spends on creatives the plan keeps off: {cells}{more}")
    if split.unlisted:
        shown = ", ".join(split.unlisted[:_MAX_ROWS_SHOWN])
        more = f" and {len(split.unlisted) - _MAX_ROWS_SHOWN} more" if len(split.unlisted) > _MAX_ROWS_SHOWN else ""
        notes.append(f"{len(split.unlisted)} segment{'s' if len(split.unlisted) > 1 else ''} with an active creative "
                     f"{'are' if len(split.unlisted) > 1 else 'is'} not in the split and spend 0 in the proposal: {shown}{more}")
    return notes
