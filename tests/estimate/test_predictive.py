"""The Beta-binomial predictive of a conversion-rate posterior against scipy.stats.betabinom."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from budgetopt.estimate import predictive
from budgetopt.estimate.conversion import pooled, unpooled

#: the predictive is a closed form summed exactly: only floating-point error separates it from scipy's
EXACT = 1e-9


def _scipy_mixture(rate, cell: int, visits: float, conversions: np.ndarray, what: str) -> np.ndarray:
    """Σ_k w_k betabinom.<what>(conversions) of one cell's components, by scipy."""
    pairs = np.flatnonzero(rate.pair_cell == cell)
    return sum(rate.pair_weight[p] * getattr(stats.betabinom(visits, rate.alpha[p], rate.beta[p]), what)(conversions) for p in pairs)


def test_one_component_is_scipys_betabinom():
    rate = unpooled(np.array([3.0, 40.0, 0.0]), np.array([100.0, 1000.0, 50.0]), 1.0, 1.0)
    cells, visits, conversions = np.array([0, 1, 2, 1]), np.array([80.0, 900.0, 30.0, 900.0]), np.array([2.0, 41.0, 0.0, 0.0])
    exact = stats.betabinom(visits, rate.alpha[cells], rate.beta[cells])
    assert predictive.log_pmf(rate, cells, visits, conversions) == pytest.approx(exact.logpmf(conversions), abs=EXACT)
    assert predictive.cdf(rate, cells, visits, conversions) == pytest.approx(exact.cdf(conversions), abs=EXACT)


def test_mixture_weights_its_components():
    x = np.array([5.0, 12.0, 1.0, 30.0, 28.0])
    n = np.array([400.0, 500.0, 100.0, 1000.0, 900.0])
    rate = pooled(x, n, np.array([0, 0, 0, 1, 1]))
    assert rate.weight.shape[1] > 1  # a real mixture
    counts = np.arange(0, 25.0)
    for cell, visits in ((0, 300.0), (2, 50.0), (4, 600.0)):
        cells = np.full(len(counts), cell)
        got_pmf = np.exp(predictive.log_pmf(rate, cells, np.full(len(counts), visits), counts))
        got_cdf = predictive.cdf(rate, cells, np.full(len(counts), visits), counts)
        assert got_pmf == pytest.approx(_scipy_mixture(rate, cell, visits, counts, "pmf"), abs=EXACT)
        assert got_cdf == pytest.approx(_scipy_mixture(rate, cell, visits, counts, "cdf"), abs=EXACT)


@pytest.mark.parametrize(
    ("visits", "conversions", "log_density", "probability"),
    [
        (0.0, 0.0, 0.0, 1.0),  # no visits: no conversion, surely
        (10.0, -1.0, -np.inf, 0.0),  # below the support
        (10.0, 10.0, None, 1.0),  # the top of the support
        (10.0, 11.0, -np.inf, 1.0),  # more conversions than visits: impossible, every count is below it
    ],
)
def test_edges_of_the_support(visits, conversions, log_density, probability):
    rate = unpooled(np.array([2.0]), np.array([50.0]), 1.0, 1.0)
    cells, n, x = np.array([0]), np.array([visits]), np.array([conversions])
    if log_density is not None:
        assert predictive.log_pmf(rate, cells, n, x)[0] == log_density
    assert predictive.cdf(rate, cells, n, x)[0] == pytest.approx(probability, abs=EXACT)


def test_cdf_in_blocks_equals_one_table(monkeypatch):
    rate = pooled(np.array([5.0, 12.0, 30.0]), np.array([400.0, 500.0, 1000.0]), np.array([0, 0, 1]))
    cells, visits, conversions = np.array([0, 1, 2, 2]), np.array([300.0, 500.0, 900.0, 100.0]), np.array([4.0, 15.0, 31.0, 0.0])
    whole = predictive.cdf(rate, cells, visits, conversions)
    monkeypatch.setattr(predictive, "CDF_BLOCK", 40)
    assert predictive.cdf(rate, cells, visits, conversions) == pytest.approx(whole, abs=EXACT)
