"""Decision speed (issue 5): verdicts for 10,000 cells in 1,000 segments, target < 1 s; and the whole plan
of the same log in process (`plan_day`: estimates, decisions, allocation, tables; issue 18's target 0.6 s).

Times `decide` (verdicts, p_best, expected loss, lift, shares, reasons) on fitted estimates (margin per euro: quadrature
where a segment's values are log-normal, 500 posterior draws elsewhere and up to 2,000 where a verdict is near a
threshold), and with metric = "conversion_rate" and pooling = "none" (exact quadrature, no sampling).

    python benchmarks/bench_decide.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from budgetopt.config import policy_from_dict
from budgetopt.decide import decide_creatives
from budgetopt.plan import decisions_table, estimates_from_log, plan_day

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_estimate import synthetic_log  # noqa: E402
from calibration import Calibration  # noqa: E402


def main() -> None:
    calibration = Calibration.measure()
    log = synthetic_log(cells=10_000, per_segment=10, days=60)
    for label, settings in (
        ("margin_per_euro, pooled", {}),
        ("conversion_rate, unpooled (quadrature)", {"estimate": {"pooling": "none"}, "decide": {"metric": "conversion_rate"}}),
    ):
        policy = policy_from_dict({"budget": {"daily_total": 1e6}, **settings})
        estimates = estimates_from_log(log, policy)
        timings, tables = [], []
        for repeat in range(3):
            started = time.perf_counter()
            decisions = decide_creatives(estimates, policy.decide, np.random.default_rng(repeat))
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            decisions_table(estimates, decisions)  # adds the credible intervals, computed when asked for
            tables.append(time.perf_counter() - started)
        decide_s, table_s = float(np.median(timings)), float(np.median(tables))
        print(f"decide, 10,000 cells in 1,000 segments, {label}: median {decide_s:.3f} s ({calibration.ratio(decide_s)}; "
              f"target < 0.25 s); the decisions table with every credible interval: +{table_s:.3f} s ({calibration.ratio(table_s)})")
    policy = policy_from_dict({"budget": {"daily_total": 1e6}})
    plans = []
    for repeat in range(3):
        started = time.perf_counter()
        plan_day(log, policy, rng=np.random.default_rng(repeat))
        plans.append(time.perf_counter() - started)
    plan_s = float(np.median(plans))
    print(f"plan_day, the same 10,000 cells × 60 days in process: median {plan_s:.3f} s ({calibration.ratio(plan_s)}; target < 0.6 s)")
    calibration.report()


if __name__ == "__main__":
    main()
