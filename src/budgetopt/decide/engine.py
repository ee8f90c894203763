"""The A/B decision engine: from posteriors to verdicts, shares and reasons for every creative."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
from scipy.special import ndtri

from budgetopt.config import DecideSection
from budgetopt.decide.chance import beta_chance_to_be_best, chance_to_be_best
from budgetopt.decide.verdicts import (
    DISABLE,
    PAUSED,
    TOO_EARLY,
    WINNER,
    check_min_share,
    segment_leaders,
    traffic_shares,
    verdicts,
)
from budgetopt.estimate import Estimates
from budgetopt.estimate.conversion import BetaMixture
from budgetopt.estimate.history import unpaid_evidence
from budgetopt.model.response import saturation_factor

#: posterior draws used for chance to be best and expected loss (MC error of p_best ≤ 0.011 at 2,000)
DRAWS = 2000

#: the standard normal's 95th percentile: a 90 % interval is mean ± Z_90 standard deviations
Z_90 = float(ndtri(0.95))


@dataclass(frozen=True)
class Decisions:
    """Per-cell numbers and verdicts; arrays are (cells,)."""

    metric: str  # "margin_per_euro" or "conversion_rate"
    metric_mean: np.ndarray
    margin_factor: np.ndarray | None  # (cells,) saturation factor of the margin metric; None: conversion rate
    conversion_rate: BetaMixture
    cvr_mean: np.ndarray
    p_best: np.ndarray
    expected_loss: np.ndarray  # metric units (per euro, or rate)
    lift_p05: np.ndarray  # 90 % interval of (cell / segment leader − 1), on value per euro or on rate
    lift_p95: np.ndarray
    leader: np.ndarray  # (cells,) index of the segment's leader (highest p_best among eligible)
    verdict: np.ndarray  # object array of str
    share: np.ndarray  # of the segment's budget
    value_draws: np.ndarray | None  # (draws, cells) revenue-margin per unsaturated euro (margin metric only)
    explain: Callable[[Decisions], list[str]] | None = field(default=None, repr=False, compare=False)
    guarded: np.ndarray | None = None  # (cells,) object: the guardrail or override that kept a creative on ('' = none)

    @cached_property
    def reason(self) -> list[str]:
        """One sentence per cell saying why it has its verdict (see `reasons`), written when first
        asked for (a simulated day's plan never reads them)."""
        return [] if self.explain is None else self.explain(self)

    @cached_property
    def cvr_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """(p05, p95) of each conversion rate: closed-form quantiles, computed when first asked for
        (a simulated day's plan never needs them)."""
        return self.conversion_rate.quantile(0.05), self.conversion_rate.quantile(0.95)

    @property
    def cvr_p05(self) -> np.ndarray:
        return self.cvr_interval[0]

    @property
    def cvr_p95(self) -> np.ndarray:
        return self.cvr_interval[1]

    @cached_property
    def metric_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """(p05, p95) of each creative's metric: from the posterior draws for margin per euro, the
        closed-form quantiles for the conversion rate; computed when first asked for."""
        if self.margin_factor is None or self.value_draws is None:
            return self.cvr_interval
        metric = self.value_draws * self.margin_factor[None, :].astype(np.float32) - np.float32(1.0)
        p05, p95 = np.quantile(metric, [0.05, 0.95], axis=0)
        return np.asarray(p05, float), np.asarray(p95, float)

    @property
    def metric_p05(self) -> np.ndarray:
        return self.metric_interval[0]

    @property
    def metric_p95(self) -> np.ndarray:
        return self.metric_interval[1]


def _segment_factor(estimates: Estimates) -> np.ndarray:
    """(cells,) saturation factor at each segment's previous total spend: where the account stands today."""
    h = estimates.history
    previous = h.segment_sum(h.previous_spend)
    return saturation_factor(previous, estimates.saturation_spend)[h.segment_index]


def decide_creatives(
    estimates: Estimates,
    rules: DecideSection,
    rng: np.random.Generator,
    *,
    previously_disabled: np.ndarray | None = None,
    currency: str = "EUR",
    draws: int = DRAWS,
) -> Decisions:
    """Judge every creative within its segment; see `verdicts` for the rules."""
    h = estimates.history
    disabled_before = np.zeros(h.n_cells, bool) if previously_disabled is None else previously_disabled
    rate = estimates.conversion_rate
    value_draws = None
    eligible = ~h.paused & ~disabled_before
    factor = None
    if rules.metric == "margin_per_euro":
        value_draws = estimates.value_per_euro_draws(rng, draws)
        factor = _segment_factor(estimates)
        # margin per euro = factor × value − 1 with one factor per segment: the same ranking as the
        # value's, and losses scaled by the factor, so no (draws, cells) margin array is needed
        p_best, value_loss = chance_to_be_best(value_draws, h.segment_start, h.segment_index, eligible)
        loss = factor * value_loss
        metric_mean = factor * value_draws.mean(0, dtype=np.float64) - 1.0
        log_mean, log_var = estimates.log_value_moments()
    else:
        if len(rate.alpha) == h.n_cells:  # one Beta per cell: exact quadrature, no sampling noise
            p_best, loss = beta_chance_to_be_best(rate.alpha, rate.beta, h.segment_start, h.segment_index, eligible)
        else:
            p_best, loss = chance_to_be_best(rate.draws(rng, draws), h.segment_start, h.segment_index, eligible)
        metric_mean = rate.mean()
        log_mean, log_var = estimates.factor_log_moments[0]  # the conversion rate's, shared with the draws
    leader = segment_leaders(p_best, eligible, h.segment_start, h.segment_index)
    # lift against the leader: log-normal with the exact moments of each log (independent posteriors)
    spread = Z_90 * np.sqrt(log_var + log_var[leader])
    centre = log_mean - log_mean[leader]
    is_leader = leader == np.arange(h.n_cells)
    lift_p05 = np.where(is_leader, 0.0, np.expm1(np.clip(centre - spread, -50, 50)))
    lift_p95 = np.where(is_leader, 0.0, np.expm1(np.clip(centre + spread, -50, 50)))
    evidence = h.raw.exposure  # visits, or impressions when the policy counts conversions per impression
    verdict = verdicts(p_best, loss, evidence, h.paused, disabled_before, h.segment_start, h.segment_index, rules)
    check_min_share(verdict, h.segment_start, rules.min_share, h.campaign, h.segment)  # refused, not rescaled
    share = traffic_shares(p_best, verdict, h.segment_start, h.segment_index, rules.min_share, unbought=unpaid_evidence(h))
    return Decisions(
        metric=rules.metric,
        metric_mean=np.asarray(metric_mean, float),
        margin_factor=factor,
        conversion_rate=rate,
        cvr_mean=rate.mean(),
        p_best=p_best,
        expected_loss=loss,
        lift_p05=lift_p05,
        lift_p95=lift_p95,
        leader=leader,
        verdict=verdict,
        share=share,
        value_draws=value_draws,
        explain=partial(reasons, estimates=estimates, rules=rules, disabled_before=disabled_before, currency=currency),
    )


def format_loss(loss: float, metric: str, currency: str) -> str:
    """Expected loss in words: currency per 100 spent, or conversion-rate points."""
    if metric == "margin_per_euro":
        return f"{100 * loss:,.2f} {currency} per 100 {currency} spent"
    return f"{100 * loss:.3f} points of conversion rate"


def reasons(d: Decisions, estimates: Estimates, rules: DecideSection, disabled_before: np.ndarray, currency: str) -> list[str]:
    """One sentence per cell saying why it has its verdict, with the evidence a person can check."""
    h = estimates.history
    out = []
    winner_of = {}
    for i in np.flatnonzero(d.verdict == WINNER):
        winner_of[h.segment_index[i]] = h.creative[i]
    basis = "per euro" if d.metric == "margin_per_euro" else "in conversion rate"
    unit = "impressions" if estimates.exposure == "impressions" else "visits"
    for i in range(h.n_cells):
        where = f"{h.campaign[i]}/{h.segment[i]}"
        visits = f"{h.raw.exposure[i]:,.0f} {unit}"
        verdict = d.verdict[i]
        leader = d.leader[i]
        lift = (
            f"; {_percent(d.lift_p05[i])} to {_percent(d.lift_p95[i])} {basis} against the leader '{h.creative[leader]}' (90 %)"
            if leader != i and not (h.paused[i] or disabled_before[i]) else ""
        )
        if verdict == PAUSED:
            out.append("paused by you (status = paused in the log); not judged")
        elif verdict == DISABLE and disabled_before[i]:
            out.append("disabled earlier by the decision engine; re-enable it to test it again")
        elif verdict == DISABLE:
            out.append(
                f"disabled: {100 * d.p_best[i]:.1f} % chance of being best in {where} after {visits}; "
                f"keeping it would cost about {format_loss(d.expected_loss[i], d.metric, currency)}{lift}"
            )
        elif verdict == WINNER:
            out.append(
                f"winner of {where}: {100 * d.p_best[i]:.1f} % chance of being best after {visits}; "
                f"choosing it risks only {format_loss(d.expected_loss[i], d.metric, currency)}"
            )
        elif verdict == TOO_EARLY:
            out.append(
                f"too early: {visits} of the {rules.min_visits_before_disable:,.0f} needed before judging; "
                f"{100 * d.p_best[i]:.1f} % chance of being best in {where} so far"
            )
        elif h.segment_index[i] in winner_of:
            out.append(f"kept but gets no traffic: '{winner_of[h.segment_index[i]]}' won {where}")
        else:
            out.append(
                f"still testing: {100 * d.p_best[i]:.1f} % chance of being best in {where} after {visits}; "
                f"expected loss {format_loss(d.expected_loss[i], d.metric, currency)}{lift}"
            )
    return out


def _percent(x: float) -> str:
    return f"{100 * x:+.0f} %"
