"""Saturation spend recovered from simulated segments whose budgets varied."""

from __future__ import annotations

import numpy as np
import pytest

from budgetopt.allocate.response import saturation_factor
from budgetopt.estimate.saturation import ACCOUNT_PRIOR_RATIO, fit_saturation


def simulate(saturation: np.ndarray, days: int, spread: float, rng: np.random.Generator):
    n = len(saturation)
    segment = np.repeat(np.arange(n), days)
    spend = saturation[segment] * rng.uniform(1 - spread, 1 + spread, n * days) * 0.8
    visits = rng.poisson(2.0 * spend * saturation_factor(spend, saturation[segment]))
    return segment, spend, visits.astype(float)


def test_recovers_saturation_when_spend_varies():
    rng = np.random.default_rng(4)
    truth = np.array([200.0, 500.0, 1500.0, 4000.0])
    fitted = fit_saturation(*simulate(truth, 60, 0.7, rng), 4)
    # a grid step is 17 %; half a day's noise on 60 days keeps the fit within two steps
    assert fitted == pytest.approx(truth, rel=0.4)


def test_constant_spend_falls_back_to_the_account_prior():
    segment = np.repeat([0, 1], 20)
    spend = np.full(40, 100.0)
    visits = np.full(40, 150.0)
    fitted = fit_saturation(segment, spend, visits, 2)
    assert fitted == pytest.approx(np.full(2, ACCOUNT_PRIOR_RATIO * 100.0), rel=0.1)
