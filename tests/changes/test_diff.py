"""The changes a plan makes in the account: only what changes, from the current state (the log's last day, or the ledger's last plan)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from budgetopt import api
from budgetopt.changes import CHANGE_COLUMNS, currency_unit
from budgetopt.cli import main
from tests.test_ledger import _ab_rows, days, ok, write_log


@pytest.fixture(scope="module")
def demo():
    policy = api.load_policy(api.demo_path("demo_policy.toml"))
    log = api.load_log(api.demo_path("demo_log.csv"))
    result = api.make_plan(log, policy)
    return log, policy, result


def test_the_demo_lists_exactly_the_budgets_and_statuses_that_change(demo):
    log, policy, result = demo
    changes = api.make_changes(result, policy, log=log)
    table = changes.table
    segments = pd.DataFrame(result.summary["segments"])
    moved = segments[np.abs(result.budgets_in_cents - segments["before"].round(2)) >= 0.005]
    budgets = table[table["field"] == "budget"]
    assert list(zip(budgets["campaign"], budgets["segment"])) == list(zip(moved["campaign"], moved["segment"]))
    assert np.allclose(budgets["after"].astype(float), result.budgets_in_cents[moved.index])
    assert np.allclose(budgets["before"].astype(float), moved["before"].round(2))
    # the demo's one pause: static-c, disabled by the engine while the log has it running; banner-b stays paused (no row)
    statuses = table[table["field"] == "status"]
    assert statuses[["creative", "before", "after", "change"]].values.tolist() == [["static-c", "active", "paused", "pause"]]
    assert table["applies"].all() and (table["guardrail"] == "").all()


def test_changes_csv_has_the_columns_and_words_a_spreadsheet_keeps(demo, tmp_path):
    log, policy, result = demo
    changes = api.make_changes(result, policy, log=log)
    api.write_plan_outputs(result, policy, changes_dir=tmp_path / "changes", changes=changes)
    frame = pd.read_csv(tmp_path / "changes" / "changes.csv", dtype=str, keep_default_na=False)
    assert list(frame.columns) == CHANGE_COLUMNS
    up = frame[frame["segment"] == "exact-brand"].iloc[0]
    assert (up["before"], up["after"], up["change"]) == ("414.48", "538.82", "up 124.34 (+30.0 %)")
    assert up["reason"] == "capped by max_daily_change +30% of 414.48 EUR"
    assert frame[frame["segment"] == "interest-outdoor"].iloc[0]["change"] == "down 99.49 (-30.0 %)"
    assert not any(cell.startswith(("=", "+", "-", "@", "'")) for cell in frame.to_numpy().ravel())


def test_whole_unit_currencies_round_budgets_to_whole_units():
    assert currency_unit("JPY") == 1.0 and currency_unit("jpy") == 1.0 and currency_unit("EUR") == 0.01


def test_plan_changes_prints_the_table_and_writes_the_folder(runner, demo_log, demo_policy, tmp_path):
    output = ok(runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--changes", str(tmp_path / "out")]))
    assert "changes for 2026-11-25: 9 to apply (EUR per day)" in output
    assert "up 124.34 (+30.0 %)" in output and "static-c" in output
    assert (tmp_path / "out" / "changes.csv").exists()


def test_with_a_ledger_a_creative_the_last_plan_disabled_is_resumed_once_enabled(runner, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_total = 250.0\n[estimate]\nhalf_life_days = 2\n")
    db = tmp_path / "ledger.db"
    first = write_log(tmp_path / "w1.csv", _ab_rows(days("2026-03-01", 10), {"a": 0.05, "b": 0.005}))
    ok(runner.invoke(main, ["plan", str(first), "--policy", str(policy), "--ledger", str(db), "--changes", str(tmp_path / "d1")]))
    d1 = pd.read_csv(tmp_path / "d1" / "changes.csv", keep_default_na=False)
    assert d1[d1["field"] == "status"][["creative", "change"]].values.tolist() == [["b", "pause"]]

    later = write_log(tmp_path / "w2.csv", _ab_rows(days("2026-03-11", 1), {"a": 0.05, "b": 0.0}))
    ok(runner.invoke(main, ["plan", str(later), "--policy", str(policy), "--ledger", str(db), "--changes", str(tmp_path / "d2")]))
    d2 = pd.read_csv(tmp_path / "d2" / "changes.csv", keep_default_na=False)
    assert (d2["field"] == "status").sum() == 0  # b is still disabled: paused in the account already, nothing to do

    ok(runner.invoke(main, ["enable", "c/s/b", "--ledger", str(db)]))
    ok(runner.invoke(main, ["plan", "--policy", str(policy), "--ledger", str(db), "--replace", "--changes", str(tmp_path / "d3")]))
    d3 = pd.read_csv(tmp_path / "d3" / "changes.csv", keep_default_na=False)
    assert d3[d3["field"] == "status"][["creative", "before", "after", "change"]].values.tolist() == [["b", "paused", "active", "resume"]]
