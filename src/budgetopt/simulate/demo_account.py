"""The bundled demo account's truth, and the four weeks of log drawn from it.

`python -m budgetopt.simulate.demo_account` regenerates `budgetopt/data/demo/demo_log.csv` byte for
byte (a test checks it), so the demo data is reproducible from the truth written here. It lives
with the simulator because it is drawn by the simulator's `World`; `budgetopt demo` only reads
the bundled files (`budgetopt.data.demo.demo_path`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt.data.demo import demo_path
from budgetopt.simulate.world import World

DEMO_SEED = 20261125
DEMO_DAYS = 28
DEMO_START = "2026-10-28"

# (campaign, segment, saturation spend €/day, usual daily budget €/day, [(creative, cvr, cost per visit €, basket €, launch day)])
_ACCOUNT = [
    ("brand-search", "exact-brand", 600.0, 450.0, [("rsa-a", 0.074, 0.38, 74.0, 0), ("rsa-b", 0.066, 0.36, 74.0, 0)]),
    ("brand-search", "brand-generic", 450.0, 350.0, [("rsa-a", 0.048, 0.42, 70.0, 0), ("rsa-b", 0.052, 0.44, 70.0, 0)]),
    ("prospecting-social", "women-25-34", 900.0, 700.0, [
        ("video-a", 0.031, 0.42, 58.0, 0), ("carousel-b", 0.027, 0.40, 58.0, 0),
        ("static-c", 0.014, 0.38, 58.0, 0), ("ugc-d", 0.034, 0.45, 58.0, 15)]),
    ("prospecting-social", "men-25-34", 700.0, 550.0, [
        ("video-a", 0.024, 0.48, 63.0, 0), ("carousel-b", 0.025, 0.47, 63.0, 0), ("static-c", 0.021, 0.44, 63.0, 0)]),
    ("prospecting-social", "lookalike-1pct", 1400.0, 800.0, [
        ("video-a", 0.029, 0.52, 61.0, 0), ("carousel-b", 0.022, 0.50, 61.0, 0), ("ugc-d", 0.030, 0.55, 61.0, 15)]),
    ("prospecting-social", "interest-outdoor", 500.0, 400.0, [
        ("video-a", 0.012, 0.68, 55.0, 0), ("carousel-b", 0.013, 0.70, 55.0, 0)]),
    ("retargeting-display", "cart-abandoners", 300.0, 250.0, [
        ("banner-a", 0.062, 0.85, 68.0, 0), ("banner-b", 0.055, 0.80, 68.0, 0), ("dynamic-c", 0.071, 0.90, 68.0, 0)]),
    ("retargeting-display", "site-visitors-30d", 600.0, 400.0, [
        ("banner-a", 0.030, 0.62, 66.0, 0), ("dynamic-c", 0.036, 0.66, 66.0, 0)]),
]
# A user-paused creative: the traffic manager switched it off from this day on.
_PAUSED = ("retargeting-display", "cart-abandoners", "banner-b", 21)


def demo_world() -> tuple[World, np.ndarray, np.ndarray]:
    """The demo truth: the world, each segment's usual budget (segments,), each cell's launch day (cells,)."""
    rows = [(c, s, sat, usual, cr) for c, s, sat, usual, creatives in _ACCOUNT for cr in creatives]
    segment_of = {(c, s): i for i, (c, s, *_rest) in enumerate(_ACCOUNT)}
    world = World(
        campaign=tuple(r[0] for r in rows),
        segment=tuple(r[1] for r in rows),
        creative=tuple(r[4][0] for r in rows),
        segment_index=np.array([segment_of[(r[0], r[1])] for r in rows]),
        saturation_spend=np.array([a[2] for a in _ACCOUNT]),
        conversion_rate=np.array([r[4][1] for r in rows]),
        cost_per_visit=np.array([r[4][2] for r in rows]),
        basket=np.array([r[4][3] for r in rows]),
        basket_cv=0.6,
    )
    usual = np.array([a[3] for a in _ACCOUNT])
    launch = np.array([r[4][4] for r in rows])
    return world, usual, launch


def generate_demo_log(seed: int = DEMO_SEED, days: int = DEMO_DAYS) -> pd.DataFrame:
    """Four weeks of a hand-run account: budgets wander ±20 % around their usual level, creatives share traffic unevenly."""
    rng = np.random.default_rng(seed)
    world, usual, launch = demo_world()
    n_segments = len(usual)
    records = []
    dates = pd.date_range(DEMO_START, periods=days, freq="D")
    paused = np.array([(c, s, cr) == _PAUSED[:3] for c, s, cr in zip(world.campaign, world.segment, world.creative)])
    for day, date in enumerate(dates):
        # the traffic manager's hand: a slow drift plus day-to-day noise, so saturation is visible in the data
        level = usual * (1 + 0.25 * np.sin(2 * np.pi * (day + np.arange(n_segments)) / 11)) * rng.lognormal(0, 0.12, n_segments)
        live = (launch <= day) & ~(paused & (day >= _PAUSED[3]))
        weights = rng.gamma(8.0, 1.0, world.n_cells) * live
        group_total = np.bincount(world.segment_index, weights=weights, minlength=n_segments)[world.segment_index]
        spend = np.round(level[world.segment_index] * np.divide(weights, group_total, out=np.zeros_like(weights), where=group_total > 0), 2)
        visits, conversions, revenue = world.draw_day(spend, rng)
        impressions = np.round(visits / rng.uniform(0.008, 0.02, world.n_cells))
        exists = launch <= day
        for i in np.flatnonzero(exists):
            records.append({
                "date": date.strftime("%Y-%m-%d"), "campaign": world.campaign[i], "segment": world.segment[i],
                "creative": world.creative[i], "spend": spend[i], "impressions": int(impressions[i]),
                "visits": int(visits[i]), "conversions": int(conversions[i]), "revenue": round(float(revenue[i]), 2),
                "status": "paused" if paused[i] and day >= _PAUSED[3] else "active",
            })
    return pd.DataFrame.from_records(records)


def write_demo_log(path: Path) -> None:
    generate_demo_log().to_csv(path, index=False, lineterminator="\n")


if __name__ == "__main__":  # pragma: no cover
    write_demo_log(demo_path("demo_log.csv"))
