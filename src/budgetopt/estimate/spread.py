"""How far a segment's conversion rate strays from its campaign's: the sd of the Normal prior that
`conversion.pooled` puts on each group's logit rate around its parent's, learned from the account.

A fixed, wide sd believes a segment with two conversions on 300 unpaid impressions at many times its
campaign's rate; a fixed, narrow one squeezes segments that really differ. The account's well-measured
segments say how far segments stray, once there are enough of them to say it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

#: sd, in logit units, of a group's rate around its parent's (a segment's around its campaign's) when the
#: account cannot say (see parent_spread): a segment 4.5× its campaign's rate is 1 sd away; 1,000× (one
#: conversion on 87 unpaid impressions) is not believed
PARENT_SD = 1.5
#: the learned sd's bounds: no closer than 0.25 (segments' rates within 28 % of each other), no wider than 3
PARENT_SD_RANGE = (0.25, 3.0)
#: a group is well measured when its exposure would bring this many conversions at its parent's rate; the
#: sd is learned from those (chosen by exposure, not by outcome, so lucky groups are not favoured) …
MEASURED_CONVERSIONS = 5.0
#: … when they are at least this many more than their parents (the spread's degrees of freedom; with fewer, the
#: moment estimate is too noisy to act on: on the shipped scenarios' 1–6, learning it moved shares by ±1 point
#: either way, paired, where the default's and the truth's are alike)
MIN_SPREAD_DF = 20
#: the default's weight against the learned spread, in degrees of freedom: τ² is (df · τ̂² + PRIOR_SPREAD_DF ·
#: PARENT_SD²) / (df + PRIOR_SPREAD_DF), a scaled-inverse-χ² prior's pull
PRIOR_SPREAD_DF = 10.0


def parent_spread(successes: np.ndarray, trials: np.ndarray, parent: np.ndarray, parent_logit: np.ndarray) -> float:
    """The sd of groups' logit rates around their parents' (a segment's around its campaign's), learned from
    the account: DerSimonian and Laird's moment estimate over the well-measured groups (MEASURED_CONVERSIONS),
    each parent with its own mean, pulled towards PARENT_SD as PRIOR_SPREAD_DF more degrees of freedom would,
    within PARENT_SD_RANGE; PARENT_SD itself below MIN_SPREAD_DF degrees of freedom. successes, trials:
    (groups,) counts; parent, parent_logit: (groups,).

    Why: on a real Facebook export, the fixed sd of 1.5 let an ad set with two conversions on 304 unpaid
    impressions keep 15× its campaign's rate, where the account's 120 measured ad sets stray from their
    campaigns with an sd of 0.38 (a factor of 1.5)."""
    measured = trials * expit(parent_logit) >= MEASURED_CONVERSIONS
    parents = np.unique(parent[measured], return_inverse=True)[1] if measured.any() else np.zeros(0, int)
    df = int(measured.sum()) - (int(parents.max()) + 1 if len(parents) else 0)
    if df < MIN_SPREAD_DF:
        return PARENT_SD
    x, n = successes[measured], trials[measured]
    y = logit((x + 0.5) / (n + 1.0))
    w = 1.0 / (1.0 / (x + 0.5) + 1.0 / (n - x + 0.5))  # inverse sampling variance of the logit
    s1 = np.bincount(parents, weights=w)
    mean = np.bincount(parents, weights=w * y) / s1
    q = float(np.sum(w * (y - mean[parents]) ** 2))
    scale = float(np.sum(s1 - np.bincount(parents, weights=w * w) / s1))
    tau2 = max(q - df, 0.0) / scale
    tau2 = (df * tau2 + PRIOR_SPREAD_DF * PARENT_SD**2) / (df + PRIOR_SPREAD_DF)
    return float(np.clip(np.sqrt(tau2), *PARENT_SD_RANGE))
