"""Issue 5's bar, measured on A/B/n tests with known truth through the real pipeline (fixed seed).

The full study (2,000 tests × 40 days) is benchmarks/study_decisions.py: there the best creative was
disabled in 0.60 % of tests and 28 of 28 declared winners were right. A suite-sized run sees too few
rare events to measure a 1 % or 5 % rate, so here each bar is a one-sided binomial test: the run
fails when its count of errors would be improbable (p < 1 %) were the true rate at the bar.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from tests.decide.simulated_ab import run_ab_tests

#: issue 5: a truly best creative is disabled in under 1 % of tests
BEST_DISABLED = 0.01
#: issue 5: winners are right in at least 95 % of declared cases
WINNERS_RIGHT = 0.95
#: a count of errors this improbable under the bar fails the test
SIGNIFICANCE = 0.01


def consistent_with(errors: int, trials: int, rate: float) -> bool:
    """True unless `errors` in `trials` would be improbable (p < SIGNIFICANCE) at error rate `rate`."""
    return stats.binom.sf(errors - 1, trials, rate) >= SIGNIFICANCE


def test_the_engine_protects_the_best_and_declares_right_winners():
    result = run_ab_tests(tests=400, days=30, budget=1500.0, seed=7)
    assert consistent_with(int(result.best_disabled.sum()), len(result.best_disabled), BEST_DISABLED)
    declared = result.winner >= 0
    assert consistent_with(int((result.winner[declared] != 0).sum()), int(declared.sum()), 1 - WINNERS_RIGHT)
    # when the 30 %-worse creative is disabled, it is never before the minimum evidence (300 visits)
    disabled_after = result.worst_disabled_after[np.isfinite(result.worst_disabled_after)]
    assert np.all(disabled_after >= 300)
