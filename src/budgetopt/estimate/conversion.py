"""Conversion-rate posteriors: Beta per cell, pooled within a group by integrating over the prior.

A group's cells share a Beta(μκ, (1−μ)κ) prior. Rather than plugging in one (μ, κ) — whose
marginal-likelihood estimate of κ often runs to infinity with a handful of cells and makes the
intervals far too narrow — we put a grid on (logit μ, log κ), weigh every grid point by its
marginal likelihood (beta-binomial) times a proper hyperprior p(κ) ∝ (1+κ)^(−3/2), and keep
the posterior as a mixture: p(θ_c | data) = Σ_h w_gh Beta(μ_h κ_h + x_c, (1−μ_h) κ_h + n_c − x_c).
The weights w_gh are shared by a group's cells, so joint draws take one grid point per group and
draw, then each cell's rate given it — cells of a group are correlated, as they should be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, betaln, expit, logit

#: hyperparameter grid: points on logit μ per group, and κ values shared by all groups. Measured on
#: 5 × 1,000 simulated cells (tests/estimate): 90 % intervals cover 89.8–92.8 % with this grid; a
#: finer grid (41 × 36) changes coverage by < 0.5 point at 4× the cost
MU_POINTS = 15
KAPPA_GRID = np.geomspace(0.5, 1e6, 18)
#: half-width of the μ grid, in standard errors of the group's logit rate (narrower grids cut the
#: hyperposterior's tails: at 3.5 the 90 % intervals covered 86 %, at 6 they cover 89–91 %)
WIDTH = 6.0
#: grid points kept per group: the heaviest ones up to this share of the hyperposterior's mass …
KEEP_MASS = 1 - 1e-3
#: … and at most this many (cost of quantiles and draws grows with it)
KEEP_MAX = 64


@dataclass(frozen=True)
class BetaMixture:
    """Per-cell posterior Σ_k weight[group, k] · Beta(alpha[cell, k], beta[cell, k])."""

    alpha: np.ndarray  # (cells, K)
    beta: np.ndarray  # (cells, K)
    weight: np.ndarray  # (groups, K), rows sum to 1
    group: np.ndarray  # (cells,) int

    def mean(self) -> np.ndarray:
        """(cells,) posterior mean rate."""
        return (self.weight[self.group] * self.alpha / (self.alpha + self.beta)).sum(1)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """(cells,) P(θ_c ≤ x_c)."""
        return (self.weight[self.group] * betainc(self.alpha, self.beta, x[:, None])).sum(1)

    def quantile(self, q: float, iterations: int = 32) -> np.ndarray:
        """(cells,) the q-quantile, by bisection on the mixture's CDF (vectorised over cells)."""
        lo = np.zeros(len(self.group))
        hi = np.ones(len(self.group))
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def draws(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, cells) joint posterior draws: one grid point per group and draw, then each cell's rate."""
        component = _draw_components(self.weight, rng, n)  # (n, groups)
        k = component[:, self.group]  # (n, cells)
        cells = np.arange(len(self.group))[None, :]
        return rng.beta(self.alpha[cells, k], self.beta[cells, k])


