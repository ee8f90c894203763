"""Estimation end to end (log → posteriors → decisions) against closed forms and simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from budgetopt.config import policy_from_dict
from budgetopt.decide import decide_creatives
from budgetopt.decide.chance import beta_chance_to_be_best, p_b_beats_a
from budgetopt.estimate.conversion import pooled, unpooled
from budgetopt.plan import estimates_from_log

#: issue 3: the unpooled posterior equals the exact Beta to this
EXACT = 1e-6
#: issue 3: p_best for two creatives within this of the exact P(B > A)
P_BEST = 0.005


def log_of(rows: list[tuple], start: str = "2026-03-01") -> pd.DataFrame:
    """rows: (day, segment, creative, spend, visits, conversions, revenue)."""
    frame = pd.DataFrame(rows, columns=["day", "segment", "creative", "spend", "visits", "conversions", "revenue"])
    frame["date"] = pd.Timestamp(start) + pd.to_timedelta(frame.pop("day"), unit="D")
    frame["campaign"] = "c"
    frame["status"] = "active"
    return frame.astype({c: float for c in ("spend", "visits", "conversions", "revenue")})


EXACT_POLICY = {"budget": {"daily_total": 100.0}, "estimate": {"pooling": "none", "half_life_days": float("inf")},
                "decide": {"metric": "conversion_rate"}}


def test_unpooled_without_decay_is_the_exact_beta_posterior_end_to_end():
    log = log_of([(0, "s", "a", 50, 400, 12, 600), (1, "s", "a", 50, 350, 9, 450), (0, "s", "b", 50, 420, 20, 1000), (1, "s", "b", 60, 380, 15, 700)])
    policy = policy_from_dict(EXACT_POLICY)
    d = decide_creatives(estimates_from_log(log, policy), policy.decide, np.random.default_rng(0))
    exact = stats.beta(1 + np.array([21.0, 35.0]), 1 + np.array([729.0, 765.0]))
    assert d.cvr_mean == pytest.approx(exact.mean(), abs=EXACT)
    assert d.cvr_p05 == pytest.approx(exact.ppf(0.05), abs=EXACT)
    assert d.cvr_p95 == pytest.approx(exact.ppf(0.95), abs=EXACT)
    assert d.p_best[1] == pytest.approx(p_b_beats_a(22, 730, 36, 766), abs=P_BEST)


@pytest.mark.parametrize(("a", "b"), [((1, 1), (1, 1)), ((3, 97), (8, 92)), ((31, 971), (45, 957)), ((400, 9600), (380, 9620))])
def test_quadrature_matches_evan_millers_closed_form(a, b):
    p_best, _ = beta_chance_to_be_best(np.array([a[0], b[0]], float), np.array([a[1], b[1]], float), np.array([0]), np.array([0, 0]), np.ones(2, bool))
    assert p_best[1] == pytest.approx(p_b_beats_a(*a, *b), abs=1e-8)
    assert p_best.sum() == pytest.approx(1.0, abs=1e-9)


def test_p_best_sums_to_one_per_segment_end_to_end(demo_log, demo_policy):
    from budgetopt import load_log, load_policy

    policy = load_policy(demo_policy)
    estimates = estimates_from_log(load_log(demo_log), policy)
    d = decide_creatives(estimates, policy.decide, np.random.default_rng(3))
    h = estimates.history
    live = np.add.reduceat((~h.paused).astype(int), h.segment_start) > 0
    assert np.add.reduceat(d.p_best, h.segment_start)[live] == pytest.approx(1.0, abs=1e-9)


def test_pooling_lowers_the_error_of_young_cells():
    rng = np.random.default_rng(11)
    segments, per = 300, 6
    rate = rng.uniform(0.01, 0.06, segments)
    kappa = rng.choice([100.0, 500.0, 3000.0], segments)
    truth = rng.beta(np.repeat(rate * kappa, per), np.repeat((1 - rate) * kappa, per))
    young = rng.random(segments * per) < 0.5
    visits = np.where(young, rng.integers(0, 100, segments * per), rng.integers(100, 5000, segments * per)).astype(float)
    conversions = rng.binomial(visits.astype(int), truth).astype(float)
    pooled_error = np.mean((pooled(conversions, visits, np.repeat(np.arange(segments), per)).mean() - truth)[young] ** 2)
    unpooled_error = np.mean((unpooled(conversions, visits, 1.0, 1.0).mean() - truth)[young] ** 2)
    assert pooled_error < unpooled_error / 5  # measured: 2.3e-4 against 6.4e-3


def test_lag_profile_removes_the_bias_of_half_reported_days():
    """Creatives launched 3 days ago whose conversions are still arriving: 50 %, 80 %, 95 % reported."""
    rng = np.random.default_rng(5)
    lag = (0.5, 0.8, 0.95)
    cells, rate = 400, 0.03
    rows = []
    for day, age in zip(range(3), (3, 2, 1)):
        visits = rng.poisson(2000, cells)
        conversions = rng.binomial(rng.binomial(visits, rate), lag[age - 1])
        rows += [(day, f"s{i}", "new", 100.0, visits[i], conversions[i], 50.0 * conversions[i]) for i in range(cells)]
    log = log_of(rows)
    for profile, expect_bias in (((), True), (lag, False)):
        policy = policy_from_dict({"budget": {"daily_total": 1.0}, "estimate": {"pooling": "none", "conversion_lag": list(profile)}})
        mean = estimates_from_log(log, policy).conversion_rate.mean().mean()
        assert (abs(mean / rate - 1) > 0.15) == expect_bias, (profile, mean)


def test_decay_follows_a_fading_creative():
    """The rate halves after 30 days; a 7-day half-life sees it, no decay averages it away."""
    rng = np.random.default_rng(6)
    rows = [(day, "s", "faded", 100.0, 3000, rng.binomial(3000, 0.04 if day < 30 else 0.02), 0.0) for day in range(40)]
    log = log_of(rows)
    means = {}
    for half_life in (7.0, float("inf")):
        estimate = {"pooling": "none", "half_life_days": half_life, "wear_out": False}  # decay alone
        policy = policy_from_dict({"budget": {"daily_total": 1.0}, "estimate": estimate})
        means[half_life] = estimates_from_log(log, policy).conversion_rate.mean()[0]
    # weights: the last 10 days carry 63 % of the 7-day half-life's mass → 0.0274 expected; no decay: 0.035
    assert means[7.0] == pytest.approx(0.0274, abs=0.001)
    assert means[float("inf")] == pytest.approx(0.035, abs=0.001)


def test_log_normal_draws_agree_with_exact_draws_for_well_measured_cells(demo_log, demo_policy):
    from budgetopt import load_log, load_policy
    from budgetopt.estimate import conversion

    policy = load_policy(demo_policy)
    estimates = estimates_from_log(load_log(demo_log), policy)
    fast = estimates.value_per_euro_draws(np.random.default_rng(1), 20_000)
    original = conversion.LOGNORMAL_MIN_SHAPE
    try:
        conversion.LOGNORMAL_MIN_SHAPE = np.inf  # every cell exact, Beta variates included
        exact = estimates.value_per_euro_draws(np.random.default_rng(2), 20_000)
    finally:
        conversion.LOGNORMAL_MIN_SHAPE = original
    for q in (0.05, 0.5, 0.95):
        assert np.quantile(fast, q, axis=0) == pytest.approx(np.quantile(exact, q, axis=0), rel=0.02)
