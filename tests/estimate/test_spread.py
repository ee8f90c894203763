"""The learned spread of segments' conversion rates around their campaign's, against simulated truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from budgetopt.estimate import spread


def _campaign_logit(conversions, visits, parent):
    parent_x, parent_n = np.bincount(parent, weights=conversions), np.bincount(parent, weights=visits)
    return logit((parent_x + 0.5) / (parent_n + 1.0))[parent]


@pytest.mark.parametrize("tau", [0.3, 0.6, 1.2])
def test_parent_spread_recovers_the_segments_spread(tau, monkeypatch):
    """Simulated truth: 240 segments in 4 campaigns, logit rates Normal(campaign's, tau), well measured;
    the moment estimate alone (no pull towards the default)."""
    monkeypatch.setattr(spread, "PRIOR_SPREAD_DF", 0.0)
    rng = np.random.default_rng(11)
    parent = np.repeat(np.arange(4), 60)
    campaign_logit = np.array([-4.0, -3.5, -5.0, -4.5])
    rate = expit(campaign_logit[parent] + rng.normal(0.0, tau, len(parent)))
    visits = rng.integers(5_000, 50_000, len(parent)).astype(float)
    conversions = rng.binomial(visits.astype(int), rate).astype(float)
    assert spread.parent_spread(conversions, visits, parent, _campaign_logit(conversions, visits, parent)) == pytest.approx(tau, rel=0.2)


def test_parent_spread_leans_on_the_default_when_few_segments_are_measured():
    def learned(conversions, visits, parent):
        return spread.parent_spread(np.asarray(conversions, float), np.asarray(visits, float), np.asarray(parent), np.full(len(parent), logit(1e-3)))

    # two measured segments in two campaigns (the others too thin to count): nothing to learn from
    assert learned([100, 300, 0, 1], [1e5, 1e5, 10, 10], [0, 1, 1, 1]) == spread.PARENT_SD
    # 19 segments unlike each other in one campaign: 18 degrees of freedom, still too few to act on
    rates = np.geomspace(2e-4, 5e-3, 19)
    assert learned(rates * 1e6, np.full(19, 1e6), np.zeros(19, dtype=int)) == spread.PARENT_SD
    # 26 identical segments (25 degrees of freedom, estimate 0): weighed with the default's 10
    assert learned(np.full(26, 1e3), np.full(26, 1e6), np.zeros(26, dtype=int)) == pytest.approx(np.sqrt(10 * spread.PARENT_SD**2 / 35))
