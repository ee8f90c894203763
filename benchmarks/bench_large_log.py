"""`budgetopt plan` on a large log (issue 19: 4.2 M rows, 42,000 cells, ~200 MB of CSV; targets: peak
memory below 2 GB, under 40 s). Prints the file's size, the command's wall time and peak memory (a
subprocess, so the numbers are what a user sees), then where the time goes, stage by stage, in-process.

    python benchmarks/bench_large_log.py [--cells 42000] [--days 100]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import Calibration  # noqa: E402


def write_log(path: Path, cells: int, days: int, seed: int = 3) -> None:
    """A plausible account: 4 creatives per segment, 50 segments per campaign, budgets wandering by day."""
    rng = np.random.default_rng(seed)
    creative = np.arange(cells)
    segment, campaign = creative // 4, creative // 200
    cvr = rng.beta(2, 80, cells)
    cost = rng.uniform(0.3, 1.2, cells)
    dates = pd.date_range("2026-01-01", periods=days, freq="D").strftime("%Y-%m-%d").to_numpy()
    with path.open("w") as handle:
        handle.write("date,campaign,segment,creative,spend,visits,conversions,revenue\n")
        for day in range(days):
            spend = np.round(rng.gamma(4.0, 5.0, cells), 2)
            visits = rng.poisson(spend / cost)
            conversions = rng.binomial(visits, cvr)
            revenue = np.round(conversions * rng.gamma(4.0, 15.0, cells), 2)
            frame = pd.DataFrame({
                "date": dates[day], "campaign": np.char.add("campaign-", campaign.astype(str)),
                "segment": np.char.add("segment-", segment.astype(str)), "creative": np.char.add("creative-", (creative % 4).astype(str)),
                "spend": spend, "visits": visits, "conversions": conversions, "revenue": revenue,
            })
            frame.to_csv(handle, header=False, index=False, lineterminator="\n")


def stages(log_path: Path, policy_path: Path, calibration: Calibration) -> None:
    from budgetopt.api import read_performance_log
    from budgetopt.config import load_policy
    from budgetopt.plan import plan_day

    policy = load_policy(policy_path)
    clock = time.perf_counter()
    log = read_performance_log(log_path, policy).log
    read = time.perf_counter() - clock
    clock = time.perf_counter()
    result = plan_day(log, policy, rng=np.random.default_rng(7))
    planned = time.perf_counter() - clock
    print(f"in-process: read and validate {read:.1f} s ({calibration.ratio(read)}), plan (estimate, decide, allocate, warnings) "
          f"{planned:.1f} s ({calibration.ratio(planned)}); "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; {len(result.plan):,} cells planned")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=42_000)
    parser.add_argument("--days", type=int, default=100)
    args = parser.parse_args()
    calibration = Calibration.measure()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log_path, policy_path = folder / "log.csv", folder / "policy.toml"
        write_log(log_path, args.cells, args.days)
        policy_path.write_text("[budget]\ndaily_total = 850000.0\n" + os.environ.get("BENCH_POLICY_EXTRA", ""))  # about what the account spends a day
        size = log_path.stat().st_size / 1e6
        clock = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "budgetopt.cli", "plan", str(log_path), "--policy",
                               str(policy_path), "--out", str(folder / "plan.csv")], capture_output=True, text=True)
        wall = time.perf_counter() - clock
        peak = next((line.split(":")[1].strip() for line in done.stderr.splitlines() if "Maximum resident" in line), "?")
        print(f"{args.cells:,} cells × {args.days} days = {args.cells * args.days:,} rows, {size:,.0f} MB of CSV")
        print(f"budgetopt plan: exit {done.returncode}, {wall:.1f} s wall ({calibration.ratio(wall)}), peak RSS {int(peak) / 1024:,.0f} MB" if peak != "?" else done.stderr[-2000:])
        stages(log_path, policy_path, calibration)
    calibration.report()


if __name__ == "__main__":
    main()
