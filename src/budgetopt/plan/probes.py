"""Probe budgets: a segment is cut because its evidence says it loses money, not because conversions
have not arrived yet (zero spend buys no evidence, so a cut on thin evidence would be for good)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import gammaincc

from budgetopt.allocate import AllocationProblem
from budgetopt.allocate.curves import SegmentCurves
from budgetopt.estimate import History
from budgetopt.estimate.value import ORDER_CV

#: a segment keeps a probe budget while its value per euro's posterior cv is at least this (about 10 conversions)…
PROBE_CV = 0.3
#: … unless so few conversions would come this rarely from a segment that breaks even (one-sided p-value)
PROBE_EVIDENCE = 0.1
#: … and while its whole log holds fewer conversions than the cv's (1 / PROBE_CV² ≈ 11): a segment measured that well
#: is uncertain now only because its old days count less (its rate changed), which the forecast and the allocation's
#: optimism answer; a probe would put back half an even split into a segment whose recent days show it declining
#: (a random world, benchmarks/study_worlds.py, seed 35: a lone creative wearing out, 48 % of the oracle, greedy 73)
MEASURED_LOG_CONVERSIONS = PROBE_CV**-2
#: how far a segment's basket strays from the account's (cv), a priori: the loss test values a conversion at the
#: segment's basket with (ORDER_CV / SEGMENT_BASKET_CV)² ≈ 5 orders at the account's, so one cheap order does not
#: make a loss (the estimates keep each segment's own basket: measured, shrinking it there cost the demo 0.55 point)
SEGMENT_BASKET_CV = 0.3
#: what a segment's floor says when the account has not converted yet
NO_CONVERSION_YET = "[segments] probe: no conversion in the log yet, so nothing says it loses money"


@dataclass(frozen=True)
class LossEvidence:
    """What each segment's own log says about losing money, (segments,) arrays, days weighted as the estimates."""

    conversions: np.ndarray
    spend: np.ndarray  # currency
    margin_per_conversion: np.ndarray  # currency: basket × margin_rate, the posterior mean
    logged: np.ndarray | None = None  # conversions in the whole log, unweighted (None: not known, taken as few)

    def break_even(self, bar: float = 1.0) -> np.ndarray:
        """(segments,) conversions that would have paid for the spend `bar` times (1: broke even)."""
        return bar * self.spend / np.maximum(self.margin_per_conversion, 1e-12)

    def p_value(self, bar: float = 1.0) -> np.ndarray:
        """(segments,) P(as few conversions as these | the segment earned `bar` per unit spent): Poisson with those
        conversions as its mean, P(X ≤ x) = Q(x + 1, mean) (x may be fractional, as weighted days make it)."""
        return gammaincc(self.conversions + 1.0, self.break_even(bar))


#: a probe's bar is the account's margin (1 + λ, margin_bar) to this power: halfway, in log terms, between
#: break-even and what a unit earns elsewhere, since a probe also buys information the margin does not count.
#: Measured (paired): the full margin gains thin_many 2.7 points but costs sparse 1.6 (80 replications); half of
#: it gains thin_many 1.6 ± 0.7 and costs sparse 0.1 ± 0.05; break-even (0) held 5 % of thin_many's budget in losers
BAR_POWER = 0.5


def probe_bar(curves: SegmentCurves, upper: np.ndarray, total: float) -> float:
    """What a probed segment's log must not show it falls short of, per unit spent: margin_bar ** BAR_POWER."""
    return margin_bar(curves, upper, total) ** BAR_POWER


def margin_bar(curves: SegmentCurves, upper: np.ndarray, total: float) -> float:
    """What a unit of budget earns at the margin of the account, 1 + λ: λ the margin per unit the last unit of the
    total earns where the curves (SegmentCurves) put it, caps `upper` (segments,) kept, floors ignored; 1 where
    the total does not bind. A probe's bar: a segment that cannot earn this is a loss next to the others."""
    v = curves.value_per_euro
    if not np.isfinite(total) or not (v > 1.0).any():
        return 1.0

    def spend(level: float) -> float:
        return float(np.minimum(curves.spend_at(level), upper).sum())

    if spend(1.0) <= total:
        return 1.0
    low, high = 1.0, float(v.max())
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if spend(mid) > total else (low, mid)
    return 0.5 * (low + high)


