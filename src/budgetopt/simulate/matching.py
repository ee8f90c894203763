"""Probability matching for the `thompson` baseline: joint posterior draws of each creative's conversion
rate, and each creative's share of the draws in which it is its segment's best."""

from __future__ import annotations

import numpy as np

from budgetopt.model import segment_sums
from budgetopt.simulate.world import segment_maxima


def conversion_draws(conversions: np.ndarray, visits: np.ndarray, rng: np.random.Generator, draws: int) -> np.ndarray:
    """(draws, cells) draws of each cell's Beta(1 + conversions, 1 + visits − conversions) posterior."""
    return rng.beta(1.0 + conversions, 1.0 + visits - conversions, size=(draws, len(conversions)))


def matching_shares(samples: np.ndarray, active: np.ndarray, segment_index: np.ndarray, n_segments: int) -> np.ndarray:
    """(..., cells) probability matching: each active cell's share of its segment is the share of the
    samples (..., draws, cells) in which it is its segment's highest (ties: each tied cell counts a win).

    With one draw this is Thompson sampling with a day as the decision (the segment's traffic goes to
    the sampled best); with more, the shares a bandit choosing visit by visit would give in expectation.
    Either way a share's expectation is the creative's posterior chance to be best."""
    samples = np.where(active[..., None, :], samples, -np.inf)
    top = segment_maxima(samples, segment_index, n_segments)  # (..., draws, segments)
    wins = (samples >= top[..., segment_index]) & active[..., None, :]
    shares = wins.mean(-2)
    return shares / np.maximum(segment_sums(shares, segment_index, n_segments)[..., segment_index], 1e-12)
