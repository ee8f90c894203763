"""The A/B decision engine: from posteriors to verdicts, shares and reasons for every creative."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, partial

import numpy as np
import pandas as pd
from scipy.special import ndtri

from budgetopt.config import DecideSection
from budgetopt.decide.chance import beta_chance_to_be_best
from budgetopt.decide.lognormal import MAX_CREATIVES, lognormal_chance_to_be_best
from budgetopt.decide.sampling import Chance, sequential_chance
from budgetopt.decide.verdicts import (
    DISABLE,
    KEEP,
    PAUSED,
    SHARE_EVIDENCE,
    TOO_EARLY,
    WINNER,
    Off,
    check_min_share,
    segment_leaders,
    share_measured,
    traffic_shares,
    uncertain_segments,
    verdicts,
)
from budgetopt.estimate import Estimates, History
from budgetopt.estimate.conversion import BetaMixture
from budgetopt.estimate.history import unpaid_evidence
from budgetopt.model.response import saturation_factor

#: the standard normal's 95th percentile: a 90 % interval is mean ± Z_90 standard deviations
Z_90 = float(ndtri(0.95))
#: the first pass of posterior draws for segments that are sampled; a segment whose verdict is near a
#: threshold gets more, doubling up to [decide] draws (the MC standard error of p_best is ≤ 0.022 here)
FIRST_DRAWS = 500


@dataclass(frozen=True)
class Decisions:
    """Per-cell numbers and verdicts; arrays are (cells,)."""

    metric: str  # "margin_per_euro" or "conversion_rate"
    metric_mean: np.ndarray
    margin_factor: np.ndarray | None  # (cells,) saturation factor of the margin metric; None: conversion rate
    conversion_rate: BetaMixture
    cvr_mean: np.ndarray
    p_best: np.ndarray
    p_best_se: np.ndarray  # Monte Carlo standard error of p_best (0 where computed by quadrature)
    draws: np.ndarray  # (cells,) int posterior draws behind p_best and expected_loss (0: quadrature, no sampling)
    expected_loss: np.ndarray  # metric units (per euro, or rate)
    lift_p05: np.ndarray  # 90 % interval of (cell / segment leader − 1), on value per euro or on rate
    lift_p95: np.ndarray
    leader: np.ndarray  # (cells,) index of the segment's leader (highest p_best among eligible)
    verdict: np.ndarray  # object array of str
    share: np.ndarray  # of the segment's budget
    summarise: Callable[[np.ndarray | None], tuple] | None = field(default=None, repr=False, compare=False)
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
        """(p05, p95) of each creative's metric: for margin per euro, factor × (value per euro's interval) − 1
        (closed form where the value is log-normal, posterior draws elsewhere: `value_interval`); the
        closed-form quantiles for the conversion rate; computed when first asked for."""
        if self.margin_factor is None or self.summarise is None:
            return self.cvr_interval
        p05, p95 = self.value_interval
        return self.margin_factor * p05 - 1.0, self.margin_factor * p95 - 1.0

    @cached_property
    def value_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """(p05, p95) (cells,) of value per unsaturated euro (see `value_summary`)."""
        return self.value_summary()[:2]

    def value_summary(self, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(p05, p95, total): each cell's 90 % interval of value per unsaturated euro — closed form where it is
        log-normal, else from [decide] draws posterior draws — and those draws of Σ weights × value (draws,)
        with `weights` (cells,) (Estimates.value_per_euro_summary). The draws come from the decisions' own
        stream, so the intervals are the same whoever asks first (the plan, or the decisions table)."""
        p05, p95, total = self.summarise(weights)
        self.__dict__["value_interval"] = (p05, p95)  # the cached_property's slot: the same numbers, not drawn again
        return p05, p95, total

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