def loss_evidence(h: History, margin_rate: float) -> LossEvidence:
    """Each segment's weighted conversions and spend (the spend whose conversions should be reported by now,
    [estimate] conversion_lag), and a conversion's margin: its basket, shrunk towards the account's."""
    t = h.totals
    reported = np.minimum(t.exposure / np.maximum(t.raw_exposure, 1e-12), 1.0)
    conversions, revenue = h.segment_sum(t.conversions), h.segment_sum(t.revenue)
    account = revenue.sum() / conversions.sum() if conversions.sum() > 0 else 0.0
    orders = (ORDER_CV / SEGMENT_BASKET_CV) ** 2
    basket = (revenue + orders * account) / (conversions + orders)
    return LossEvidence(conversions, h.segment_sum(t.spend * reported), basket * margin_rate, h.segment_sum(h.raw.conversions))


def holding(problem: AllocationProblem, previous: np.ndarray, live: np.ndarray) -> AllocationProblem:
    """The problem with every live segment held at least at yesterday's budget (an even split of the total for
    an account with no spend yet), within its caps and the total: before the first conversion there is no
    evidence that money is lost, only that conversions have not arrived, and cutting would stop the evidence."""
    if not np.isfinite(problem.total_max):
        return problem
    floor = np.where(live, previous, 0.0)
    if floor.sum() <= 0:
        floor = np.where(live, problem.total_max / max(int(live.sum()), 1), 0.0)
    floor = np.minimum(floor, problem.upper)
    if floor.sum() > problem.total_max:
        floor *= problem.total_max / floor.sum()
    raise_by = np.maximum(floor - problem.lower, 0.0)
    label = tuple(NO_CONVERSION_YET if r > 0 else old for r, old in zip(raise_by, problem.lower_label))
    return replace(problem, lower=problem.lower + raise_by, lower_label=label)


def with_probes(
    problem: AllocationProblem, probe: float, cv: np.ndarray, evidence: LossEvidence, live: np.ndarray, bar: float = 1.0
) -> AllocationProblem:
    """The problem with a floor for every live segment whose value per euro is still uncertain (posterior cv at
    least PROBE_CV) and whose log does not show a loss (as few conversions as it has would come from a segment
    that earns `bar` per unit spent at least PROBE_EVIDENCE of the time; `probe_bar`: halfway between break-even
    and what the budget earns at the account's margin, 1 where the total does not bind) and whose whole log holds
    fewer than MEASURED_LOG_CONVERSIONS conversions (a segment never measured, not one measured and then changed):
    `probe` × an even split of the total, within the segment's cap. The posterior alone is not asked, because with a few conversions it
    leans on its prior (a cheap first order, a quiet campaign's pooled rate) and can call a loss that the
    segment's own data do not show. The floors give way together if they would not fit in the total."""
    if not np.isfinite(problem.total_max) or problem.targets is not None:
        return problem  # a target decides what a segment may spend: no probe overrides it
    in_a_row = np.asarray(abs(problem.bound_coef).sum(0)).ravel() > 0 if problem.bound_coef.shape[0] else np.zeros(len(live), bool)
    thin = live & (cv >= PROBE_CV) & (evidence.p_value(bar) >= PROBE_EVIDENCE) & ~in_a_row  # a [[bounds]] row's segment is the user's to size
    if evidence.logged is not None:
        thin &= evidence.logged < MEASURED_LOG_CONVERSIONS  # measured, then changed: the forecast's to follow
    if not thin.any():
        return problem
    floor = np.where(thin, np.minimum(probe * problem.total_max / max(int(live.sum()), 1), problem.upper), 0.0)
    raise_by = np.maximum(floor - problem.lower, 0.0)
    room = max(problem.total_max - problem.lower.sum(), 0.0)
    if raise_by.sum() > room:
        raise_by *= room / raise_by.sum()
    lower = problem.lower + raise_by
    need = evidence.break_even(bar)
    earn = "would break even" if bar <= 1.0 else f"would earn {bar:.2f} a unit (halfway to the account's margin)"
    label = tuple(
        f"[segments] probe: thin evidence ({x:.1f} conversions where {n:.1f} {earn})" if r > 0 else old
        for r, x, n, old in zip(raise_by, evidence.conversions, need, problem.lower_label)
    )
    return replace(problem, lower=lower, lower_label=label)
