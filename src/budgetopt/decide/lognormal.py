"""Chance to be best and expected loss for independent log-normal posteriors, by quadrature (no sampling).

A cell whose every factor of value per euro is well measured has a log-normal value (its log is
Normal(m, s²), see Estimates.value_per_euro_draws). Within a segment:

    P(k best) = ∫ φ_k(x) Π_{j≠k} Φ_j(x) dx,   E[max value] = Σ_k ∫ e^x φ_k(x) Π_{j≠k} Φ_j(x) dx,

x the log value, φ_k, Φ_k the density and distribution of cell k's log. The integrals of a segment
share one grid: Gauss–Legendre panels (PANEL_NODES nodes each) between the points m_j + c s_j of
every cell j, c in ±INNER_SD, ±TRANSITION_SD, ±WINDOW_SD, so each cell's bulk and tails have panels
of their own and a sibling far better measured than another (a step in its Φ_j) is resolved; the
grid starts at the highest of the windows' starts, below which every integrand is nil.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

#: each cell's window of integration, in its own standard deviations (mass outside: 1e-15)
WINDOW_SD = 8.0
#: a neighbour's step Φ_j is resolved on panels ending at m_j ± this many s_j
TRANSITION_SD = 5.0
#: … and on panels ending at m_j ± this many s_j, so each Gaussian's bulk is integrated in pieces
INNER_SD = 2.0
#: Gauss–Legendre nodes per panel (against the closed forms for two cells: p_best and E[max] within 1e-8)
PANEL_NODES = 10
#: segments with more eligible creatives than this are left to sampling (the work grows as their cube)
MAX_CREATIVES = 32
#: numbers per block of the (segments, points, cells) work arrays (8 MB of float64 each)
_BLOCK = 1_000_000


def lognormal_chance_to_be_best(
    log_mean: np.ndarray, log_sd: np.ndarray, segment_start: np.ndarray, segment_index: np.ndarray, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(p_best, expected_loss), each (cells,), among the `eligible` cells of each segment, for values
    exp(Normal(log_mean, log_sd²)) (cells,); expected_loss = E[segment best] − E[cell], in the value's
    units. Ineligible cells get p_best 0 and expected_loss nan. Segments must have at most MAX_CREATIVES
    eligible cells."""
    n_cells, n_segments = len(log_mean), len(segment_start)
    p_best = np.zeros(n_cells)
    expected_max = np.full(n_segments, np.nan)
    cells = np.flatnonzero(eligible)
    seg = segment_index[cells]
    count = np.bincount(seg, minlength=n_segments)
    if count.max(initial=0) > MAX_CREATIVES:
        raise ValueError(f"a segment has more than {MAX_CREATIVES} eligible creatives: sample it instead")
    first = np.searchsorted(seg, np.arange(n_segments))  # eligible cells are sorted by segment
    for size in np.unique(count[count > 0]):
        segments = np.flatnonzero(count == size)
        index = cells[first[segments][:, None] + np.arange(size)[None, :]]  # (segments, size)
        rows = max(1, _BLOCK // int(size * (6 * size - 1) * PANEL_NODES))
        for start in range(0, len(segments), rows):
            block = index[start : start + rows]
            p, e = _segment_quadrature(log_mean[block], log_sd[block])
            p_best[block] = p
            expected_max[segments[start : start + rows]] = e
    mean = np.exp(np.where(eligible, log_mean + 0.5 * log_sd**2, 0.0))  # others' moments may be huge: unused
    loss = np.where(eligible, expected_max[segment_index] - mean, np.nan)
    return np.where(eligible, p_best, 0.0), loss


def _segment_quadrature(m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p_best (G, n), E[max value] (G,)) for G segments of n cells with log means m and sds s (G, n)."""
    g, n = m.shape
    if n == 1:
        return np.ones((g, 1)), np.exp(m[:, 0] + 0.5 * s[:, 0] ** 2)
    cuts = np.concatenate([m + c * s for c in _CUTS], axis=1)  # (G, panels + 1)
    # below the highest window's start every integrand is nil (that cell's Φ, or its own density, < 1e-15):
    # the n − 1 lowest window starts lie there and are dropped, and the panels start at that one
    start = (m - WINDOW_SD * s).max(1, keepdims=True)
    edges = np.maximum(np.sort(cuts, axis=1)[:, n - 1 :], start)
    nodes, weights = np.polynomial.legendre.leggauss(PANEL_NODES)
    left, width = edges[:, :-1, None], np.diff(edges, axis=1)[:, :, None]  # (G, panels, 1)
    x = (left + width * (nodes + 1) / 2).reshape(g, -1)  # (G, points): one grid shared by the segment's cells
    w = (width / 2 * weights).reshape(g, -1)
    z = (x[:, :, None] - m[:, None, :]) / s[:, None, :]  # (G, points, n)
    pdf = np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * s[:, None, :])
    cdf = ndtr(z)
    # Π_{j≠k} Φ_j(x) without dividing: the product of the cells before k times that of the cells after it
    density = pdf * w[:, :, None]  # (G, points, k)
    before, after = np.ones_like(w), np.ones_like(w)
    for k in range(n):
        density[:, :, k] *= before
        density[:, :, n - 1 - k] *= after
        before = before * cdf[:, :, k]
        after = after * cdf[:, :, n - 1 - k]
    p_best = density.sum(1)
    p_best /= p_best.sum(1, keepdims=True)  # remove quadrature round-off
    return p_best, (density.sum(2) * np.exp(x)).sum(1)


#: where each cell's window and panels end, in its own standard deviations from its log mean
_CUTS = (-WINDOW_SD, -TRANSITION_SD, -INNER_SD, INNER_SD, TRANSITION_SD, WINDOW_SD)
