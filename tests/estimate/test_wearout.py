"""Wear-out slopes recovered from simulated creatives that tire, and none invented where nothing tires."""

import numpy as np

from budgetopt.estimate.wearout import fit_wear_out


def _tiring_log(half_life_visits: np.ndarray, days: int = 40, visits: float = 2000.0, rate: float = 0.04, seed: int = 5):
    """Rows of cells shown `visits` a day whose rate halves every `half_life_visits` (inf: never)."""
    rng = np.random.default_rng(seed)
    cells = len(half_life_visits)
    day, cell = np.divmod(np.arange(days * cells), cells)
    before = day * visits  # every cell shown the same each day
    true_rate = rate * 0.5 ** (before / half_life_visits[cell])
    conversions = rng.binomial(int(visits), true_rate).astype(float)
    return cell, day, np.full(days * cells, visits), conversions


def test_tiring_creatives_get_their_slope_and_steady_ones_stay_flat():
    half_lives = np.array([40000.0, 80000.0, np.inf, np.inf, np.inf, np.inf])
    cell, day, exposure, conversions = _tiring_log(half_lives)
    w = fit_wear_out(cell, day, exposure, conversions, len(half_lives))
    so_far = 40 * 2000.0
    truth = -np.log(2) * so_far / half_lives  # log change of the rate from the first day to tomorrow
    assert w.spread > 0
    assert np.all(np.abs(w.raw_slope[:2] - truth[:2]) < 3 * w.raw_se[:2])
    assert w.slope[0] < -0.8 and w.slope[1] < -0.4
    assert np.all(np.abs(w.slope[2:]) < 0.2)
    # tomorrow's rate of the tiring creative, from its whole history in tomorrow's units, is close to the truth
    first = cell == 0
    forecast = conversions[first].sum() / (exposure[first] * w.factor[first]).sum()
    assert abs(forecast / (0.04 * 0.5 ** (so_far / 40000.0)) - 1) < 0.1


def test_nothing_tires_nothing_moves():
    half_lives = np.full(8, np.inf)
    cell, day, exposure, conversions = _tiring_log(half_lives, seed=11)
    w = fit_wear_out(cell, day, exposure, conversions, len(half_lives))
    assert w.spread == 0.0
    assert np.all(w.slope == 0.0) and np.all(w.factor == 1.0)


def test_a_creative_without_conversions_stays_finite():
    cell = np.array([0, 0, 0, 1, 1, 1])
    day = np.array([0, 1, 2, 0, 1, 2])
    w = fit_wear_out(cell, day, np.full(6, 100.0), np.array([0.0, 0, 0, 3, 2, 4]), 2)
    assert np.isfinite(w.raw_slope).all() and np.isfinite(w.factor).all()
