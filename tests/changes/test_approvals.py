"""Approval with memory: approve changes, override a budget or keep a creative on until lifted, who/when in the
ledger, and history showing planned, approved and delivered side by side."""

from __future__ import annotations

import pandas as pd
import pytest

from budgetopt.cli import main
from tests.test_ledger import _ab_rows, days, failed, ok, query, write_log


@pytest.fixture
def ledger(runner, tmp_path):
    """A ledger with one plan (c/s: a converts, b does not), and the files to plan the next days."""
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_total = 250.0\n[estimate]\nhalf_life_days = 2\n")
    db = tmp_path / "ledger.db"
    first = write_log(tmp_path / "w1.csv", _ab_rows(days("2026-03-01", 10), {"a": 0.05, "b": 0.005}))
    ok(runner.invoke(main, ["plan", str(first), "--policy", str(policy), "--ledger", str(db)]))
    return db, policy, tmp_path


def test_approve_all_or_some_records_who_and_when(runner, ledger):
    db, _, _ = ledger
    said = ok(runner.invoke(main, ["approve", "c/s/b", "--ledger", str(db), "--by", "alice"]))
    assert "approved 1 change of the plan for 2026-03-11: c/s/b" in said
    said = ok(runner.invoke(main, ["approve", "--ledger", str(db), "--by", "bob"]))
    assert "approved 1 change of the plan for 2026-03-11: c/s" in said and "already approved: c/s/b" in said
    assert sorted((c, s, k, f, by) for _, c, s, k, f, by, _ in query(db, "SELECT * FROM approvals")) == [
        ("c", "s", "", "budget", "bob"), ("c", "s", "b", "status", "alice")]
    failed(runner.invoke(main, ["approve", "c/s/z", "--ledger", str(db)]), r"the plan for 2026-03-11 has no change 'c/s/z' to approve; did you mean")


def test_an_override_survives_the_next_plans_shows_in_history_and_lifting_returns_control(runner, ledger):
    db, policy, tmp = ledger
    ok(runner.invoke(main, ["override", "c/s", "--budget", "180", "--ledger", str(db), "--by", "alice"]))
    ok(runner.invoke(main, ["override", "c/s/b", "--keep", "--ledger", str(db), "--by", "alice"]))
    for i, day in enumerate(("2026-03-11", "2026-03-12")):
        log = write_log(tmp / f"d{i}.csv", _ab_rows([day], {"a": 0.05, "b": 0.005}))
        out = tmp / f"plan{i}.csv"
        ok(runner.invoke(main, ["plan", str(log), "--policy", str(policy), "--ledger", str(db), "--out", str(out), "--changes", str(tmp / f"c{i}")]))
        plan = pd.read_csv(out).set_index("creative")
        assert plan["segment_spend"].iloc[0] == 180.0 and plan.loc["b", "status"] == "active"  # both pins hold, day after day
        assert "kept on by override by alice on" not in plan.loc["a", "reason"]
    first = pd.read_csv(tmp / "c0" / "changes.csv", keep_default_na=False).set_index("field")
    assert first.loc["budget", "after"] == "180.00" and first.loc["budget", "guardrail"].startswith("override by alice on ")
    assert first.loc["status", "change"] == "resume"  # the last plan paused b; the override keeps it on
    # the latest plan changes nothing (the pins hold what the one before set): approve the one before
    assert "approved 0 changes of the plan for 2026-03-13" in ok(runner.invoke(main, ["approve", "--ledger", str(db)]))
    ok(runner.invoke(main, ["approve", "--date", "2026-03-12", "--ledger", str(db), "--by", "bob"]))
    history = " ".join(ok(runner.invoke(main, ["history", "--ledger", str(db)])).split())
    assert "changes: planned, approved, delivered" in history
    assert "2026-03-12 c / s budget 250.00 180.00 bob 20" in history and "spent 200.00 override by alice on" in history
    assert "override held: c/s: budget 180.00 (by alice on" in history and "override held: c/s/b: kept on (by alice on" in history

    ok(runner.invoke(main, ["override", "c/s", "--lift", "--ledger", str(db), "--by", "bob"]))
    ok(runner.invoke(main, ["override", "c/s/b", "--lift", "--ledger", str(db), "--by", "bob"]))
    log = write_log(tmp / "d2.csv", _ab_rows(["2026-03-13"], {"a": 0.05, "b": 0.005}))
    ok(runner.invoke(main, ["plan", str(log), "--policy", str(policy), "--ledger", str(db), "--out", str(tmp / "p2.csv")]))
    plan = pd.read_csv(tmp / "p2.csv").set_index("creative")
    assert plan["segment_spend"].iloc[0] != 180.0 and plan.loc["b", "status"] == "disabled"  # the engine decides again
    assert query(db, "SELECT by, lifted_by FROM overrides ORDER BY id") == [("alice", "bob"), ("alice", "bob")]
    assert query(db, "SELECT count(*) FROM plan_overrides WHERE date = '2026-03-14'") == [(0,)]


@pytest.mark.parametrize("args, message", [
    (["override", "c/s"], r"give exactly one of --budget X, --keep or --lift \(got none\)"),
    (["override", "c/s", "--budget", "10", "--keep"], r"give exactly one of --budget X, --keep or --lift \(got --budget, --keep\)"),
    (["override", "c/s", "--budget", "-5"], r"--budget must be a number of currency ≥ 0, got -5"),
    (["override", "c/x", "--budget", "5"], r"no planned segment 'c/x'; did you mean 'c/s'\?"),
    (["override", "c/s/z", "--keep"], r"no planned cell 'c/s/z'; did you mean"),
    (["override", "c/s", "--lift"], r"no override is held on 'c/s'"),
    (["approve", "--date", "2026-01-01"], r"the ledger has no plan for 2026-01-01"),
])
def test_misuse_is_exit_2_with_one_line(runner, ledger, args, message):
    db, _, _ = ledger
    failed(runner.invoke(main, [*args, "--ledger", str(db)]), message)
