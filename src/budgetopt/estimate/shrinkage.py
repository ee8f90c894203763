"""Adaptive shrinkage: estimates of many effects, each with its standard error, shrunk towards zero by a prior
learned from all of them (Stephens 2017, "False discovery rates: a new deal", Biostatistics 18:275).

The prior is a mixture g = π_0 δ_0 + Σ_k π_k N(0, σ_k²) over a grid of scales σ_k, its weights fitted to the
effects by maximum marginal likelihood (EM, a convex problem) with a Dirichlet penalty that favours the
null (δ_0). Each effect's posterior mean is then b Σ_k w_k σ_k² / (σ_k² + se²), w_k its posterior weight of
component k. Unlike one normal prior whose variance is the effects' mean excess of b² over se² (a
method-of-moments spread, diluted by every effect that is zero), the mixture keeps a few large effects
among many zeros nearly whole while the zeros are shrunk to about nothing; and effects that are all noise
fit π_0 ≈ 1, so every estimate stays at about 0.
"""

from __future__ import annotations

import numpy as np

#: Dirichlet weight on the null component (ash's "nullbiased" default): the null is believed unless the effects refute it
NULL_PENALTY = 10.0
#: ratio of neighbouring scales of the prior's grid
GRID_RATIO = np.sqrt(2.0)
#: EM stops once no mixture weight moves more than this
TOLERANCE = 1e-8
#: most EM steps (typically 20-100)
MAX_STEPS = 500


def adaptive_shrinkage(effect: np.ndarray, se: np.ndarray, fitted: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """(posterior means (n,), the prior's standard deviation) of `effect` (n,) with standard errors `se` (n,;
    inf: nothing known, the posterior mean is 0). fitted: (n,) bool, the effects the prior is learned from
    (None: all with a finite se); every effect is shrunk by it."""
    known = np.isfinite(se) & (se > 0) & np.isfinite(effect)
    fitted = known if fitted is None else fitted & known
    if not fitted.any():
        return np.zeros(len(effect)), 0.0
    grid = scale_grid(effect[fitted], se[fitted])
    weights = mixture_weights(_relative_likelihood(effect[fitted], se[fitted], grid))
    b, s = np.where(known, effect, 0.0), np.where(known, se, 1.0)
    posterior = _relative_likelihood(b, s, grid) * weights
    posterior /= posterior.sum(1, keepdims=True)
    kept = (posterior * (grid**2 / (grid**2 + s[:, None] ** 2))).sum(1)
    return np.where(known, b * kept, 0.0), float(np.sqrt(weights @ grid**2))


def scale_grid(effect: np.ndarray, se: np.ndarray) -> np.ndarray:
    """(k,) 0 and scales from a tenth of the smallest se up to twice the largest effect net of its noise,
    GRID_RATIO apart: wide enough that no effect's own scale lies outside it."""
    low = float(np.min(se)) / 10.0
    high = max(2.0 * float(np.sqrt(np.max(effect**2 - se**2, initial=0.0))), 2.0 * low)
    n = int(np.ceil(np.log(high / low) / np.log(GRID_RATIO))) + 1
    return np.r_[0.0, low * GRID_RATIO ** np.arange(n)]


def mixture_weights(likelihood: np.ndarray) -> np.ndarray:
    """(k,) the mixture's weights maximising Σ_i log Σ_k π_k L_ik + (NULL_PENALTY − 1) log π_0 (EM), from the
    (n, k) likelihood of each effect under each component, each row on a scale of its own (they cancel);
    component 0 is the null."""
    k = likelihood.shape[1]
    prior = np.ones(k)
    prior[0] = NULL_PENALTY
    pi = np.full(k, 0.5 / max(k - 1, 1))
    pi[0] = 0.5
    for _ in range(MAX_STEPS):
        total = likelihood @ pi
        counts = pi * (likelihood.T @ (1.0 / np.maximum(total, 1e-300)))
        new = np.maximum(counts + prior - 1.0, 0.0)
        new /= new.sum()
        done = np.max(np.abs(new - pi)) < TOLERANCE
        pi = new
        if done:
            break
    return pi


def _relative_likelihood(effect: np.ndarray, se: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(n, k) density of each effect under each component, N(effect; 0, se² + σ_k²), divided by its row's
    largest (computed in logs: an effect many se from 0 underflows under the null, never everywhere)."""
    variance = se[:, None] ** 2 + grid[None, :] ** 2
    log = -0.5 * (effect[:, None] ** 2 / variance + np.log(variance))
    log -= log.max(1, keepdims=True)
    return np.exp(log)
