"""benchmarks/study_worlds.py draws accounts nobody wrote: every draw is a valid scenario of DESIGN.md's family,
the same seed draws the same account, and the draws cover what the study promises (events, lone creatives,
segments that lose money whatever runs)."""

from __future__ import annotations

import numpy as np

from benchmarks.study_worlds import world_spec
from budgetopt.simulate.scenario import scenario_from_dict

SEEDS = range(100)


def test_every_draw_is_a_valid_scenario_and_a_seed_draws_the_same_account():
    for seed in SEEDS:
        spec, words = world_spec(seed)
        scenario = scenario_from_dict(spec, source=f"world {seed}", name=f"world-{seed}")
        segments = {(s["campaign"], s["segment"]) for s in spec["segments"]}
        assert 3 <= len(segments) <= 12 and len(scenario.world.creative) == len(spec["cells"])
        assert words[0].startswith(f"{len(segments)} segments")
    assert world_spec(7) == world_spec(7)


def test_the_draws_cover_the_family():
    kinds, lone, losing, totals = set(), 0, 0, set()
    for seed in SEEDS:
        spec, _ = world_spec(seed)
        kinds |= {e["kind"] for e in spec["events"]}
        totals.add(spec["policy"]["budget"]["daily_total"])
        per_segment: dict[str, list[dict]] = {}
        for cell in spec["cells"]:
            per_segment.setdefault(cell["segment"], []).append(cell)
        lone += sum(len(cells) == 1 for cells in per_segment.values())
        # revenue-margin per unsaturated euro of each segment's best creative (margin_rate 0.3)
        best = [max(c["conversion_rate"] * c["basket"] * 0.3 / c["cost_per_visit"] for c in cells) for cells in per_segment.values()]
        losing += int(np.sum(np.array(best) < 1.0))
    assert kinds == {"fatigue", "launch", "shock", "weekly"}
    assert totals == {1000.0, 3000.0, 8000.0}
    assert lone >= 100 and losing >= 50  # of about 780 segments: 183 and 102 on these seeds


def test_noisy_days_are_drawn_last_so_a_world_is_the_same_account_with_or_without_them():
    noisy = 0
    for seed in range(40):
        plain, with_noise = world_spec(seed)[0], world_spec(seed, noise=True)[0]
        sigma = with_noise["world"].pop("rate_noise", None)
        assert with_noise == plain
        if sigma is not None:
            noisy += 1
            assert 0.1 <= sigma <= 0.4
            assert scenario_from_dict(world_spec(seed, noise=True)[0], name="w").world.rate_noise == sigma
    assert 10 <= noisy <= 30  # chance 1/2
