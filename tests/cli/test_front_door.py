"""The front door a person meets: the CLI gives the API's numbers, says what it wrote, shows whole
help lines, and never breaks a name on a pipe."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import budgetopt
from budgetopt import api
from budgetopt.cli import main
from budgetopt.plan import PLAN_MONEY, plan_for_file, summary_for_plan_file


def test_plan_on_the_cli_equals_make_plan_with_the_same_seed(runner, demo_log, demo_policy, tmp_path):
    for seed in (None, 3):
        out, summary = tmp_path / f"plan-{seed}.csv", tmp_path / f"summary-{seed}.json"
        args = ["plan", str(demo_log), "--policy", str(demo_policy), "--out", str(out), "--summary", str(summary)]
        result = runner.invoke(main, args + ([] if seed is None else ["--seed", str(seed)]))
        assert result.exit_code == 0, result.output
        made = budgetopt.make_plan(demo_log, demo_policy, **({} if seed is None else {"rng": seed}))
        expected = tmp_path / "expected.csv"
        api.write_table(expected, plan_for_file(made), money=PLAN_MONEY)
        assert out.read_bytes() == expected.read_bytes()
        written = json.loads(summary.read_text())
        assert {k: v for k, v in written.items() if k != "seconds"} == {k: v for k, v in summary_for_plan_file(made).items() if k != "seconds"}


def test_decide_and_whatif_on_the_cli_equal_the_api(runner, demo_log, demo_policy, tmp_path):
    out = tmp_path / "decisions.csv"
    assert runner.invoke(main, ["decide", str(demo_log), "--policy", str(demo_policy), "--out", str(out)]).exit_code == 0
    decided = budgetopt.make_decisions(demo_log, demo_policy).decisions
    expected = tmp_path / "expected.csv"
    api.write_table(expected, decided)
    assert out.read_bytes() == expected.read_bytes()
    split = tmp_path / "split.csv"
    split.write_text("campaign,segment,spend\nbrand-search,exact-brand,500\n")
    whatif = tmp_path / "whatif.json"
    result = runner.invoke(main, ["whatif", str(demo_log), "--policy", str(demo_policy), "--split", str(split), "--out", str(whatif)])
    assert result.exit_code == 0, result.output
    compared = budgetopt.compare_split(demo_log, demo_policy, split)
    assert json.loads(whatif.read_text())["chance_proposal_beats_plan"] == compared.chance_beats
    assert json.loads(whatif.read_text())["proposal"]["expected_margin"] == pytest.approx(compared.proposal.expected_margin, rel=1e-11)


def test_every_command_says_what_it_wrote(runner, demo_log, demo_policy, tmp_path):
    result = runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--report", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'report' / 'index.html'}" in result.output
    result = runner.invoke(main, ["decide", str(demo_log), "--policy", str(demo_policy), "--out", str(tmp_path / "d.csv")])
    assert f"wrote {tmp_path / 'd.csv'}" in result.output


def test_help_lists_each_command_with_its_whole_first_sentence():
    text = CliRunner().invoke(main, ["--help"], terminal_width=200).output
    commands = text.split("Commands:")[1]
    assert "..." not in commands and "…" not in commands
    assert "The A/B verdicts alone: chance to be best, expected loss and verdict per creative." in text


def test_a_pipe_gets_whole_names(runner, tmp_path):
    name = "prospecting-social-very-long-campaign-name-" + "x" * 60
    rows = ["date,campaign,segment,creative,spend,visits,conversions,revenue"]
    for day in range(1, 8):
        for creative, cvr in (("a-creative-with-a-long-name", 3), ("b", 2)):
            rows.append(f"2026-01-0{day},{name},an-audience-with-a-long-name,{creative},50,100,{cvr},{cvr * 40}")
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n")
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_total = 100.0\n")
    result = runner.invoke(main, ["plan", str(log), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    assert f"{name} / an-audience-with-a-long-name" in result.output
    assert "a-creative-with-a-long-name" in result.output
    assert max(map(len, result.output.splitlines())) > 80  # not folded at rich's default width
    assert np.isfinite(float(result.output.split("expected gross margin ")[1].split(" ")[0].replace(",", "")))
