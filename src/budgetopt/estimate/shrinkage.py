"""Adaptive shrinkage: estimates of many effects, each with its standard error, shrunk towards zero by a prior
learned from all of them (Stephens 2017, "False discovery rates: a new deal", Biostatistics 18:275).

The prior is a mixture g = π_0 δ_0 + Σ_k π_k N(0, σ_k²) over a grid of scales σ_k, its weights fitted to the
effects by maximum marginal likelihood (a convex problem, solved by Newton's method) with a Dirichlet
penalty that favours the null (δ_0). Each effect's posterior mean is then b Σ_k w_k σ_k² / (σ_k² + se²),
w_k its posterior weight of component k. Unlike one normal prior whose variance is the effects' mean
excess of b² over se² (a method-of-moments spread, diluted by every effect that is zero), the mixture
keeps a few large effects among many zeros nearly whole while the zeros are shrunk to about nothing;
and effects that are all noise fit π_0 = 1, so every estimate stays at exactly 0.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

#: Dirichlet weight on the null component (ash's "nullbiased" default): the null is believed unless the effects refute it
NULL_PENALTY = 10.0
#: ratio of neighbouring scales of the prior's grid
GRID_RATIO = np.sqrt(2.0)
#: the weights' fit stops once a step raises its objective (a log-likelihood, nats) by less than this
TOLERANCE = 1e-6
#: most Newton steps of the weights' fit (4-10 are needed)
MAX_STEPS = 50
#: every weight of the fit stays at least this: no effect is left without a component to explain it (its
#: likelihood, and the Newton model's curvature, would be 0 and infinite)
FLOOR = 1e-7


def adaptive_shrinkage(effect: np.ndarray, se: np.ndarray, fitted: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """(posterior means (n,), the prior's standard deviation) of `effect` (n,) with standard errors `se` (n,;
    inf: nothing known, the posterior mean is 0). fitted: (n,) bool, the effects the prior is learned from
    (None: all with a finite se); every effect is shrunk by it."""
    known = np.isfinite(se) & (se > 0) & np.isfinite(effect)
    fitted = known if fitted is None else fitted & known
    if not fitted.any():
        return np.zeros(len(effect)), 0.0
    grid = scale_grid(effect[fitted], se[fitted])
    weights = mixture_weights(relative_likelihood(effect[fitted], se[fitted], grid))
    b, s = np.where(known, effect, 0.0), np.where(known, se, 1.0)
    posterior = relative_likelihood(b, s, grid) * weights
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
    """(k,) the mixture's weights π maximising Σ_i log Σ_k π_k L_ik + (NULL_PENALTY − 1) log π_0 on the simplex,
    from the (n, k) likelihood of each effect under each component (each row on a scale of its own: they
    cancel); component 0 is the null.

    Newton's method with non-negativity (as mixsqp: Kim, Carbonetto, Stephens & Anitescu 2020): on x ≥ 0,
    G(x) = Σ_i log (Lx)_i + (NULL_PENALTY − 1) log x_0 − (n + NULL_PENALTY − 1) Σ_k x_k has its maximum at
    the simplex's (Σ x = 1 there), so no equality constraint is needed (every x_k ≥ FLOOR); each step
    solves the quadratic model's problem over y ≥ 0 as a non-negative least-squares one (scipy's nnls, on a
    square root of the model's matrix) and a backtracking line search keeps G increasing. 4-10 steps reach
    the optimum (to TOLERANCE), where EM needs thousands (a weight going to 0 is approached geometrically)."""
    n, k = likelihood.shape
    penalty = np.zeros(k)
    penalty[0] = NULL_PENALTY - 1.0
    total_mass = n + penalty.sum()

    def objective(x: np.ndarray) -> float:
        return float(np.log(likelihood @ x).sum() + penalty[0] * np.log(x[0]) - total_mass * x.sum())

    x = np.full(k, 0.5 / max(k - 1, 1))  # half on the null, as ash starts: 4-10 steps instead of 7-22 from even weights
    x[0] = 0.5
    current = objective(x)
    for _ in range(MAX_STEPS):
        density = likelihood @ x  # ≥ FLOOR: every row's largest relative likelihood is 1, every x_k ≥ FLOOR
        prior_slope = penalty / x
        gradient = likelihood.T @ (1.0 / density) + prior_slope - total_mass
        scaled = likelihood / density[:, None]
        hessian = scaled.T @ scaled + np.diag(prior_slope / x)
        # the model's maximum over y = x + d ≥ 0: min ½ yᵀHy − qᵀy, q = gradient + Hx, is ½ |R y − c|² with
        # H = RᵀR, Rᵀc = q; R from H's eigenvalues, floored (neighbouring scales are nearly collinear)
        curvature, vector = np.linalg.eigh(hessian)
        curvature = np.maximum(curvature, 1e-12 * curvature[-1])
        q = (gradient + hessian @ (x - FLOOR)) @ vector  # y = FLOOR + z, z ≥ 0
        target, _ = nnls(np.sqrt(curvature)[:, None] * vector.T, q / np.sqrt(curvature))
        target += FLOOR
        direction = target - x
        rise = float(gradient @ direction)
        step = 1.0
        while True:
            candidate = x + step * direction
            value = objective(candidate)  # every x_k stays ≥ FLOOR: a step mixes x with a target ≥ FLOOR
            if value >= current + 1e-4 * step * rise or step < 1e-8:
                break
            step /= 2.0
        if not value >= current:  # no ascent left (or a NaN): stop where it is
            break
        x, done = candidate, value - current <= TOLERANCE
        current = value
        if done:
            break
    x = np.where(x > 2.0 * FLOOR, x, 0.0)  # weights at the floor are the unconstrained optimum's zeros
    return x / x.sum()


def relative_likelihood(effect: np.ndarray, se: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(n, k) density of each effect under each component, N(effect; 0, se² + σ_k²), divided by its row's
    largest (computed in logs: an effect many se from 0 underflows under the null, never everywhere)."""
    variance = se[:, None] ** 2 + grid[None, :] ** 2
    log = -0.5 * (effect[:, None] ** 2 / variance + np.log(variance))
    log -= log.max(1, keepdims=True)
    return np.exp(log)
