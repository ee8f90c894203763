"""How the decision engine performs on thousands of A/B/n tests with known truth (issue 5).

Each test: one segment, three creatives with true margin per euro 1.0, 0.9 and 0.7, a daily
budget, run day by day through log → estimate → decide with the default [decide] rules.
Prints: share of tests whose best creative was disabled, visits the 30 %-worse creative had
when disabled (median, 90th percentile) and share disabled by the end, winners declared and
the share of them that were right.

    python benchmarks/study_decisions.py [tests] [days] [budget] [even]

With a fourth argument `even`, traffic is split evenly among the creatives still running (a classic
A/B test) instead of following the engine's shares: that measures how many visits the verdicts need.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "decide"))
from simulated_ab import run_ab_tests  # noqa: E402


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    budget = float(sys.argv[3]) if len(sys.argv) > 3 else 1500.0
    adaptive = not (len(sys.argv) > 4 and sys.argv[4] == "even")
    started = time.perf_counter()
    result = run_ab_tests(tests, days, budget, seed=2026, adaptive=adaptive)
    seconds = time.perf_counter() - started
    worst = result.worst_disabled_after
    declared = result.winner >= 0
    split = "the engine's shares" if adaptive else "an even split"
    print(f"{tests} tests × {days} days at {budget:,.0f} €/day ({budget / 0.5:,.0f} visits/day per test), {split}, {seconds:.1f} s")
    print(f"best creative disabled in {result.best_disabled.mean():.2%} of tests")
    if np.isfinite(worst).any():
        print(f"30 %-worse creative disabled in {np.isfinite(worst).mean():.1%} of tests; when disabled it had "
              f"{np.nanmedian(worst):,.0f} visits (median), {np.nanpercentile(worst, 90):,.0f} (90th percentile)")
    else:
        print("30 %-worse creative never disabled")
    right = (result.winner[declared] == 0).mean() if declared.any() else float("nan")
    print(f"winner declared in {declared.mean():.1%} of tests; right in {right:.1%} of them")


if __name__ == "__main__":
    main()
