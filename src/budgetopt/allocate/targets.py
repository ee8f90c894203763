"""[targets] and [budget] objective as rows and costs of the allocation LP.

Revenue, conversions and margin of a segment are all linear in the unsaturated euros its budget
buys, B_s(T) = S (1 − exp(−T/S)), which the LP already holds as concave pieces x_sk with slopes
b_sk = ΔB/ΔT. So, with r_s revenue and c_s conversions per unsaturated euro:

    min_roas ρ:         Σ_sk (r_s b_sk − ρ) x_sk ≥ 0          (revenue ≥ ρ × spend)
    max_cpa a:          Σ_sk (a c_s b_sk − 1) x_sk ≥ 0        (spend ≤ a × conversions)
    min_conversions N:  Σ_sk c_s b_sk x_sk ≥ N

Each row's coefficients fall along a segment's pieces, as the objective's do, so the optimiser
still fills pieces in order and no integer variable is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from budgetopt.config import TargetsSection
from budgetopt.model import saturation_factor

OBJECTIVES = ("margin", "revenue", "conversions", "min_spend")
#: how much of each target a sentence loosens: 0.1 of ROAS, one currency unit of CPA, one conversion
STEP = {"min_roas": 0.1, "max_cpa": 1.0, "min_conversions": 1.0}


@dataclass(frozen=True)
class TargetRow:
    """One target over some segments: `kind` in STEP, its `level`, the (segments,) bool it sums over."""

    label: str
    kind: str
    level: float
    segments: np.ndarray


@dataclass(frozen=True)
class Targets:
    """What the LP needs beyond margin: revenue and conversions per unsaturated euro (segments,), the
    target rows and the objective ("margin" | "revenue" | "conversions" | "min_spend")."""

    revenue_per_euro: np.ndarray
    conversions_per_euro: np.ndarray
    rows: tuple[TargetRow, ...] = ()
    objective: str = "margin"
    margin_rate: float = 1.0

    def scaled(self, factor: float) -> Targets:
        """The same targets in a currency `factor` times smaller units."""
        rows = tuple(replace(r, level=r.level * factor) if r.kind == "max_cpa" else r for r in self.rows)
        return replace(self, conversions_per_euro=self.conversions_per_euro / factor, rows=rows)

    def tiled(self, days: int, day_labels: list[str]) -> Targets:
        """The targets of one day repeated for `days` days laid end to end (a period's LP): every row holds each day."""
        rows = tuple(
            TargetRow(f"{row.label} on {label}", row.kind, row.level, np.where(np.arange(days)[:, None] == d, row.segments[None, :], False).ravel())
            for d, label in enumerate(day_labels)
            for row in self.rows
        )
        return replace(self, revenue_per_euro=np.tile(self.revenue_per_euro, days), conversions_per_euro=np.tile(self.conversions_per_euro, days), rows=rows)


def bought_slopes(widths: np.ndarray, span: np.ndarray, saturation_spend: np.ndarray) -> np.ndarray:
    """(segments, pieces) unsaturated euros bought per euro on each piece (the last, unbounded, at its start's rate)."""
    finite = np.isfinite(widths)
    breaks = np.concatenate([np.zeros((len(span), 1)), np.cumsum(np.where(finite, widths, 0.0), axis=1)], axis=1)[:, :-1]
    bought = breaks * saturation_factor(breaks, saturation_spend[:, None])
    inner = np.diff(bought, axis=1) / np.where(widths[:, :-1] > 0, widths[:, :-1], 1.0)
    s = saturation_spend
    tail = np.where(np.isfinite(s), np.exp(-span / np.where(np.isfinite(s), s, 1.0)), 1.0)
    return np.hstack([np.where(widths[:, :-1] > 0, inner, tail[:, None]), tail[:, None]])


def target_rows(targets: Targets, bought: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, segments × pieces) coefficients and (rows,) lower limits of the target rows."""
    coef, lower = [], []
    for row in targets.rows:
        if row.kind == "min_roas":
            c, rhs = targets.revenue_per_euro[:, None] * bought - row.level, 0.0
        elif row.kind == "max_cpa":
            c, rhs = row.level * targets.conversions_per_euro[:, None] * bought - 1.0, 0.0
        else:
            c, rhs = targets.conversions_per_euro[:, None] * bought, row.level
        coef.append(np.where(row.segments[:, None], c, 0.0).ravel())
        lower.append(rhs)
    return np.array(coef).reshape(len(coef), bought.size), np.array(lower, dtype=float)


def objective_slopes(targets: Targets | None, margin_slopes: np.ndarray, bought: np.ndarray, value_per_euro: np.ndarray) -> np.ndarray:
    """(segments, pieces) what one euro on each piece adds to the objective (maximised): margin, revenue,
    conversions, or −1 (min_spend). `value_per_euro` (segments,): the curves' (a posterior draw's when exploring)."""
    if targets is None or targets.objective == "margin":
        return margin_slopes
    if targets.objective == "revenue":
        return value_per_euro[:, None] / targets.margin_rate * bought
    if targets.objective == "conversions":
        return targets.conversions_per_euro[:, None] * bought
    return -np.ones_like(margin_slopes)


def loosening_gain(row: TargetRow, dual: float, spend: float, conversions: float) -> float:
    """What loosening `row` by one unit (of ROAS, of CPA's currency, one conversion) adds to the objective,
    from its row's dual (objective per unit of the row's lower limit) and the plan's spend and conversions."""
    per_row_unit = -dual
    if row.kind == "min_roas":
        return per_row_unit * spend
    if row.kind == "max_cpa":
        return per_row_unit * conversions
    return per_row_unit