def _draw_components(weight: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, groups) component index per draw and group, by one searchsorted over offset CDFs."""
    groups, width = weight.shape
    if width == 1:
        return np.zeros((n, groups), dtype=int)
    cdf = np.cumsum(weight, axis=1)
    cdf[:, -1] = 1.0
    offset = np.arange(groups)[:, None] * 2.0
    flat = (cdf + offset).ravel()
    u = rng.random((n, groups)) + offset[:, 0][None, :]
    index = np.searchsorted(flat, u, side="right") - np.arange(groups)[None, :] * width
    return np.minimum(index, width - 1)


def unpooled(successes: np.ndarray, trials: np.ndarray, prior_alpha: float, prior_beta: float) -> BetaMixture:
    """Each cell alone with a fixed Beta(prior_alpha, prior_beta) prior: the exact conjugate posterior."""
    n = len(successes)
    return BetaMixture(
        alpha=(prior_alpha + successes)[:, None],
        beta=(prior_beta + trials - successes)[:, None],
        weight=np.ones((n, 1)),
        group=np.arange(n),
    )


def pooled(successes: np.ndarray, trials: np.ndarray, group: np.ndarray) -> BetaMixture:
    """Cells pooled within `group` (cells,) int, hyperparameters integrated on a grid.

    `successes` and `trials` may be fractional (decayed, lag-discounted counts).
    """
    successes = np.minimum(successes, trials)
    n_groups = int(group.max()) + 1
    grid_mu = _mu_grid(successes, trials, group, n_groups)  # (groups, MU_POINTS)
    mu = np.repeat(grid_mu, len(KAPPA_GRID), axis=1)  # (groups, H)
    kappa = np.tile(KAPPA_GRID, MU_POINTS)[None, :]
    a = mu * kappa
    b = (1 - mu) * kappa
    cell_a, cell_b = a[group], b[group]  # (cells, H)
    x = successes[:, None]
    m = trials[:, None]
    loglik_cells = betaln(cell_a + x, cell_b + m - x) - betaln(cell_a, cell_b)
    loglik = _group_sum(loglik_cells, group, n_groups)
    log_prior = -1.5 * np.log1p(kappa) + np.log(kappa)  # p(κ) on a log grid (Jacobian κ); flat in logit μ
    log_post = loglik + log_prior
    order = np.argsort(-log_post, axis=1)
    ranked = np.take_along_axis(log_post, order, 1)
    mass = np.exp(ranked - ranked[:, :1])
    mass = np.cumsum(mass, 1) / mass.sum(1, keepdims=True)
    width = int(min(KEEP_MAX, (mass < KEEP_MASS).sum(1).max() + 1))
    keep = order[:, :width]  # (groups, K)
    top = ranked[:, :width]
    weight = np.exp(top - top.max(1, keepdims=True))
    weight /= weight.sum(1, keepdims=True)
    cell_keep = keep[group]
    alpha = np.take_along_axis(cell_a, cell_keep, 1) + x
    beta = np.take_along_axis(cell_b, cell_keep, 1) + m - x
    return BetaMixture(alpha=alpha, beta=beta, weight=weight, group=group)


def _group_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """(groups, H) sums of (cells, H) rows per group; fast path when groups are contiguous."""
    if np.all(np.diff(group) >= 0) and np.array_equal(np.unique(group), np.arange(n_groups)):
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        return np.add.reduceat(values, starts, axis=0)
    total = np.zeros((n_groups, values.shape[1]))
    np.add.at(total, group, values)
    return total


def _mu_grid(successes, trials, group, n_groups) -> np.ndarray:
    """(groups, MU_POINTS) grid of μ, in logit space around each group's pooled rate."""
    x = np.bincount(group, weights=successes, minlength=n_groups)
    n = np.bincount(group, weights=trials, minlength=n_groups)
    centre = logit((x + 0.5) / (n + 1.0))
    cell_logit = logit((successes + 0.5) / (trials + 1.0))
    w = trials / (trials + 50.0)  # cells with little data say little about the spread
    wsum = np.bincount(group, weights=w, minlength=n_groups)
    spread2 = np.bincount(group, weights=w * (cell_logit - centre[group]) ** 2, minlength=n_groups) / np.maximum(wsum, 1e-9)
    k = np.bincount(group, minlength=n_groups)
    half_width = np.clip(WIDTH * np.sqrt(1.0 / (x + 1.0) + spread2 / np.maximum(k, 1) + 0.01), 0.25, 3.0)
    steps = np.linspace(-1.0, 1.0, MU_POINTS)
    return expit(centre[:, None] + half_width[:, None] * steps[None, :])
