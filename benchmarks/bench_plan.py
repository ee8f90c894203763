"""End-to-end time of `budgetopt plan` on a 4-week log of 500 cells in 125 segments (issue 2: < 2 s).

Prints the in-process time of make_plan (load + estimate + decide + allocate) and the wall time
of the CLI command as a user runs it (Python start-up and imports included).
    python benchmarks/bench_plan.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt import load_policy, make_plan
from budgetopt.api import read_performance_log
from budgetopt.simulate.world import World

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import Calibration  # noqa: E402


def synthetic_log(segments: int = 125, creatives: int = 4, days: int = 28, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cells = segments * creatives
    world = World(
        campaign=tuple(f"campaign-{i // creatives // 25}" for i in range(cells)),
        segment=tuple(f"segment-{i // creatives:03d}" for i in range(cells)),
        creative=tuple(f"creative-{i % creatives}" for i in range(cells)),
        segment_index=np.repeat(np.arange(segments), creatives),
        saturation_spend=rng.uniform(100, 800, segments),
        conversion_rate=rng.uniform(0.01, 0.05, cells),
        cost_per_visit=rng.uniform(0.3, 0.9, cells),
        basket=np.repeat(rng.uniform(40, 90, segments), creatives),
    )
    frames = []
    for day, date in enumerate(pd.date_range("2026-01-01", periods=days)):
        spend = np.round(rng.uniform(10, 120, cells), 2)
        visits, conversions, revenue = world.draw_day(spend, rng)
        frames.append(pd.DataFrame({
            "date": date.strftime("%Y-%m-%d"), "campaign": world.campaign, "segment": world.segment, "creative": world.creative,
            "spend": spend, "visits": visits.astype(int), "conversions": conversions.astype(int), "revenue": revenue.round(2),
        }))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    calibration = Calibration.measure()
    with tempfile.TemporaryDirectory() as tmp:
        log_path, policy_path = Path(tmp) / "log.csv", Path(tmp) / "policy.toml"
        synthetic_log().to_csv(log_path, index=False)
        policy_path.write_text('[budget]\ndaily_total = 30000.0\n[segments]\nmax_spend = 600.0\n[[bounds]]\ncampaign = "campaign-0"\nmin = 3000.0\n')
        policy = load_policy(policy_path)
        timings = in_process(log_path, policy)
        total_only = in_process(log_path, policy.model_copy(update={"bounds": []}))  # only the total couples: allocate's greedy
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "budgetopt.cli", "plan", str(log_path), "--policy", str(policy_path), "--out", str(Path(tmp) / "plan.csv")],
                       check=True, capture_output=True)
        wall = time.perf_counter() - started
    median = float(np.median(timings))
    print(f"plan, 500 cells × 28 days (14,000 rows), 125 segments: in-process median {median:.3f} s ({calibration.ratio(median)}; "
          f"min {min(timings):.3f}), CLI wall time {wall:.3f} s ({calibration.ratio(wall)}; target < 2 s)")
    median = float(np.median(total_only))
    print(f"  without the [[bounds]] row (only the total couples the segments: the exact greedy, no HiGHS): in-process median "
          f"{median:.3f} s ({calibration.ratio(median)})")
    calibration.report()


def in_process(log_path: Path, policy) -> list[float]:
    """Seconds of make_plan (read, estimate, decide, allocate) in 5 runs."""
    timings = []
    for repeat in range(5):
        started = time.perf_counter()
        make_plan(read_performance_log(log_path, policy), policy, rng=np.random.default_rng(repeat))
        timings.append(time.perf_counter() - started)
    return timings


if __name__ == "__main__":
    main()
