"""A/B/n tests with known truth, run through the real pipeline day by day (log → estimate → decide).

Each test is one segment with three creatives whose true margin per euro is 1.0 (the best),
0.9 (10 % below) and 0.7 (30 % below); the segment spends `budget` a day, shared as the engine
says; disabled creatives stay disabled, a declared winner takes the whole segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from budgetopt.config import policy_from_dict
from budgetopt.decide import decide_creatives
from budgetopt.plan import estimates_from_log

COST_PER_VISIT = 0.5
BASKET = 50.0
#: margin per euro = cvr × basket / cost per visit − 1 → 1.0, 0.9, 0.7
CONVERSION_RATES = np.array([0.020, 0.019, 0.017])
CREATIVES = ("best", "minus-10", "minus-30")
#: the decision engine before issue 18: 2,000 draws for every segment (what the adaptive engine is compared with)
BASELINE_DRAWS = 2000


@dataclass(frozen=True)
class ABResult:
    best_disabled: np.ndarray  # (tests,) bool
    best_disabled_after: np.ndarray  # (tests,) visits of the best creative when disabled (nan: never)
    worst_disabled_after: np.ndarray  # (tests,) visits of the 30 %-worse creative when disabled (nan: never)
    winner: np.ndarray  # (tests,) index of the declared winner, -1 if none
    agreement: np.ndarray | None = None  # (days, tests × creatives) bool: the verdict equals the reference's
    sampled: np.ndarray | None = None  # (days, tests × creatives) bool: p_best came from draws (not quadrature)
    decisive: np.ndarray | None = None  # (days, tests × creatives) bool: either verdict is newly disable, or winner
    baseline_agreement: np.ndarray | None = None  # as `agreement`, for a fixed 2,000 draws everywhere (the engine before issue 18)


def run_ab_tests(
    tests: int, days: int, budget: float, seed: int, settings: dict | None = None, adaptive: bool = True, reference_draws: int | None = None
) -> ABResult:
    """adaptive: traffic follows the engine's shares; else an even split among creatives not disabled
    (a classic A/B test, which measures how fast the verdicts come rather than what they cost).
    reference_draws: each day, also decide with that many posterior draws for every segment (no quadrature,
    no early stop) and record whether each creative's verdict agrees; the run follows the engine's own."""
    rng = np.random.default_rng(seed)
    policy = policy_from_dict({"budget": {"daily_total": budget * tests}, **(settings or {})})
    k = len(CREATIVES)
    names = pd.DataFrame({
        "campaign": "ab", "segment": np.repeat([f"test-{i:05d}" for i in range(tests)], k), "creative": np.tile(CREATIVES, tests),
    })
    truth = np.tile(CONVERSION_RATES, tests)
    share = np.full(tests * k, 1.0 / k)
    disabled = np.zeros(tests * k, bool)
    visits_so_far = np.zeros(tests * k)
    worst_after = np.full(tests, np.nan)
    best_after = np.full(tests, np.nan)
    winner = np.full(tests, -1)
    frames = []
    agreement, sampled, decisive, baseline = [], [], [], []
    reference_rng = np.random.default_rng(seed + 1)
    for day in range(days):
        spend = budget * share
        visits = rng.poisson(spend / COST_PER_VISIT).astype(float)
        conversions = rng.binomial(visits.astype(np.int64), truth).astype(float)
        revenue = np.where(conversions > 0, rng.gamma(np.maximum(conversions, 1e-9) / 0.25, BASKET * 0.25), 0.0)
        visits_so_far += visits
        frames.append(names.assign(date=pd.Timestamp("2026-01-01") + pd.Timedelta(days=day), spend=spend, visits=visits,
                                   conversions=conversions, revenue=revenue, status="active"))
        log = pd.concat(frames, ignore_index=True)
        estimates = estimates_from_log(log, policy)
        h = estimates.history  # cells sorted by (campaign, segment, creative): map back to our order
        order = np.lexsort((h.creative, h.segment))
        ours = np.lexsort((names["creative"].to_numpy(), names["segment"].to_numpy()))
        to_history = np.empty(tests * k, int)
        to_history[ours] = order
        d = decide_creatives(estimates, policy.decide, rng, previously_disabled=disabled[np.argsort(to_history)])
        verdict = d.verdict[to_history]
        if reference_draws is not None:
            ref = decide_creatives(estimates, policy.decide, reference_rng, previously_disabled=disabled[np.argsort(to_history)],
                                   reference_draws=reference_draws)
            agreement.append(ref.verdict[to_history] == verdict)
            sampled.append(d.draws[to_history] > 0)
            fixed = decide_creatives(estimates, policy.decide, reference_rng, previously_disabled=disabled[np.argsort(to_history)],
                                     reference_draws=BASELINE_DRAWS)
            baseline.append(ref.verdict[to_history] == fixed.verdict[to_history])
            decisive.append((np.isin(verdict, ["disable", "winner"]) | np.isin(ref.verdict[to_history], ["disable", "winner"])) & ~disabled)
        newly = (verdict == "disable") & ~disabled
        worst = np.arange(tests) * k + 2
        just = newly[worst] & np.isnan(worst_after)
        worst_after[just] = visits_so_far[worst][just]
        best = np.arange(tests) * k
        just = newly[best] & np.isnan(best_after)
        best_after[just] = visits_so_far[best][just]
        disabled |= verdict == "disable"
        won = (verdict == "winner").reshape(tests, k)
        fresh = (winner < 0) & won.any(1)
        winner[fresh] = won[fresh].argmax(1)
        if adaptive:
            share = d.share[to_history]
        else:
            live = (~disabled).reshape(tests, k)
            share = (live / live.sum(1, keepdims=True)).ravel()
    return ABResult(
        best_disabled=disabled.reshape(tests, k)[:, 0], best_disabled_after=best_after, worst_disabled_after=worst_after, winner=winner,
        agreement=np.array(agreement) if agreement else None, sampled=np.array(sampled) if sampled else None,
        decisive=np.array(decisive) if decisive else None, baseline_agreement=np.array(baseline) if baseline else None,
    )
