"""Chance to be best and expected loss within each segment, from joint posterior draws.

Draws are (draws, cells) with each segment's cells contiguous (`segment_start`); a row-wise
maximum within each segment (np.maximum.reduceat) replaces any per-arm loop.
"""

from __future__ import annotations

import numpy as np


def chance_to_be_best(draws: np.ndarray, segment_start: np.ndarray, segment_index: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p_best, expected_loss), each (cells,), among the `eligible` cells of each segment.

    p_best: share of draws in which the cell is its segment's best (ties split evenly).
    expected_loss: mean of (segment best − cell) over draws, in the draws' units.
    Ineligible cells get p_best 0 and expected_loss nan.
    """
    masked = np.where(eligible[None, :], draws, -np.inf)
    best = np.maximum.reduceat(masked, segment_start, axis=1)[:, segment_index]  # (draws, cells)
    is_best = (masked == best) & eligible[None, :]
    ties = np.add.reduceat(is_best, segment_start, axis=1)[:, segment_index]
    p_best = (is_best / np.maximum(ties, 1)).mean(0)
    with np.errstate(invalid="ignore"):
        loss = np.where(eligible, (np.where(np.isfinite(best), best, 0.0) - np.where(eligible[None, :], draws, 0.0)).mean(0), np.nan)
    return p_best, loss
