"""Issue 16's "done when", on scenarios/monthly.toml (a 30-day period of 150,000, conversion rates ±30 % by weekday).

--variant pacing: the same engine (`budgetopt`) paced, with the scenario's period budget (what remains over the
  days left, weekday effects fitted from the log), and flat, with daily_total = period_total ÷ days and no
  period, on the same worlds (same seeds: replications are paired). Prints each one's period margin (true
  expected and realised), its spend against the budget, and the paired difference.
--variant roas: paced with [targets] min_roas (--roas, default 2.8) and without, both without max_daily_change: the
  realised period ROAS against the target in each replication, and the days whose realised ROAS fell below it.
--variant risk: paced with [budget] risk_aversion 0 and 1: the mean period margin and its worst replications
  (--scenario: another world, e.g. scenarios/launch.toml, where tomorrow's values are less certain).
    python benchmarks/bench_pacing.py [--variant pacing] [--reps 20] [--scenario scenarios/monthly.toml]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from budgetopt.config import policy_from_dict
from budgetopt.simulate.pacing import flat_policy
from budgetopt.simulate.runner import simulate
from budgetopt.simulate.scenario import load_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import Calibration  # noqa: E402

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "monthly.toml"


def with_budget(scenario, targets=None, **budget):
    raw = scenario.policy.model_dump(exclude_none=True)
    raw["budget"].update(budget)
    if targets:
        raw["targets"] = targets
    return dataclasses.replace(scenario, policy=policy_from_dict(raw))


def run(name, scenario, reps, calibration):
    started = time.perf_counter()
    result = simulate(scenario, reps=reps, policies=("budgetopt",))
    seconds = time.perf_counter() - started
    print(f"{name}: {seconds:.0f} s for {reps} replications ({calibration.ratio(seconds)})", flush=True)
    r, rate = result.runs["budgetopt"], scenario.policy.budget.margin_rate
    return {
        "expected_margin": r.expected_margin.sum(axis=(1, 2)), "realised_margin": (r.revenue * rate - r.spend).sum(axis=(1, 2)),
        "spend": r.spend.sum(axis=(1, 2)), "revenue": r.revenue.sum(axis=(1, 2)),
        "daily_roas": r.revenue.sum(2) / np.maximum(r.spend.sum(2), 1e-9),  # (reps, days)
    }


def describe(name, n, budget):
    dev = n["spend"] / budget - 1
    print(
        f"{name:>8}: period margin (true expected) {n['expected_margin'].mean():,.0f} ± {n['expected_margin'].std(ddof=1):,.0f} (sd); "
        f"realised {n['realised_margin'].mean():,.0f}; spend {n['spend'].mean():,.0f} of {budget:,.0f} "
        f"({100 * dev.mean():+.2f} %, worst {100 * np.abs(dev).max():.2f} %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("pacing", "roas", "risk"), default="pacing")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--roas", type=float, default=2.8)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    args = parser.parse_args()
    calibration = Calibration.measure()
    paced = load_scenario(args.scenario)
    b = paced.policy.budget
    budget = b.period_total if b.period_total is not None else b.daily_total * paced.days
    if args.variant == "pacing":
        a = run("paced", paced, args.reps, calibration)
        b = run("flat", dataclasses.replace(paced, policy=flat_policy(paced.policy)), args.reps, calibration)
        describe("paced", a, budget), describe("flat", b, budget)
        gain = a["expected_margin"] - b["expected_margin"]
        print(
            f"pacing earns {gain.mean():,.0f} more period margin (true expected) than a flat daily budget "
            f"(± {gain.std(ddof=1) / np.sqrt(len(gain)):,.0f} standard error, {100 * (gain / b['expected_margin']).mean():+.2f} %; "
            f"more in {int((gain > 0).sum())} of {len(gain)} replications); realised: {(a['realised_margin'] - b['realised_margin']).mean():+,.0f}"
        )
    elif args.variant == "roas":
        # the change limit's floors on the first day (yesterday: an even split) would keep money in segments below the
        # target, which is an infeasible policy (exit 2, as `budgetopt plan` says): both runs here go without the limit
        free = run("no target", with_budget(paced, max_daily_change=float("inf")), args.reps, calibration)
        target = run(f"min_roas {args.roas:g}", with_budget(paced, {"min_roas": args.roas}, max_daily_change=float("inf")), args.reps, calibration)
        for name, n in (("no target", free), ("target", target)):
            describe(name, n, budget)
            roas = n["revenue"] / n["spend"]
            print(
                f"{name:>8}: realised period ROAS {roas.mean():.3f} (min {roas.min():.3f}); meets {args.roas:g} in "
                f"{int((roas >= args.roas).sum())} of {len(roas)} replications; days below it {100 * (n['daily_roas'] < args.roas).mean():.1f} %"
            )
    else:
        calm, averse = run("λ = 0", paced, args.reps, calibration), run("λ = 1", with_budget(paced, risk_aversion=1.0), args.reps, calibration)
        k = max(1, int(round(0.05 * args.reps)))
        for name, n in (("λ = 0", calm), ("λ = 1", averse)):
            describe(name, n, budget)
            worst, worst_expected = np.sort(n["realised_margin"])[:k], np.sort(n["expected_margin"])[:k]
            print(
                f"{name:>8}: realised period margin {n['realised_margin'].mean():,.0f}; worst {k} replication(s) {worst.mean():,.0f} "
                f"(true expected: {worst_expected.mean():,.0f})"
            )
        gain = averse["expected_margin"] - calm["expected_margin"]
        print(f"λ = 1 − λ = 0, true expected margin: {gain.mean():+,.0f} ± {gain.std(ddof=1) / np.sqrt(len(gain)):,.0f} (standard error)")
    calibration.report()


if __name__ == "__main__":
    main()