def _chance(
    estimates: Estimates, rules: DecideSection, rng: np.random.Generator, eligible: np.ndarray, scale: np.ndarray,
    reference_draws: int | None = None,
) -> Chance:
    """Chance to be best and expected loss (in the draws' units; `scale` (cells,) converts a loss to the metric's)
    of every eligible cell: by quadrature where a segment's values are all log-normal (margin per euro) or
    its rates one Beta each (conversion rate), by sequential sampling elsewhere, up to [decide] draws.
    reference_draws: sample every segment with exactly this many draws instead (the reference it is measured against)."""
    h = estimates.history
    n_segments = h.n_segments
    count = np.add.reduceat(eligible.astype(int), h.segment_start)
    first, most = (FIRST_DRAWS, rules.draws) if reference_draws is None else (reference_draws, reference_draws)
    if reference_draws is not None:
        closed = np.zeros(n_segments, bool)
        p_best, loss = np.zeros(h.n_cells), np.full(h.n_cells, np.nan)
        source = estimates.value_per_euro_draws if rules.metric == "margin_per_euro" else estimates.conversion_rate.draws
        draw = partial(source, rng)
    elif rules.metric == "margin_per_euro":
        closed = (np.add.reduceat((eligible & ~estimates.lognormal).astype(int), h.segment_start) == 0) & (count <= MAX_CREATIVES)
        log_mean, log_var = estimates.log_value_moments()
        in_closed = eligible & closed[h.segment_index]
        p_best, loss = lognormal_chance_to_be_best(log_mean, np.sqrt(log_var), h.segment_start, h.segment_index, in_closed)
        draw = partial(estimates.value_per_euro_draws, rng)
    elif len(estimates.conversion_rate.alpha) == h.n_cells:  # one Beta per cell: exact quadrature, no sampling noise
        rate = estimates.conversion_rate
        closed = np.ones(n_segments, bool)
        p_best, loss = beta_chance_to_be_best(rate.alpha, rate.beta, h.segment_start, h.segment_index, eligible)
    else:
        closed = np.zeros(n_segments, bool)
        p_best, loss = np.zeros(h.n_cells), np.full(h.n_cells, np.nan)
        draw = partial(estimates.conversion_rate.draws, rng)
    sampled = ~closed & (count > 0)
    if not sampled.any():
        zero = np.zeros(h.n_cells)
        return Chance(p_best, loss, zero, zero, zero.astype(int))
    enough = h.raw.exposure >= rules.min_visits_before_disable

    def uncertain(c: Chance) -> np.ndarray:
        return uncertain_segments(c.p_best, scale * c.expected_loss, scale * c.loss_se, c.draws, enough, eligible, h.segment_start, h.segment_index, rules)

    sampled_chance = sequential_chance(draw, sampled, eligible, h.segment_start, h.segment_index, uncertain, first, most)
    in_sampled = sampled[h.segment_index]
    return replace(
        sampled_chance,
        p_best=np.where(in_sampled, sampled_chance.p_best, p_best),
        expected_loss=np.where(in_sampled, sampled_chance.expected_loss, loss),
    )


def decide_creatives(
    estimates: Estimates,
    rules: DecideSection,
    rng: np.random.Generator,
    *,
    previously_disabled: np.ndarray | None = None,
    currency: str = "EUR",
    off: Off | None = None,
    reference_draws: int | None = None,
) -> Decisions:
    """Judge every creative within its segment; see `verdicts` for the rules. Chance to be best and expected
    loss are computed to the precision the verdicts need (`_chance`), with at most [decide] draws each;
    `reference_draws` samples every segment with that many instead (benchmarks/study_decisions.py)."""
    h = estimates.history
    disabled_before = np.zeros(h.n_cells, bool) if previously_disabled is None else previously_disabled
    rate = estimates.conversion_rate
    eligible = ~h.paused & ~disabled_before
    # the intervals' and the plan's margin draws: their own stream, made when first asked for
    summarise = partial(_value_summary, estimates, rng.bit_generator.seed_seq.spawn(1)[0], rules.draws)
    factor = None
    if rules.metric == "margin_per_euro":
        factor = _segment_factor(estimates)
        # margin per euro = factor × value − 1 with one factor per segment: the same ranking as the
        # value's, and losses scaled by the factor, so no draws of the margin itself are needed
        chance = _chance(estimates, rules, rng, eligible, factor, reference_draws)
        loss = factor * chance.expected_loss
        metric_mean = factor * estimates.value_per_euro_mean() - 1.0
        log_mean, log_var = estimates.log_value_moments()
    else:
        chance = _chance(estimates, rules, rng, eligible, np.ones(h.n_cells), reference_draws)
        loss = chance.expected_loss
        metric_mean = rate.mean()
        log_mean, log_var = estimates.factor_log_moments[0]  # the conversion rate's, shared with the draws
    p_best = chance.p_best
    leader = segment_leaders(p_best, eligible, h.segment_start, h.segment_index)
    # lift against the leader: log-normal with the exact moments of each log (independent posteriors)
    spread = Z_90 * np.sqrt(log_var + log_var[leader])
    centre = log_mean - log_mean[leader]
    is_leader = leader == np.arange(h.n_cells)
    lift_p05 = np.where(is_leader, 0.0, np.expm1(np.clip(centre - spread, -50, 50)))
    lift_p95 = np.where(is_leader, 0.0, np.expm1(np.clip(centre + spread, -50, 50)))
    evidence = h.raw.exposure  # visits, or impressions when the policy counts conversions per impression
    verdict = verdicts(p_best, loss, evidence, h.paused, disabled_before, h.segment_start, h.segment_index, rules)
    if off is not None and off.cells is not None:
        verdict[off.cells & (verdict == TOO_EARLY)] = KEEP  # switched off: no new test, back only as a challenger
    # judged only on fresh evidence: a creative that got no traffic yesterday is not disabled on evidence that has aged
    verdict[(verdict == DISABLE) & ~disabled_before & (h.previous_spend <= 0)] = KEEP
    check_min_share(verdict, h.segment_start, rules.min_share, h.campaign, h.segment)  # refused, not rescaled
    measured = measured_creatives(h)
    share = creative_shares(h, p_best, verdict, rules, measured)
    return Decisions(
        metric=rules.metric,
        metric_mean=np.asarray(metric_mean, float),
        margin_factor=factor,
        conversion_rate=rate,
        cvr_mean=rate.mean(),
        p_best=p_best,
        p_best_se=chance.p_best_se,
        draws=chance.draws,
        expected_loss=loss,
        lift_p05=lift_p05,
        lift_p95=lift_p95,
        leader=leader,
        verdict=verdict,
        share=share,
        summarise=summarise,
        explain=partial(
            reasons, estimates=estimates, rules=rules, disabled_before=disabled_before, currency=currency, off=off or Off(), measured=measured
        ),
    )


