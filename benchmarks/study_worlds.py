"""Worlds nobody on the team wrote: random accounts of DESIGN.md's family, budgetopt against every baseline.

The shipped scenarios were each written to test one thing, by the people who wrote the engine. This study
draws accounts at random from the same two-level family instead (segments that saturate, creatives that
share their segment's traffic, and the four kinds of events: fatigue, launches, shocks, a weekly wave),
so a weakness no scenario was written for shows up as a world the engine loses. Each world comes from
its own seed (`world_spec(seed)`, printed with its draw), and runs `--reps` replications of every policy
through `simulate_scenario`, as `budgetopt simulate` would.

A world, drawn per seed:
- 1-4 campaigns, 3-12 segments, 1-4 creatives each (a lone creative is an ad set of one ad);
- a segment's return: revenue-margin per unsaturated euro of its best creative from 0.5 to 4.5 (some
  lose money whatever runs), its saturation spend 0.4-3 times an even split of the total;
- its creatives 0-45 % worse than its best, in a random order;
- conversion rates 0.4-8 %, costs per visit 0.2-1.5, baskets 20-300 (the value per euro is kept);
- events, each with its own chance: a fatigue of one segment's best creative (its rate halves every 3-20
  days of that segment's traffic at its saturation spend), a launch (a creative 30 % better to 30 % worse
  than the best, on day 12-40), a shock (one segment or campaign × 0.4-1.6 from day 15-45), a weekly
  wave (amplitude 0.05-0.3, on every cell, or per campaign with its own phase);
- with --noise, also days that vary beyond chance, with chance 1/2: every creative's rate × a log-normal
  factor of mean 1 each day (rate_noise 0.1-0.4), as real accounts' days do (drawn after everything
  else, so a world's account and events are those it has without --noise).

Printed: each world's share of the oracle for every policy, the strongest simple baseline of each
world, and over all worlds the mean share and budgetopt's paired difference to each policy (± its
standard error over worlds), with the worlds budgetopt loses listed by what they hold.

    python benchmarks/study_worlds.py [--worlds 30] [--reps 4] [--first 0] [--workers 2] [--noise]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from budgetopt.api import simulate_scenario
from budgetopt.simulate.metrics import winners_killed
from budgetopt.simulate.scenario import scenario_from_dict

BASELINES = ("greedy", "proportional", "thompson", "even", "rules", "ab_then_commit")
POLICIES = ("budgetopt",) + BASELINES


def world_spec(seed: int, noise: bool = False) -> tuple[dict, list[str]]:
    """(the scenario as nested dicts, the words that say what it holds) for one seed; noise: see --noise."""
    rng = np.random.default_rng([2026, seed])
    n_campaigns = int(rng.integers(1, 5))
    n_segments = int(rng.integers(max(3, n_campaigns), 13))
    daily_total = float(rng.choice([1000.0, 3000.0, 8000.0]))
    even = daily_total / n_segments
    segments, cells, events, words = [], [], [], []
    best_of = {}
    for s in range(n_segments):
        campaign, segment = f"campaign-{s % n_campaigns}", f"adset-{s:02d}"
        saturation = even * float(np.exp(rng.uniform(np.log(0.4), np.log(3.0))))
        segments.append({"campaign": campaign, "segment": segment, "saturation_spend": round(saturation, 1)})
        value = float(rng.uniform(0.5, 4.5))  # revenue-margin per unsaturated euro of its best creative
        rate = float(np.exp(rng.uniform(np.log(0.004), np.log(0.08))))
        cost = float(np.exp(rng.uniform(np.log(0.2), np.log(1.5))))
        basket = value * cost / rate / 0.3  # margin_rate 0.3 (the policy's below)
        if not 20 <= basket <= 300:  # keep the value: move the rate within its range instead
            basket = float(np.clip(basket, 20, 300))
            rate = float(np.clip(value * cost / basket / 0.3, 0.002, 0.2))
        n_creatives = int(rng.integers(1, 5))
        worse = np.r_[0.0, rng.uniform(0.0, 0.45, n_creatives - 1)]
        rng.shuffle(worse)
        for c in range(n_creatives):
            cells.append({
                "campaign": campaign, "segment": segment, "creative": f"ad-{c}", "conversion_rate": round(rate * (1 - worse[c]), 6),
                "cost_per_visit": round(cost, 4), "basket": round(basket, 2),
            })
        best_of[segment] = (campaign, f"ad-{int(np.argmin(worse))}", rate, cost, saturation)
    names = list(best_of)
    if rng.random() < 0.5:  # fatigue: one segment's best creative wears out
        segment = str(rng.choice(names))
        campaign, creative, _, cost, saturation = best_of[segment]
        days = float(rng.uniform(3, 20))
        events.append({"kind": "fatigue", "segment": segment, "creative": creative, "half_life_visits": round(days * saturation / cost, 0)})
        words.append(f"fatigue {segment} ({days:.0f} days)")
    if rng.random() < 0.5:  # a launch: a creative better or worse than the segment's best
        segment = str(rng.choice(names))
        campaign, _, rate, cost, _ = best_of[segment]
        lift, day = float(rng.uniform(-0.3, 0.3)), int(rng.integers(12, 41))
        basket = next(c["basket"] for c in cells if c["segment"] == segment)
        cells.append({"campaign": campaign, "segment": segment, "creative": "new-ad", "conversion_rate": round(rate * (1 + lift), 6),
                      "cost_per_visit": round(cost, 4), "basket": basket})
        events.append({"kind": "launch", "segment": segment, "creative": "new-ad", "day": day})
        words.append(f"launch {segment} day {day} ({100 * lift:+.0f} %)")
    if rng.random() < 0.5:  # a shock on one segment or one campaign
        factor, day = float(rng.uniform(0.4, 1.6)), int(rng.integers(15, 46))
        target = {"segment": str(rng.choice(names))} if rng.random() < 0.7 else {"campaign": f"campaign-{int(rng.integers(n_campaigns))}"}
        events.append({"kind": "shock", "day": day, "factor": round(factor, 3)} | target)
        words.append(f"shock {next(iter(target.values()))} day {day} ×{factor:.2f}")
    if rng.random() < 0.4:  # a weekly wave
        amplitude = float(rng.uniform(0.05, 0.3))
        if rng.random() < 0.5:
            events.append({"kind": "weekly", "amplitude": round(amplitude, 3)})
        else:
            for k in range(n_campaigns):
                events.append({"kind": "weekly", "campaign": f"campaign-{k}", "amplitude": round(amplitude, 3), "phase": round(float(rng.uniform(0, 7)), 2)})
        words.append(f"weekly ±{100 * amplitude:.0f} %")
    world = {"days": 60, "warmup_days": 7, "seed": seed, "basket_cv": 0.6}
    if noise and rng.random() < 0.5:  # drawn last: the account and its events are the same without --noise
        world["rate_noise"] = round(float(rng.uniform(0.1, 0.4)), 3)
        words.append(f"noisy days ±{100 * world['rate_noise']:.0f} %")
    spec = {
        "world": world,
        "policy": {"budget": {"daily_total": daily_total, "currency": "EUR", "max_daily_change": 0.3, "margin_rate": 0.3}},
        "segments": segments,
        "cells": cells,
        "events": events,
    }
    shape = f"{n_segments} segments in {n_campaigns} campaigns, {len(cells)} creatives, {daily_total:,.0f} a day"
    return spec, [shape] + (words or ["nothing changes"])


def run_world(seed: int, reps: int, noise: bool = False) -> tuple[int, dict[str, np.ndarray], dict[str, float], list[str], float]:
    """(seed, each policy's (reps,) share of the oracle, each policy's share of replications in which it switched
    off a creative on a day it was its segment's strictly best, what the world holds, seconds)."""
    started = time.perf_counter()
    spec, words = world_spec(seed, noise)
    scenario = scenario_from_dict(spec, source=f"world {seed}", name=f"world-{seed}")
    result = simulate_scenario(scenario, reps=reps, policies=",".join(POLICIES)).result
    oracle = result.runs["oracle"].expected_margin.sum((1, 2))
    shares = {p: result.runs[p].expected_margin.sum((1, 2)) / oracle for p in POLICIES}
    killed = {p: float(winners_killed(result.runs[p], result.first_day).mean()) for p in POLICIES}
    return seed, shares, killed, words, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=30)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--first", type=int, default=0, help="the first world's seed")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noise", action="store_true", help="half the worlds' days vary beyond chance (rate_noise 0.1-0.4)")
    args = parser.parse_args()
    started = time.perf_counter()
    seeds = range(args.first, args.first + args.worlds)
    with ProcessPoolExecutor(args.workers) as pool:
        done = sorted(pool.map(run_world, seeds, [args.reps] * args.worlds, [args.noise] * args.worlds))
    mean = {p: np.array([s[p].mean() for _, s, _, _, _ in done]) for p in POLICIES}
    print(f"{args.worlds} random worlds{' with noisy days' if args.noise else ''} (seeds {args.first}-{args.first + args.worlds - 1}), {args.reps} replications each; share of the oracle, %\n")
    print("world  " + " ".join(f"{p[:9]:>9s}" for p in POLICIES) + "  what it holds")
    for k, (seed, shares, _, words, _) in enumerate(done):
        best = max(BASELINES, key=lambda p: mean[p][k])
        mark = " <" if mean["budgetopt"][k] < mean[best][k] else ""
        print(f"{seed:5d}  " + " ".join(f"{100 * mean[p][k]:9.1f}" for p in POLICIES) + f"  {'; '.join(words)}{mark}")
    print("\nmean   " + " ".join(f"{100 * mean[p].mean():9.1f}" for p in POLICIES))
    for p in BASELINES:
        d = 100 * (mean["budgetopt"] - mean[p])
        print(f"budgetopt − {p:15s} {d.mean():+6.2f} ± {d.std(ddof=1) / np.sqrt(len(d)):.2f} points; budgetopt ahead on {(d > 0).sum()} of {len(d)} worlds, "
              f"worst {d.min():+.1f} (world {done[int(np.argmin(d))][0]})")
    strongest = np.max([mean[p] for p in BASELINES], axis=0)
    d = 100 * (mean["budgetopt"] - strongest)
    print(f"budgetopt − each world's strongest baseline {d.mean():+.2f} ± {d.std(ddof=1) / np.sqrt(len(d)):.2f}; ahead on {(d > 0).sum()} of {len(d)}")
    killed = {p: 100 * np.mean([k[p] for _, _, k, _, _ in done]) for p in POLICIES}
    print("winners killed (% of replications that switched off a creative on a day it was its segment's strictly best): "
          + ", ".join(f"{p} {killed[p]:.1f}" for p in POLICIES))
    print(f"\ntotal {time.perf_counter() - started:.0f} s wall, {sum(s for *_, s in done):.0f} s of work")


if __name__ == "__main__":
    main()
