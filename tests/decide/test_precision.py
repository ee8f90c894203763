"""Chance to be best at the precision its verdict needs: the log-normal quadrature against closed forms and
simulation, and sequential sampling that draws more only where a verdict is near its threshold."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from budgetopt.config import policy_from_dict
from budgetopt.decide import decide_creatives
from budgetopt.decide.lognormal import lognormal_chance_to_be_best
from budgetopt.decide.sampling import sequential_chance
from budgetopt.decide.verdicts import uncertain_segments
from budgetopt.plan import decisions_table, estimates_from_log

#: quadrature against the two-cell closed forms (measured: within 1e-8 at 10 nodes a panel)
QUADRATURE = 1e-7
#: quadrature against 2 M simulated draws: 4 Monte Carlo standard errors of a p_best near 0.3
SIMULATED = 1.3e-3


def two_lognormals(m: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """P(X₀ > X₁) and E[max(e^X₀, e^X₁)] for independent X_i ~ N(m_i, s_i²) (tilting e^x φ to a shifted φ)."""
    d = np.hypot(s[0], s[1])
    e = np.exp(m + s**2 / 2)
    return float(ndtr((m[0] - m[1]) / d)), float(e[0] * ndtr((m[0] + s[0] ** 2 - m[1]) / d) + e[1] * ndtr((m[1] + s[1] ** 2 - m[0]) / d))


@pytest.mark.parametrize(
    ("m", "s"),
    [((0.0, 0.0), (0.1, 0.1)), ((0.1, 0.0), (0.3, 0.003)), ((0.0, 0.02), (0.003, 0.3)), ((0.5, -0.2), (0.05, 0.2)), ((1.2, 1.25), (0.25, 0.3))],
)
def test_lognormal_quadrature_matches_the_closed_forms_for_two_cells(m, s):
    m, s = np.array(m), np.array(s)
    p_best, loss = lognormal_chance_to_be_best(m, s, np.array([0]), np.array([0, 0]), np.ones(2, bool))
    p0, expected_max = two_lognormals(m, s)
    assert p_best[0] == pytest.approx(p0, abs=QUADRATURE)
    assert p_best.sum() == pytest.approx(1.0, abs=1e-12)
    assert loss == pytest.approx(expected_max - np.exp(m + s**2 / 2), abs=QUADRATURE)


def test_lognormal_quadrature_matches_simulation_for_six_cells():
    rng = np.random.default_rng(0)
    m, s = rng.normal(0, 0.1, 6), rng.uniform(0.01, 0.3, 6)
    p_best, loss = lognormal_chance_to_be_best(m, s, np.array([0]), np.zeros(6, int), np.ones(6, bool))
    values = np.exp(rng.normal(m, s, (2_000_000, 6)))
    assert p_best == pytest.approx(np.bincount(values.argmax(1), minlength=6) / len(values), abs=SIMULATED)
    assert loss == pytest.approx(values.max(1).mean() - values.mean(0), abs=SIMULATED)


def test_lognormal_quadrature_matches_adaptive_integration_for_cells_far_apart():
    """Three cells whose windows start far apart (a precise leader, a vague newcomer, a loser): the grid starts at
    the highest window's start, and every p_best and the expected maximum still equal scipy's adaptive quad."""
    from scipy.integrate import quad
    from scipy.stats import norm

    m, s = np.array([0.3, -1.0, -0.4]), np.array([0.01, 0.8, 0.05])
    p_best, loss = lognormal_chance_to_be_best(m, s, np.array([0]), np.zeros(3, int), np.ones(3, bool))

    def best(k: int, x: float) -> float:
        return norm.pdf(x, m[k], s[k]) * np.prod([norm.cdf(x, m[j], s[j]) for j in range(3) if j != k])

    bounds = dict(points=[*m], limit=400, epsabs=1e-13)
    exact = [quad(lambda x, k=k: best(k, x), -12, 6, **bounds)[0] for k in range(3)]
    expected_max = sum(quad(lambda x, k=k: np.exp(x) * best(k, x), -12, 6, **bounds)[0] for k in range(3))
    assert p_best == pytest.approx(exact, abs=QUADRATURE)
    assert loss == pytest.approx(expected_max - np.exp(m + s**2 / 2), abs=QUADRATURE)


def test_lognormal_quadrature_leaves_ineligible_cells_out():
    m, s = np.array([0.0, 0.3, 0.1, -0.1, 0.2]), np.array([0.1, 0.1, 0.2, 0.2, 0.05])
    start, index = np.array([0, 3]), np.array([0, 0, 0, 1, 1])
    eligible = np.array([True, False, True, True, True])
    p_best, loss = lognormal_chance_to_be_best(m, s, start, index, eligible)
    alone, _ = lognormal_chance_to_be_best(m[[0, 2]], s[[0, 2]], np.array([0]), np.array([0, 0]), np.ones(2, bool))
    assert p_best[1] == 0 and np.isnan(loss[1])
    assert p_best[[0, 2]] == pytest.approx(alone, abs=1e-12)
    assert np.add.reduceat(p_best, start) == pytest.approx(1.0)


def _lognormal_draws(m: np.ndarray, s: np.ndarray, rng: np.random.Generator):
    return lambda n, cells: np.exp(rng.normal(m[cells], s[cells], (n, len(cells)))).astype(np.float32)


def test_sequential_sampling_draws_more_only_where_a_verdict_is_near_its_threshold():
    """Three segments: one clear (a creative far behind), one whose runner-up sits near the 1 % disable line,
    one of near-identical twins (never near a verdict). Only the second is drawn past the first pass."""
    m = np.array([0.0, -1.0, 0.0, -0.43, 0.0, 0.001])
    s = np.full(6, 0.13)
    start, index, eligible = np.array([0, 2, 4]), np.repeat(np.arange(3), 2), np.ones(6, bool)
    rules = policy_from_dict({"budget": {"daily_total": 1.0}}).decide
    enough = np.ones(6, bool)

    def uncertain(c):
        return uncertain_segments(c.p_best, c.expected_loss, c.loss_se, c.draws, enough, eligible, start, index, rules)

    chance = sequential_chance(_lognormal_draws(m, s, np.random.default_rng(1)), np.ones(3, bool), eligible, start, index, uncertain, 500, 4000)
    assert chance.draws.tolist() == [500, 500, 4000, 4000, 500, 500]
    exact, _ = lognormal_chance_to_be_best(m, s, start, index, eligible)
    assert np.all(np.abs(chance.p_best - exact) <= 4 * chance.p_best_se + 1e-3)
    assert chance.p_best_se[2] == pytest.approx(np.sqrt(chance.p_best[2] * (1 - chance.p_best[2]) / 4000))


def test_sequential_sampling_equals_one_pass_of_its_draws():
    """Tallies add: a segment drawn 500 + 500 + 1000 times has the numbers of 2,000 draws in one pass."""
    m, s = np.array([0.0, -0.3]), np.array([0.13, 0.13])
    start, index, eligible = np.array([0]), np.zeros(2, int), np.ones(2, bool)
    rng = np.random.default_rng(5)
    values = np.exp(rng.normal(m, s, (2000, 2))).astype(np.float32)
    passes = iter([values[:500], values[500:1000], values[1000:]])
    chance = sequential_chance(lambda n, cells: next(passes), np.ones(1, bool), eligible, start, index, lambda c: np.ones(1, bool), 500, 2000)
    assert chance.draws.tolist() == [2000, 2000]
    assert chance.p_best[1] == pytest.approx(np.mean(values[:, 1] > values[:, 0]), abs=1e-12)
    assert chance.expected_loss == pytest.approx((values.max(1)[:, None] - values).mean(0), rel=1e-6)


def test_decisions_report_the_monte_carlo_error_of_p_best():
    """A thin segment (a handful of conversions: sampled) and a well-measured one (quadrature: error 0)."""
    import pandas as pd

    rows = []
    for day in range(10):
        for creative, visits, conversions in (("a", 60, 1), ("b", 60, day % 2)):
            rows.append((day, "thin", creative, 30.0, visits, conversions, 50.0 * conversions))
        for creative, visits, conversions in (("a", 3000, 90), ("b", 3000, 75)):
            rows.append((day, "thick", creative, 1500.0, visits, conversions, 50.0 * conversions))
    log = pd.DataFrame(rows, columns=["day", "segment", "creative", "spend", "visits", "conversions", "revenue"])
    log["date"] = pd.Timestamp("2026-03-01") + pd.to_timedelta(log.pop("day"), unit="D")
    log["campaign"] = "c"
    log["status"] = "active"
    policy = policy_from_dict({"budget": {"daily_total": 4000.0}, "decide": {"draws": 1000}})
    estimates = estimates_from_log(log, policy)
    d = decide_creatives(estimates, policy.decide, np.random.default_rng(2))
    table = decisions_table(estimates, d).set_index(["segment", "creative"])
    assert (table.loc["thick", "p_best_se"] == 0).all()
    assert (d.draws[estimates.history.segment == "thin"] >= 500).all() and (d.draws <= 1000).all()
    thin = table.loc["thin"]
    drawn = d.draws[estimates.history.segment == "thin"]
    assert np.allclose(thin["p_best_se"], np.sqrt(thin["p_best"] * (1 - thin["p_best"]) / drawn))
    assert (thin["p_best_se"] > 0).all()
