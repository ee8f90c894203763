"""How the decision engine performs on thousands of A/B/n tests with known truth (issue 5).

Each test: one segment, three creatives with true margin per euro 1.0, 0.9 and 0.7, a daily
budget, run day by day through log → estimate → decide with the default [decide] rules.
Prints: share of tests whose best creative was disabled, visits the 30 %-worse creative had
when disabled (median, 90th percentile) and share disabled by the end, winners declared and
the share of them that were right.

    python benchmarks/study_decisions.py [tests] [days] [budget] [even|reference]

With a fourth argument `even`, traffic is split evenly among the creatives still running (a classic
A/B test) instead of following the engine's shares: that measures how many visits the verdicts need.
With `reference`, each day's verdicts are also computed from 20,000 posterior draws for every segment
(no quadrature, no early stop) and the share of creative-days whose verdicts agree is printed (issue
18: at least 99.5 %), overall and where the engine sampled (the rest it computed by quadrature).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "decide"))
from simulated_ab import run_ab_tests  # noqa: E402

#: the reference's posterior draws per segment (issue 18)
REFERENCE_DRAWS = 20_000


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    budget = float(sys.argv[3]) if len(sys.argv) > 3 else 1500.0
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    adaptive = mode != "even"
    reference = REFERENCE_DRAWS if mode == "reference" else None
    started = time.perf_counter()
    result = run_ab_tests(tests, days, budget, seed=2026, adaptive=adaptive, reference_draws=reference)
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
    if result.agreement is not None:
        agree, sampled = result.agreement, result.sampled
        print(f"verdicts equal to the {REFERENCE_DRAWS:,}-draw reference on {agree.mean():.2%} of {agree.size:,} creative-days; "
              f"{agree[sampled].mean():.2%} of the {sampled.sum():,} the engine sampled, "
              f"{agree[~sampled].mean():.2%} of the {(~sampled).sum():,} it computed by quadrature")
        decisive = result.decisive
        fixed = result.baseline_agreement
        print(f"where either says disable (newly) or winner: {agree[decisive].mean():.2%} of {decisive.sum():,} creative-days agree")
        print(f"for comparison, 2,000 draws for every segment (the engine before): {fixed.mean():.2%} of creative-days agree, "
              f"{fixed[decisive].mean():.2%} of those {decisive.sum():,}")


if __name__ == "__main__":
    main()