def measured_creatives(h: History) -> np.ndarray:
    """(cells,) creatives too early to judge whose share may follow their chance to be best all the same: their
    logged exposure could bring SHARE_EVIDENCE conversions at their segment's rate (`share_measured`)."""
    return share_measured(h.raw.exposure, h.raw.conversions, h.segment_start, h.segment_index)


def creative_shares(
    h: History, p_best: np.ndarray, verdict: np.ndarray, rules: DecideSection, measured: np.ndarray | None = None,
    kept_on: np.ndarray | None = None,
) -> np.ndarray:
    """(cells,) each creative's share of its segment by the engine's rules (`traffic_shares`): one call for the
    engine and for the guardrails' recompute, so the two cannot differ. measured: `measured_creatives(h)`
    (None: computed); kept_on: creatives a guardrail kept on, under test and never resting."""
    return traffic_shares(
        p_best, verdict, h.segment_start, h.segment_index, rules.min_share, unbought=unpaid_evidence(h),
        challenger_p_best=rules.challenger_p_best, measured=measured_creatives(h) if measured is None else measured, kept_on=kept_on,
    )


def _value_summary(estimates: Estimates, seed: np.random.SeedSequence, draws: int, weights: np.ndarray | None) -> tuple:
    return estimates.value_per_euro_summary(np.random.default_rng(seed), draws, weights)


def format_loss(loss: float, metric: str, currency: str) -> str:
    """Expected loss in words: currency per 100 spent, or conversion-rate points."""
    if metric == "margin_per_euro":
        return f"{100 * loss:,.2f} {currency} per 100 {currency} spent"
    return f"{100 * loss:.3f} points of conversion rate"


def reasons(
    d: Decisions, estimates: Estimates, rules: DecideSection, disabled_before: np.ndarray, currency: str, off: Off, measured: np.ndarray,
) -> list[str]:
    """One sentence per cell saying why it has its verdict, with the evidence a person can check."""
    h = estimates.history
    out = _verdict_reasons(d, estimates, rules, disabled_before, currency, off, measured)
    if off.back is not None:
        for i in np.flatnonzero(off.back):
            days = int(h.last_paid_day[i]) - 1
            out[i] = f"back in test after {days} days off ([decide] retest_after_days = {rules.retest_after_days:g}), judged afresh; {out[i]}"
    return out


def _verdict_reasons(
    d: Decisions, estimates: Estimates, rules: DecideSection, disabled_before: np.ndarray, currency: str, off: Off, measured: np.ndarray,
) -> list[str]:
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
            enough = f"its {unit} could bring {SHARE_EVIDENCE:g} conversions at the segment's rate"
            share_rule = f", which its share follows ({enough})" if measured[i] else f"; an even share at most until {enough}"
            out.append(
                f"too early: {visits} of the {rules.min_visits_before_disable:,.0f} needed before judging; "
                f"{100 * d.p_best[i]:.1f} % chance of being best in {where} so far{share_rule}"
            )
        elif h.segment_index[i] in winner_of:
            out.append(f"kept but gets no traffic: '{winner_of[h.segment_index[i]]}' won {where}")
        elif d.share[i] == 0 and off.cells is not None and off.cells[i]:
            since = (h.as_of - pd.Timedelta(days=int(h.last_paid_day[i]))).strftime("%Y-%m-%d")
            out.append(
                f"off: no spend since {since} while {where} spent; {100 * d.p_best[i]:.1f} % chance of being best "
                f"after {visits}, below the {100 * rules.challenger_p_best:.0f} % that would bring it back (or enable it, "
                f"or set [decide] retest_after_days){lift}"
            )
        elif d.share[i] == 0:
            out.append(
                f"resting: {100 * d.p_best[i]:.1f} % chance of being best in {where} after {visits}, below the "
                f"{100 * rules.challenger_p_best:.0f} % a challenger needs for traffic; it gets traffic again if the leader fades{lift}"
            )
        else:
            out.append(
                f"still testing: {100 * d.p_best[i]:.1f} % chance of being best in {where} after {visits}; "
                f"expected loss {format_loss(d.expected_loss[i], d.metric, currency)}{lift}"
            )
    return out


def _percent(x: float) -> str:
    return f"{100 * x:+.0f} %"
