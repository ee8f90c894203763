"""A segment's margin curve: the budget where the next euro buys a given value inverts its marginal."""

from __future__ import annotations

import numpy as np
import pytest

from budgetopt.allocate.curves import SegmentCurves


def test_spend_at_inverts_the_marginal():
    curves = SegmentCurves(np.array([3.0, 0.8, 5.0, 0.9]), np.array([200.0, 500.0, np.inf, np.inf]))
    spend = curves.spend_at(1.5)
    assert spend[0] == pytest.approx(200.0 * np.log(2.0))
    assert curves.marginal(spend)[0] + 1.0 == pytest.approx(1.5)
    assert spend[1] == 0.0  # even the first euro buys less
    assert spend[2] == np.inf and spend[3] == 0.0  # linear: all or nothing
