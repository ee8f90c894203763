"""Period pacing against a flat daily budget (issue 16's "done when"), on scenarios/monthly.toml.

The same engine (`budgetopt`) runs twice on the same worlds (the same seeds, so replications are paired):
paced, with the scenario's period budget (what remains over the days left, weekday effects fitted from the
log), and flat, with daily_total = period_total ÷ days and no period. Prints the period's true expected
margin, its realised margin, the period's spend against its budget, and the paired difference.
    python benchmarks/bench_pacing.py [--reps 20] [--workers 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from budgetopt.scale.executors import open_executor
from budgetopt.simulate.pacing import flat_policy
from budgetopt.simulate.runner import simulate
from budgetopt.simulate.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "monthly.toml"


def period_numbers(result, margin_rate: float) -> dict[str, np.ndarray]:
    run = result.runs["budgetopt"]
    spend = run.spend.sum(axis=(1, 2))  # (reps,)
    return {
        "expected_margin": run.expected_margin.sum(axis=(1, 2)),
        "realised_margin": (run.revenue * margin_rate - run.spend).sum(axis=(1, 2)),
        "spend": spend,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    paced = load_scenario(SCENARIO)
    flat = dataclasses.replace(paced, policy=flat_policy(paced.policy))
    budget = paced.policy.budget.period_total
    numbers = {}
    for name, scenario in (("paced", paced), ("flat", flat)):
        started = time.perf_counter()
        with open_executor(args.workers, None) as executor:
            result = simulate(scenario, reps=args.reps, policies=("budgetopt",), executor=executor if args.workers > 1 else None)
        numbers[name] = period_numbers(result, scenario.policy.budget.margin_rate)
        print(f"{name}: {time.perf_counter() - started:.0f} s for {args.reps} replications")
    for name, n in numbers.items():
        print(
            f"{name:>6}: period margin (true expected) {n['expected_margin'].mean():,.0f} ± {n['expected_margin'].std(ddof=1):,.0f}; "
            f"realised {n['realised_margin'].mean():,.0f}; spend {n['spend'].mean():,.0f} of {budget:,.0f} "
            f"({100 * (n['spend'] / budget - 1).mean():+.2f} %, worst {100 * np.abs(n['spend'] / budget - 1).max():.2f} %)"
        )
    gain = numbers["paced"]["expected_margin"] - numbers["flat"]["expected_margin"]
    se = gain.std(ddof=1) / np.sqrt(len(gain))
    share = gain / numbers["flat"]["expected_margin"]
    print(
        f"pacing earns {gain.mean():,.0f} more period margin than a flat daily budget (± {se:,.0f} standard error, "
        f"{100 * share.mean():+.2f} %; more in {int((gain > 0).sum())} of {len(gain)} replications)"
    )


if __name__ == "__main__":
    main()
