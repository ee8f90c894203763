"""`budgetopt whatif`: a proposed split against the plan, on the same posterior draws."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from budgetopt.api import compare_split
from budgetopt.cli import main
from budgetopt.config import load_policy
from budgetopt.data import load_log
from budgetopt.data.demo import demo_path
from budgetopt.data.split import read_split_file, resolve_split
from budgetopt.errors import InputError
from budgetopt.plan import plan_day
from budgetopt.whatif import compare

#: the plan's figures in whatif come from its own 2,000 draws, the summary's from the plan's: two
#: independent Monte Carlo estimates of one mean, each with a standard error of sd / √2000, so their
#: difference has sd ≈ 0.032 sd; four of those (≈ 0.13 sd) fails by chance about once in 16,000 runs
PLAN_AGREEMENT_IN_SD = 0.13


@pytest.fixture(scope="module")
def demo():
    """(log, policy, plan result) of the demo account, planned once for the module."""
    policy = load_policy(demo_path("demo_policy.toml"))
    log = load_log(demo_path("demo_log.csv"))
    return log, policy, plan_day(log, policy, rng=np.random.default_rng(7))


def write(path: Path, frame_or_text) -> Path:
    if isinstance(frame_or_text, str):
        path.write_text(frame_or_text, encoding="utf-8")
    else:  # full precision: repr of each float, so the split is bit for bit what the plan holds
        frame_or_text.to_csv(path, index=False, float_format="%.17g")
    return path


def per_creative(plan: pd.DataFrame) -> pd.DataFrame:
    return plan[["campaign", "segment", "creative", "spend"]]


def per_segment(plan: pd.DataFrame) -> pd.DataFrame:
    return plan.drop_duplicates(["campaign", "segment"])[["campaign", "segment", "segment_spend"]].rename(columns={"segment_spend": "spend"})


@pytest.mark.parametrize("split_of", [per_creative, per_segment], ids=["per creative", "per segment"])
def test_the_plans_own_split_gives_the_plans_distribution_and_never_beats_it(demo, tmp_path, split_of):
    log, policy, result = demo
    raw, lines = read_split_file(write(tmp_path / "split.csv", split_of(result.plan)))
    split = resolve_split(raw, result.plan, lines=lines)
    assert np.array_equal(split.spend, result.plan["spend"].to_numpy(float))  # shares × segment budget, exactly
    w = compare(result, policy, split, np.random.default_rng(1))
    # the same spend on the same draws: identical margins in every draw, so the same distribution,
    # a difference of exactly 0, and a chance of exactly 0 — a tie is not a win
    assert w.proposal == w.plan
    assert (w.difference.expected_margin, w.difference.margin_p05, w.difference.margin_p95) == (0.0, 0.0, 0.0)
    assert w.chance_beats == 0.0
    # and the plan's distribution is the one `budgetopt plan` reports, up to Monte Carlo error
    summary = result.summary
    sd = (summary["margin_p95"] - summary["margin_p05"]) / 3.29
    assert w.plan.total_spend == pytest.approx(summary["total_spend"], rel=1e-9)
    assert abs(w.plan.expected_margin - summary["expected_margin"]) < PLAN_AGREEMENT_IN_SD * sd
    assert w.segments["proposal_spend"].tolist() == pytest.approx(w.segments["plan_spend"].tolist())


def test_a_clearly_worse_split_loses_with_high_probability(demo, tmp_path):
    log, policy, result = demo
    # the plan's whole budget on interest-outdoor, the segment that loses money
    total = result.plan["spend"].sum()
    split = write(tmp_path / "split.csv", f"campaign,segment,spend\nprospecting-social,interest-outdoor,{total}\n")
    w = compare_split(log, policy, split, rng=np.random.default_rng(7))
    assert w.chance_beats < 0.01
    assert w.difference.margin_p95 < 0 and w.proposal.expected_margin < 0 < w.plan.expected_margin
    assert w.proposal.total_spend == pytest.approx(total)
    assert any("not in the split and spend 0" in note for note in w.notes)


def test_a_better_split_that_breaks_the_policy_wins_and_says_which_limits_it_breaks(demo, tmp_path):
    log, policy, result = demo
    plan = result.plan
    # +30 % more than the plan may give on exact-brand (held back by max_daily_change), taken from interest-outdoor
    segments = per_segment(plan).set_index(["campaign", "segment"])["spend"]
    moved = 0.3 * segments[("brand-search", "exact-brand")]
    segments[("brand-search", "exact-brand")] += moved
    segments[("prospecting-social", "interest-outdoor")] -= moved
    w = compare_split(log, policy, write(tmp_path / "split.csv", segments.reset_index()), rng=np.random.default_rng(7))
    assert w.chance_beats > 0.99
    assert w.difference.margin_p05 > 0
    assert any(note.startswith("segment brand-search/exact-brand:") and "max_daily_change" in note for note in w.notes)


def test_a_per_segment_split_is_shared_as_the_decision_engine_says(demo, tmp_path):
    log, policy, result = demo
    plan = result.plan
    raw, lines = read_split_file(write(tmp_path / "split.csv", "campaign,segment,spend\nprospecting-social,women-25-34,1000\n"))
    split = resolve_split(raw, plan, lines=lines)
    women = (plan["segment"] == "women-25-34").to_numpy()
    assert split.spend[women] == pytest.approx(1000 * plan["share"].to_numpy()[women])
    assert split.spend[~women].sum() == 0
    disabled = women & (plan["status"] == "disabled").to_numpy()
    assert disabled.any() and split.spend[disabled].sum() == 0  # static-c gets nothing


HEAD = "campaign,segment,spend\n"
CELL_HEAD = "campaign,segment,creative,spend\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("campaign,spend\nbrand-search,100\n", r"missing column 'segment'; a split needs campaign, segment, spend"),
        ("segment,creative\nexact-brand,rsa-a\n", r"missing columns 'campaign', 'spend'"),
        (HEAD, r"the split has no rows"),
        ("", r"the file is empty"),
        (HEAD + "brand-search,exact-brand,-5\n", r"row 1 \(line 2\), column 'spend': negative \(-5\)"),
        (HEAD + "\nbrand-search,exact-brand,-5\n", r"row 1 \(line 3\), column 'spend': negative"),
        (HEAD + "brand-search,exact-brand,lots\n", r"row 1 \(line 2\), column 'spend': not a finite number \(got 'lots'\)"),
        (HEAD + "brand-search,exact-brand,inf\n", r"column 'spend': not a finite number"),
        (HEAD + "brand-search,exact-brand,1e308\n", r"row 1 \(line 2\), column 'spend': 1e\+308 is beyond any real budget \(at most 1e12 currency per day\)"),
        (HEAD + "brand-search,exact-brand,\n", r"column 'spend': not a finite number"),
        (HEAD + "brand-search, ,100\n", r"row 1 \(line 2\), column 'segment': empty name"),
        (HEAD + "brand-serch,exact-brand,100\n", r"row 1 \(line 2\), column 'campaign': no campaign 'brand-serch' in the log"),
        (HEAD + "brand-search,exact-brand,1\nbrand-search,exact,100\n", r"row 2 \(line 3\), column 'segment': no segment 'exact' in campaign 'brand-search'"),
        (CELL_HEAD + "brand-search,exact-brand,rsa-z,100\n", r"column 'creative': no creative 'rsa-z' in brand-search/exact-brand"),
        (HEAD + "brand-search,exact-brand,1\nretargeting-display,cart-abandoners,2\nbrand-search,exact-brand,3\n",
         r"rows 1, 3 \(lines 2, 4\): the same segment appears more than once \(first: brand-search/exact-brand\)"),
        (CELL_HEAD + "brand-search,exact-brand,rsa-a,1\nbrand-search,exact-brand,rsa-a,2\n", r"the same creative appears more than once"),
    ],
    ids=[
        "missing segment", "missing two", "no rows", "empty file", "negative", "blank line counted", "not a number",
        "infinite", "absurd", "blank spend", "empty name", "unknown campaign", "unknown segment", "unknown creative",
        "duplicate segment", "duplicate creative",
    ],
)
def test_bad_splits_name_the_file_row_and_column(demo, tmp_path, text, message):
    path = write(tmp_path / "split.csv", text)
    with pytest.raises(InputError, match=message) as caught:
        raw, lines = read_split_file(path)
        resolve_split(raw, demo[2].plan, source=str(path), lines=lines)
    assert str(caught.value).startswith(str(path))


def test_a_segment_without_an_active_creative_cannot_take_a_per_segment_budget(demo, tmp_path):
    log, policy, _ = demo
    log = log.copy()
    last = log["date"] == log["date"].max()
    log.loc[last & (log["segment"] == "interest-outdoor"), "status"] = "paused"  # the user paused the whole segment
    result = plan_day(log, policy, rng=np.random.default_rng(7))
    path = write(tmp_path / "split.csv", HEAD + "brand-search,exact-brand,0\nprospecting-social,interest-outdoor,100\n")
    raw, lines = read_split_file(path)
    with pytest.raises(InputError, match=r"row 2 \(line 3\), column 'spend': segment prospecting-social/interest-outdoor has no active creative"):
        resolve_split(raw, result.plan, lines=lines)
    # per creative it is a what-if like any other, and the note says the plan keeps those creatives off
    path = write(tmp_path / "split.csv", CELL_HEAD + "prospecting-social,interest-outdoor,video-a,100\n")
    raw, lines = read_split_file(path)
    w = compare(result, policy, resolve_split(raw, result.plan, lines=lines), np.random.default_rng(0))
    assert any("spends on creatives the plan keeps off: prospecting-social/interest-outdoor/video-a (paused)" in n for n in w.notes)


def test_an_edited_plan_csv_is_a_valid_split(runner, demo_log, demo_policy, tmp_path):
    plan_csv = tmp_path / "plan.csv"
    assert runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--out", str(plan_csv)]).exit_code == 0
    result = runner.invoke(main, ["whatif", str(demo_log), "--policy", str(demo_policy), "--split", str(plan_csv)])
    assert result.exit_code == 0, result.output
    assert "the proposal is the plan's own split" in result.output  # plan.csv gives spends to the cent


def test_cli_prints_both_distributions_and_writes_the_json_atomically(runner, demo_log, demo_policy, tmp_path):
    split = write(tmp_path / "split.csv", HEAD + "brand-search,exact-brand,1000\nprospecting-social,women-25-34,1500\n")
    out = tmp_path / "whatif.json"
    args = ["whatif", str(demo_log), "--policy", str(demo_policy), "--split", str(split), "--out", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "proposal (split.csv)" in result.output and "chance the proposal earns more than the plan" in result.output
    data = json.loads(out.read_text())
    assert data["proposal"]["total_spend"] == pytest.approx(2500.0)
    assert set(data["plan"]) == {"total_spend", "expected_margin", "margin_p05", "margin_p95"}
    assert 0.0 <= data["chance_proposal_beats_plan"] <= 1.0 and data["draws"] == 2000 and data["split_per"] == "segment"
    assert data["difference"]["expected_margin"] == pytest.approx(data["proposal"]["expected_margin"] - data["plan"]["expected_margin"])
    assert len(data["segments"]) == 8 and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    again = runner.invoke(main, args)  # the seed makes it reproducible
    assert json.loads(out.read_text()) == data and again.output == result.output


@pytest.mark.parametrize(
    ("split_text", "extra", "message"),
    [
        (HEAD + "brand-search,exact-brand,-1\n", [], "column 'spend': negative"),
        (None, [], "file not found"),
        (HEAD + "brand-search,exact-brand,1\n", ["--date", "25/11/2026"], "--date '25/11/2026' is not an ISO date"),
        (HEAD + "brand-search,exact-brand,1\n", ["--seed", "-1"], "--seed must be ≥ 0"),
    ],
    ids=["bad split", "missing split", "bad date", "negative seed"],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(runner, demo_log, demo_policy, tmp_path, split_text, extra, message):
    split = tmp_path / "split.csv"
    if split_text is not None:
        write(split, split_text)
    out = tmp_path / "whatif.json"
    result = runner.invoke(main, ["whatif", str(demo_log), "--policy", str(demo_policy), "--split", str(split), "--out", str(out), *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.startswith("budgetopt: error: ") and result.output.count("\n") == 1
    assert not out.exists()


def test_names_are_printed_as_text_not_markup(runner, tmp_path):
    rng = np.random.default_rng(3)
    rows = []
    for day in pd.date_range("2026-03-01", periods=14):
        for segment, creative, rate in (("[bold]s1[/bold]", "a", 0.04), ("[bold]s1[/bold]", "b", 0.02), ("s2", "[red]x[/red]", 0.03)):
            visits = int(rng.poisson(400))
            conversions = int(rng.binomial(visits, rate))
            rows.append({"date": f"{day:%Y-%m-%d}", "campaign": "c", "segment": segment, "creative": creative, "spend": 200.0,
                         "visits": visits, "conversions": conversions, "revenue": 60.0 * conversions})
    log = tmp_path / "log.csv"
    pd.DataFrame(rows).to_csv(log, index=False)
    policy = write(tmp_path / "policy.toml", "[budget]\ndaily_total = 700.0\n")
    split = write(tmp_path / "split.csv", HEAD + "c,[bold]s1[/bold],300\nc,s2,300\n")
    result = runner.invoke(main, ["whatif", str(log), "--policy", str(policy), "--split", str(split)])
    assert result.exit_code == 0, result.output
    assert "c / [bold]s1[/bold]" in result.output


def test_a_split_typed_in_whole_units_breaks_no_limit_by_rounding(demo, tmp_path):
    log, policy, result = demo
    rounded = per_segment(result.plan).assign(spend=lambda f: f["spend"].round(0))
    raw, lines = read_split_file(write(tmp_path / "split.csv", rounded))
    w = compare(result, policy, resolve_split(raw, result.plan, lines=lines), np.random.default_rng(0))
    assert w.notes == ()
    assert abs(w.difference.expected_margin) < 5.0  # a few euros of rounding on a 4,200 budget
