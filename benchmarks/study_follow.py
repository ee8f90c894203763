"""How fast could the engine follow a tiring leader if it knew how it tires? (issue 15's `days_to_follow`)

`days_to_follow` counts the days from a segment's true best changing to the new best getting half of the
segment. On the fatigue scenarios the change is a leader wearing out with its own visits, and the engine
sees it only through each creative's wear-out slope (estimate/wearout.py), shrunk towards "no wear-out" by
adaptive shrinkage. This study runs `budgetopt` three ways on the same replications (common seeds):

- `estimated`: as shipped;
- `raw`: the creatives the scenario makes tire keep their raw, unshrunk slope (the model is told *which*
  creatives tire, not how fast); the others are shrunk as usual;
- `known`: those creatives' slope is the truth's, in the model's units (rate × 0.5 ** (visits /
  half_life_visits) over the creative's exposure so far: slope = −ln 2 × exposure so far / half_life_visits).

`known` is a bound on what a better slope estimate could buy with everything else as shipped: the verdicts,
shares, forgetting and allocation are unchanged, only the forecast of the tiring creatives is exact.
Printed per scenario and mode: the share of the oracle (mean over replications, and the paired difference to
`estimated` ± its standard error), the median `days_to_follow` and that median per segment with a change.

    python benchmarks/study_follow.py [--scenarios fatigue,fast_fatigue] [--reps 20] [--workers 2]

The oracle-slope runs replace two functions of estimate/wearout.py inside the worker processes (the raw
fit's `_fit`, to see each creative's exposure so far, and `adaptive_shrinkage`), and wrap `history_from_rows`
to see the cells' names; nothing is patched in the parent process.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

MODES = ("estimated", "raw", "known")
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _tell_the_model(mode: str, tiring: dict[tuple[str, str], float]) -> None:
    """Patch this process's wear-out fit so the creatives in `tiring` ((segment, creative) → per-visit
    half-lives lost, the world's fatigue_per_visit) get their raw slope (mode raw) or the truth's (known)."""
    from budgetopt.estimate import history, wearout
    from budgetopt.simulate import policies

    seen: dict[str, np.ndarray] = {}
    build, fit, shrink = history.history_from_rows, wearout._fit, wearout.adaptive_shrinkage

    def named(campaign, segment, creative, *args, **kwargs):
        seen["per_visit"] = np.array([tiring.get((s, c), 0.0) for s, c in zip(segment, creative)])
        return build(campaign, segment, creative, *args, **kwargs)

    def fit_seeing_exposure(cell, exposure, conversions, x, so_far, *args, **kwargs):
        seen["so_far"] = so_far
        return fit(cell, exposure, conversions, x, so_far, *args, **kwargs)

    def told(raw, se, fitted):
        slope, spread = shrink(raw, se, fitted)
        per_visit = seen["per_visit"]
        if len(per_visit) == len(raw):
            truth = -np.log(2.0) * seen["so_far"] * per_visit
            slope = np.where(per_visit > 0, raw if mode == "raw" else truth, slope)
        return slope, spread

    history.history_from_rows = policies.history_from_rows = named
    wearout._fit, wearout.adaptive_shrinkage = fit_seeing_exposure, told


def run(name: str, mode: str, reps: int) -> tuple[str, str, dict]:
    """One scenario under one mode: per replication the share of the oracle, and every follow event (segment, days)."""
    from budgetopt.api import simulate_scenario
    from budgetopt.simulate.metrics import days_to_follow, follow_days
    from budgetopt.simulate.scenario import load_scenario

    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    world = scenario.world
    per_visit = world.events.fatigue_per_visit if world.events is not None else np.zeros(world.n_cells)
    if mode != "estimated":
        _tell_the_model(mode, {(s, c): v for s, c, v in zip(world.segment, world.creative, per_visit) if v > 0})
    result = simulate_scenario(scenario, reps=reps, policies="budgetopt").result
    policy, oracle = result.runs["budgetopt"], result.runs["oracle"]
    share = policy.expected_margin.sum((1, 2)) / oracle.expected_margin.sum((1, 2))
    by_segment = defaultdict(list)
    segment_names = {int(i): segment for i, segment in zip(world.segment_index, world.segment)}
    for segment, days in follow_days(policy, result.first_day, result.launch_day, result.segment_index):
        by_segment[segment_names[segment]].append(days)
    follow = days_to_follow(policy, result.first_day, result.launch_day, result.segment_index)
    return name, mode, {"share": share, "follow": follow, "by_segment": dict(by_segment)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="fatigue,fast_fatigue", help="comma-separated names in scenarios/")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    names = args.scenarios.split(",")
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers, max_tasks_per_child=1) as pool:  # a fresh process per task: no patch leaks
        futures = [pool.submit(run, name, mode, args.reps) for name in names for mode in MODES]
        results = {(name, mode): out for name, mode, out in (f.result() for f in futures)}
    print(f"budgetopt with its wear-out slopes as estimated, raw, or known; {args.reps} replications (common seeds)")
    print(f"{'scenario':<14} {'mode':<10} {'oracle share':>12} {'vs estimated':>15} {'days to follow':>15}  by segment (median days, changes)")
    for name in names:
        base = results[(name, "estimated")]["share"]
        for mode in MODES:
            out = results[(name, mode)]
            diff = 100 * (out["share"] - base)
            paired = "" if mode == "estimated" else f"{diff.mean():+.2f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.2f}"
            segments = ", ".join(f"{s} {np.median(v):g} ({len(v)})" for s, v in sorted(out["by_segment"].items()))
            print(f"{name:<14} {mode:<10} {100 * out['share'].mean():11.2f} % {paired:>15} {out['follow']:>15g}  {segments}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
