"""The A/B decision engine: from posteriors to verdicts, shares and reasons for every creative."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from budgetopt.allocate.response import saturation_factor
from budgetopt.config import DecideSection
from budgetopt.decide.chance import chance_to_be_best
from budgetopt.decide.verdicts import DISABLE, PAUSED, TOO_EARLY, WINNER, traffic_shares, verdicts
from budgetopt.estimate import Estimates

#: posterior draws used for chance to be best and expected loss (MC error of p_best ≤ 0.011 at 2,000)
DRAWS = 2000


@dataclass(frozen=True)
class Decisions:
    """Per-cell numbers and verdicts; arrays are (cells,)."""

    metric: str  # "margin_per_euro" or "conversion_rate"
    metric_draws: np.ndarray  # (draws, cells) in the metric's units
    metric_mean: np.ndarray
    metric_p05: np.ndarray
    metric_p95: np.ndarray
    cvr_mean: np.ndarray
    cvr_p05: np.ndarray
    cvr_p95: np.ndarray
    p_best: np.ndarray
    expected_loss: np.ndarray  # metric units (per euro, or rate)
    verdict: np.ndarray  # object array of str
    share: np.ndarray  # of the segment's budget
    reason: list[str]
    value_draws: np.ndarray  # (draws, cells) revenue-margin per unsaturated euro, for the allocator


def _segment_factor(estimates: Estimates) -> np.ndarray:
    """(cells,) saturation factor at each segment's previous total spend: where the account stands today."""
    h = estimates.history
    previous = h.segment_sum(h.previous_spend)
    return saturation_factor(previous, estimates.saturation_spend)[h.segment_index]


def decide(
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
    value_draws = estimates.value_per_euro_draws(rng, draws)
    rate = estimates.conversion_rate
    if rules.metric == "margin_per_euro":
        metric_draws = value_draws * _segment_factor(estimates)[None, :] - 1.0
    else:
        metric_draws = rate.draws(rng, draws)
    eligible = ~h.paused & ~disabled_before
    p_best, loss = chance_to_be_best(metric_draws, h.segment_start, h.segment_index, eligible)
    visits = h.raw.visits
    verdict = verdicts(p_best, loss, visits, h.paused, disabled_before, h.segment_start, h.segment_index, rules)
    share = traffic_shares(p_best, verdict, h.segment_start, h.segment_index, rules.min_share)
    p05, p95 = np.quantile(metric_draws, [0.05, 0.95], axis=0)
    decisions = Decisions(
        metric=rules.metric,
        metric_draws=metric_draws,
        metric_mean=metric_draws.mean(0),
        metric_p05=p05,
        metric_p95=p95,
        cvr_mean=rate.mean(),
        cvr_p05=rate.quantile(0.05),
        cvr_p95=rate.quantile(0.95),
        p_best=p_best,
        expected_loss=loss,
        verdict=verdict,
        share=share,
        reason=[],
        value_draws=value_draws,
    )
    object.__setattr__(decisions, "reason", reasons(decisions, estimates, rules, disabled_before, currency))
    return decisions


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
    for i in range(h.n_cells):
        where = f"{h.campaign[i]}/{h.segment[i]}"
        visits = f"{h.raw.visits[i]:,.0f} visits"
        verdict = d.verdict[i]
        if verdict == PAUSED:
            out.append("paused by you (status = paused in the log); not judged")
        elif verdict == DISABLE and disabled_before[i]:
            out.append("disabled earlier by the decision engine; re-enable it to test it again")
        elif verdict == DISABLE:
            out.append(
                f"disabled: {100 * d.p_best[i]:.1f} % chance of being best in {where} after {visits}; "
                f"keeping it would cost about {format_loss(d.expected_loss[i], d.metric, currency)}"
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
                f"expected loss {format_loss(d.expected_loss[i], d.metric, currency)}"
            )
    return out
