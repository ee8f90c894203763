"""The `budgetopt` command: exit codes, one-line errors, nothing written on failure, safe outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from budgetopt.cli import main
from budgetopt.plan import DECISION_COLUMNS, PLAN_COLUMNS


def test_demo_runs_and_writes_its_files(runner, tmp_path):
    result = runner.invoke(main, ["demo", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    for name in ("plan.csv", "decisions.csv", "summary.json", "demo_log.csv", "demo_policy.toml"):
        assert (tmp_path / "out" / name).exists()
    assert "wrote" in result.output


def test_plan_writes_the_contracted_columns_and_summary(runner, demo_log, demo_policy, tmp_path):
    out, summary = tmp_path / "plan.csv", tmp_path / "s.json"
    result = runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--out", str(out), "--summary", str(summary)])
    assert result.exit_code == 0, result.output
    plan = pd.read_csv(out)
    assert list(plan.columns) == PLAN_COLUMNS
    data = json.loads(summary.read_text())
    assert {"date", "total_spend", "expected_margin", "margin_p05", "margin_p95", "binding", "solver", "seconds"} <= set(data)
    assert data["total_spend"] <= 4200.0 + 1e-6
    assert plan["spend"].sum() == pytest.approx(data["total_spend"], rel=1e-6)
    assert all({"constraint", "shadow_price"} == set(b) for b in data["binding"])


def test_decide_writes_the_contracted_columns(runner, demo_log, demo_policy, tmp_path):
    out = tmp_path / "d.csv"
    result = runner.invoke(main, ["decide", str(demo_log), "--policy", str(demo_policy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out).columns) == DECISION_COLUMNS


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD_POLICY = "[budget]\ndaily_total = 1000.0\n"
LOG_HEAD = "date,campaign,segment,creative,spend,visits,conversions,revenue\n"


@pytest.mark.parametrize(
    ("log", "policy", "extra", "message"),
    [
        (LOG_HEAD + "2026-01-01,c,s,a,-5,10,1,20\n", GOOD_POLICY, [], r"row 1 \(line 2\), column 'spend'"),
        (LOG_HEAD + "2026-01-01,c,s,a,5,10,11,20\n", GOOD_POLICY, [], r"exposure = \"impressions\""),
        ("date,campaign,segment,spend\n2026-01-01,c,s,5\n", GOOD_POLICY, [], r"missing columns 'creative'"),
        (LOG_HEAD + "01/02/2026,c,s,a,5,10,1,20\n", GOOD_POLICY, [], r"column 'date'"),
        (LOG_HEAD + "2026-01-01,c,s,a,5,10,1,20\n", "[budget]\ndaily_totl = 5\n", [], r"did you mean 'daily_total'"),
        (LOG_HEAD + "2026-01-01,c,s,a,5,10,1,20\n", GOOD_POLICY, ["--date", "2025-01-01"], r"no log rows before"),
        (LOG_HEAD + "2026-01-01,c,s,a,5,10,1,20\n", GOOD_POLICY, ["--date", "tomorrow"], r"--date 'tomorrow'"),
        (
            LOG_HEAD + "2026-01-01,c,s1,a,50,100,5,200\n2026-01-01,c,s2,a,50,100,5,200\n",
            "[budget]\ndaily_total = 100.0\nmax_daily_change = 1.0\n[segments]\nmin_spend = 80.0\n",
            [],
            r"cannot all hold together: \[budget\] daily_total 100.00 EUR; segment c/s1: .*min_spend.*; segment c/s2",
        ),
        (
            LOG_HEAD + "2026-01-01,c,s1,a,50,100,5,200\n",
            "[budget]\ndaily_total = 100.0\nmax_daily_change = 0.1\n[segments]\nmin_spend = 80.0\n",
            [],
            r"segment c/s1: \[segments\] min_spend 80 EUR \(floor 80.00 EUR\); segment c/s1: max_daily_change \+10%",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(runner, tmp_path, log, policy, extra, message):
    log_path, policy_path = _write(tmp_path / "log.csv", log), _write(tmp_path / "policy.toml", policy)
    out = tmp_path / "plan.csv"
    result = runner.invoke(main, ["plan", str(log_path), "--policy", str(policy_path), "--out", str(out), *extra])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("budgetopt: error:")
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_names_that_look_like_formulas_are_neutralised_in_csv(runner, tmp_path):
    log = LOG_HEAD + "".join(
        f"2026-01-0{d},=HYPERLINK(\"http://x\"),+seg,@evil,{50 + d},{100 + d},{3 + d % 2},150\n" for d in range(1, 8)
    )
    log_path, policy_path = _write(tmp_path / "log.csv", log), _write(tmp_path / "policy.toml", GOOD_POLICY)
    out = tmp_path / "plan.csv"
    result = runner.invoke(main, ["plan", str(log_path), "--policy", str(policy_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = pd.read_csv(out, dtype=str)
    for column in ("campaign", "segment", "creative", "reason"):
        assert not plan[column].str.match(r"^[=+\-@]").any()
    assert plan.loc[0, "campaign"] == "'=HYPERLINK(\"http://x\")"


def test_export_lp_writes_the_model_that_was_solved(runner, demo_log, demo_policy, tmp_path):
    import highspy

    lp_file = tmp_path / "allocation.lp"
    result = runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--export-lp", str(lp_file)])
    assert result.exit_code == 0, result.output
    text = lp_file.read_text()
    assert "segment_prospecting_social_women_25_34" in text and "total" in text
    highs = highspy.Highs()
    highs.silent()
    highs.readModel(str(lp_file))
    highs.run()
    from budgetopt import load_log, load_policy, make_plan

    solved = make_plan(load_log(demo_log), load_policy(demo_policy), rng=np.random.default_rng(7)).allocation
    assert -highs.getInfo().objective_function_value == pytest.approx(solved.objective, rel=1e-7)


def test_export_lp_needs_an_lp_or_mps_name(runner, demo_log, demo_policy, tmp_path):
    result = runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--export-lp", str(tmp_path / "model.txt")])
    assert result.exit_code == 2 and ".lp or .mps" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "log.csv"], r"Missing option '--policy'\. \(see 'budgetopt plan --help'\)"),
        (["plan", "log.csv", "--policy", "p.toml", "--seed", "abc"], r"'--seed': 'abc' is not a valid integer"),
        (["nosuchcommand"], r"No such command 'nosuchcommand'\. \(see 'budgetopt --help'\)"),
    ],
)
def test_command_line_mistakes_get_one_line_and_exit_2(runner, args, message):
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("budgetopt: error:") and re.search(message, lines[0]), lines
