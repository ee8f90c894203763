"""A log whose days vary beyond chance: the plan learns how far (summary.json's daily_rate_spread), says so in
its report, and `[estimate] dispersion = false` reads every conversion as binomial evidence again."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import budgetopt
from budgetopt.cli import main
from budgetopt.config import policy_from_dict
from budgetopt.simulate.world import World


def noisy_log(rate_noise: float, days: int = 28, segments: int = 6, creatives: int = 3) -> pd.DataFrame:
    """Six ad sets of three creatives, about 1,000 visits and 20–40 conversions a creative a day."""
    rng = np.random.default_rng(4)
    cells = segments * creatives
    world = World(
        campaign=("shop",) * cells,
        segment=tuple(f"adset-{i // creatives}" for i in range(cells)),
        creative=tuple(f"ad-{i % creatives}" for i in range(cells)),
        segment_index=np.repeat(np.arange(segments), creatives),
        saturation_spend=np.full(segments, np.inf),
        conversion_rate=rng.uniform(0.02, 0.04, cells),
        cost_per_visit=np.full(cells, 0.5),
        basket=np.full(cells, 60.0),
        rate_noise=rate_noise,
    )
    frames = []
    for date in pd.date_range("2026-03-01", periods=days):
        spend = np.full(cells, 500.0)
        visits, conversions, revenue = world.draw_day(spend, rng)
        frames.append(pd.DataFrame({
            "date": date, "campaign": world.campaign, "segment": world.segment, "creative": world.creative,
            "spend": spend, "visits": visits, "conversions": conversions, "revenue": revenue.round(2),
        }))
    return pd.concat(frames, ignore_index=True)


def test_the_plan_learns_how_far_the_days_vary_and_says_so(runner, tmp_path):
    """summary.json's daily_rate_spread near the truth's e^{σ²} − 1, and the sentence in the report and the terminal."""
    log, policy_file = tmp_path / "log.csv", tmp_path / "policy.toml"
    noisy_log(0.3).to_csv(log, index=False)
    policy_file.write_text("[budget]\ndaily_total = 9000.0\n")
    result = runner.invoke(main, ["plan", str(log), "--policy", str(policy_file), "--summary", str(tmp_path / "summary.json"), "--report", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    spread = json.loads((tmp_path / "summary.json").read_text())["daily_rate_spread"]
    assert spread == pytest.approx(np.sqrt(np.expm1(0.09)), abs=0.06)
    sentence = f"moves by about ±{spread:.0%} from one day to the next beyond chance"
    assert sentence in " ".join(result.output.split())
    assert sentence in (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    decided = runner.invoke(main, ["decide", str(log), "--policy", str(policy_file)])
    assert decided.exit_code == 0, decided.output
    assert sentence in " ".join(decided.output.split())  # under the verdicts it slows


def test_binomial_days_keep_the_plan_as_it_was():
    log = noisy_log(0.0)
    on = budgetopt.make_plan(log, policy_from_dict({"budget": {"daily_total": 9000.0}}))
    off = budgetopt.make_plan(log, policy_from_dict({"budget": {"daily_total": 9000.0}, "estimate": {"dispersion": False}}))
    assert on.summary["daily_rate_spread"] == 0.0 and off.summary["daily_rate_spread"] is None
    pd.testing.assert_frame_equal(on.plan, off.plan)


def test_noisy_days_are_not_read_as_change():
    """The log's rates never move on average: counted at their worth, its days leave the learned memory long; read as
    binomial, each day's noise looked like news and two-day half-lives won (a plan chasing yesterday's luck)."""
    log = noisy_log(0.3)
    memory = {}
    for dispersion in (True, False):
        policy = policy_from_dict({"budget": {"daily_total": 9000.0}, "estimate": {"dispersion": dispersion}})
        forgetting = budgetopt.make_plan(log, policy).estimates.history.forgetting
        weight = forgetting.weight.mean(0)  # over segments, per half-life
        memory[dispersion] = (weight[forgetting.half_lives <= 4].sum(), weight[forgetting.half_lives >= 28].sum())
    assert memory[True][1] > 0.5 > memory[True][0]  # measured: 0.72 on 28 days or more, 0.08 on 2–4
    assert memory[False][0] > 0.5  # measured: 0.80 on 2–4 days
