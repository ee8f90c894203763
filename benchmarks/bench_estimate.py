"""Estimation speed (issue 3): fit 10,000 cells × 60 days (600,000 log rows, already loaded) and draw
1,000 posterior samples of margin per euro per cell; beside a naive per-cell Python loop.

    python benchmarks/bench_estimate.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from budgetopt.config import EstimateSection
from budgetopt.estimate import build_history, fit, fit_saturation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import Calibration  # noqa: E402


def synthetic_log(cells: int = 10_000, per_segment: int = 10, days: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cell = np.tile(np.arange(cells), days)
    day = np.repeat(np.arange(days), cells)
    spend = rng.uniform(5, 60, cells * days)
    visits = rng.poisson(spend / 0.5)
    rate = rng.uniform(0.01, 0.05, cells)[cell]
    conversions = rng.binomial(visits, rate)
    return pd.DataFrame({
        "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(day, unit="D"),
        "campaign": np.char.add("campaign-", (cell // per_segment // 100).astype(str)),
        "segment": np.char.add("segment-", (cell // per_segment).astype(str)),
        "creative": np.char.add("creative-", (cell % per_segment).astype(str)),
        "spend": spend, "visits": visits.astype(float), "conversions": conversions.astype(float),
        "revenue": conversions * rng.gamma(4.0, 15.0, cells * days), "status": "active",
    })


def naive(history, draws: int, rng) -> None:
    """One cell at a time: the loop this project's vectorised code replaces."""
    t = history.totals
    for i in range(history.n_cells):
        rate = stats.beta(1 + t.conversions[i], 1 + t.exposure[i] - t.conversions[i])
        rate.mean(), rate.ppf(0.05), rate.ppf(0.95)
        lam = rng.gamma(2 + t.visits[i], 1 / (2 / 2.0 + t.effective_spend[i]), draws)
        lam * rate.rvs(draws, random_state=rng) * 60.0


def main() -> None:
    calibration = Calibration.measure()
    log = synthetic_log()
    settings = EstimateSection()
    started = time.perf_counter()
    first = build_history(log, half_life_days=settings.half_life_days)
    history_s = time.perf_counter() - started
    saturation = fit_saturation(first.days, first.n_segments)
    history = first.with_saturation(saturation)
    prep = time.perf_counter() - started
    started = time.perf_counter()
    estimates = fit(history, settings, saturation)
    mean = estimates.conversion_rate.mean()
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    draws = estimates.value_per_euro_draws(np.random.default_rng(1), 1000)
    draw_s = time.perf_counter() - started
    started = time.perf_counter()
    p05, p95 = estimates.conversion_rate.quantile(0.05), estimates.conversion_rate.quantile(0.95)
    interval_s = time.perf_counter() - started
    assert draws.shape == (1000, 10_000) and mean.shape == p05.shape == p95.shape
    started = time.perf_counter()
    naive(history, 1000, np.random.default_rng(1))
    naive_s = time.perf_counter() - started
    cal = calibration.ratio
    print(f"600,000 rows → 10,000 cells: history {history_s:.3f} s ({cal(history_s)}; with the saturation fit and the "
          f"saturated history: {prep:.3f} s, {cal(prep)})")
    print(f"fit (pooled posteriors of conversion rate, visits per euro and basket): {fit_s:.3f} s ({cal(fit_s)}); "
          f"1,000 draws of margin per euro per cell: {draw_s:.3f} s ({cal(draw_s)})")
    print(f"fit + draws: {fit_s + draw_s:.3f} s ({cal(fit_s + draw_s)}; target < 0.5 s); 90 % intervals of every conversion "
          f"rate, when asked for: {interval_s:.3f} s ({cal(interval_s)}); naive per-cell loop (unpooled!): {naive_s:.3f} s ({cal(naive_s)})")
    calibration.report()


if __name__ == "__main__":
    main()