def gain_in_words(row: TargetRow, gain: float, objective: str, currency: str) -> str:
    """'lowering [targets] min_roas 3 by 0.1 would earn 84.00 EUR more margin' (gain: per unit loosened)."""
    step = STEP[row.kind]
    amount = gain * step
    move = f"raising {row.label} by {step:g} {currency}" if row.kind == "max_cpa" else f"lowering {row.label} by {step:g}"
    words = {
        "margin": f"earn {abs(amount):,.2f} {currency} more margin",
        "revenue": f"earn {abs(amount):,.2f} {currency} more revenue",
        "conversions": f"buy {abs(amount):,.2f} more conversions",
        "min_spend": f"save {abs(amount):,.2f} {currency} of spend",
    }[objective]
    return f"{move} would {words}"


def policy_targets(targets_section: TargetsSection, campaign_of_segment: np.ndarray, revenue_per_euro: np.ndarray, conversions_per_euro: np.ndarray,
                   objective: str, margin_rate: float, currency: str) -> Targets | None:
    """The policy's [targets] and objective for these segments (None when there is neither: the LP is as before).

    campaign_of_segment: (segments,) each segment's campaign name."""
    every = np.ones(len(campaign_of_segment), dtype=bool)
    rows = []
    if targets_section.min_roas is not None:
        rows.append(TargetRow(f"[targets] min_roas {targets_section.min_roas:g}", "min_roas", targets_section.min_roas, every))
    if targets_section.max_cpa is not None:
        rows.append(TargetRow(f"[targets] max_cpa {targets_section.max_cpa:,.2f} {currency}", "max_cpa", targets_section.max_cpa, every))
    if targets_section.min_conversions is not None:
        rows.append(TargetRow(f"[targets] min_conversions {targets_section.min_conversions:g}", "min_conversions", targets_section.min_conversions, every))
    for i, item in enumerate(targets_section.campaigns):
        matched = np.asarray(campaign_of_segment) == item.campaign
        rows.append(TargetRow(f"[[targets.campaigns]] #{i + 1} campaign '{item.campaign}' min_roas {item.min_roas:g}", "min_roas", item.min_roas, matched))
    if not rows and objective == "margin":
        return None
    return Targets(np.asarray(revenue_per_euro, float), np.asarray(conversions_per_euro, float), tuple(rows), objective, margin_rate)


def expected_outcome(targets: Targets, saturation_spend: np.ndarray, budgets: np.ndarray) -> dict[str, float]:
    """The plan's expected revenue, conversions, ROAS and CPA at segment budgets (segments,), as the targets see
    them (on the posterior means: the allocation's optimism bonus is not revenue)."""
    bought = budgets * saturation_factor(budgets, saturation_spend)
    spend = float(budgets.sum())
    revenue = float((targets.revenue_per_euro * bought).sum())
    conversions = float((targets.conversions_per_euro * bought).sum())
    return {
        "objective": targets.objective, "expected_revenue": revenue, "expected_conversions": conversions,
        "expected_roas": revenue / spend if spend > 0 else None, "expected_cpa": spend / conversions if conversions > 0 else None,
    }


def limit_in_words(constraint: str, price: float, objective: str, currency: str) -> str | None:
    """A limit's shadow price in the objective's own unit when it is not margin ('one more EUR on … would buy 0.05
    more conversions'); None for margin (explain.describe_binding's sentence)."""
    if objective == "margin":
        return None
    more, less = {
        "revenue": (f"earn {abs(price):,.2f} {currency} more revenue", f"cost {abs(price):,.2f} {currency} of revenue"),
        "conversions": (f"buy {abs(price):,.4f} more conversions", f"cost {abs(price):,.4f} conversions"),
        "min_spend": (f"save {abs(price):,.2f} {currency} of spend", f"cost {abs(price):,.2f} {currency} more spend"),  # objective: −spend
    }[objective]
    return f"one more {currency} on {constraint} would {more if price >= 0 else less}"
