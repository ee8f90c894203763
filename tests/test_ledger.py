"""The ledger and its commands: idempotent ingest, corrections, plans that carry over, enable, history, migrations."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from budgetopt.cli import main
from budgetopt.config import load_policy
from budgetopt.data import load_log
from budgetopt.errors import InputError
from budgetopt.ledger import (
    HISTORY_COLUMNS,
    MIGRATIONS,
    ingest,
    open_ledger,
    schema_version,
)
from budgetopt.ledger.schema import APPLICATION_ID

HEAD = "date,campaign,segment,creative,spend,visits,conversions,revenue\n"
STATIC_C = "prospecting-social/women-25-34/static-c"


def write_log(path: Path, rows: list[tuple]) -> Path:
    path.write_text(HEAD + "".join(",".join(str(v) for v in row) + "\n" for row in rows), encoding="utf-8")
    return path


def days(first: str, n: int) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in pd.date_range(first, periods=n)]


def query(db: Path, sql: str, *parameters) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, parameters).fetchall()
    finally:
        con.close()


def ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.stderr)
    return result.output


def failed(result, pattern: str) -> str:
    """Exit 2, one line on stderr matching `pattern`."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("budgetopt: error:"), result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


def test_ingest_is_idempotent_and_all_or_nothing(runner, demo_log, tmp_path):
    db = tmp_path / "ledger.db"
    first = ok(runner.invoke(main, ["ingest", str(demo_log), "--ledger", str(db)]))
    assert "558 rows: 558 new, 0 replaced, 0 unchanged" in first
    again = ok(runner.invoke(main, ["ingest", str(demo_log), "--ledger", str(db)]))
    assert "558 rows: 0 new, 0 replaced, 558 unchanged" in again
    assert query(db, "SELECT count(*) FROM observations") == [(558,)]
    assert query(db, "SELECT kind, json_extract(detail, '$.new') FROM events ORDER BY id") == [("ingest", 558), ("ingest", 0)]

    # one bad row: nothing of the file is stored
    rows = pd.read_csv(demo_log).head(40)
    bad = rows.assign(date="2027-01-01")
    bad.loc[30, "spend"] = -1
    bad_path = tmp_path / "bad.csv"
    bad.to_csv(bad_path, index=False)
    failed(runner.invoke(main, ["ingest", str(bad_path), "--ledger", str(db)]), r"bad.csv: row 31 \(line 32\), column 'spend'")
    assert query(db, "SELECT count(*) FROM observations") == [(558,)]


def test_an_ingest_interrupted_midway_leaves_the_ledger_as_it_was(demo_log, tmp_path):
    log = load_log(demo_log)
    with open_ledger(tmp_path / "l.db", create=True) as ledger:
        ingest(ledger, log.head(100))

        def interrupt(done: int, total: int) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            ingest(ledger, log.assign(revenue=log["revenue"] + 1), progress=interrupt, chunk_rows=200)
        assert ledger.connection.execute("SELECT count(*), sum(revenue) FROM observations").fetchone() == pytest.approx(
            (100, log["revenue"].head(100).sum())
        )
        assert ledger.connection.execute("SELECT count(*) FROM events").fetchone() == (1,)


def test_a_corrected_row_replaces_the_stored_one_and_the_old_values_are_kept(runner, demo_log, tmp_path):
    db = tmp_path / "ledger.db"
    ok(runner.invoke(main, ["ingest", str(demo_log), "--ledger", str(db)]))
    corrected = pd.read_csv(demo_log)
    corrected.loc[5, "revenue"] = 1234.5  # the platform restated one day of one creative
    first = corrected.iloc[5]
    path = tmp_path / "corrected.csv"
    corrected.to_csv(path, index=False)
    output = ok(runner.invoke(main, ["ingest", str(path), "--ledger", str(db)]))
    cell = f"{first['campaign']}/{first['segment']}/{first['creative']}"
    assert "558 rows: 0 new, 1 replaced, 557 unchanged" in output
    assert f"corrected: {first['date']} {cell}" in output
    key = (first["date"], first["campaign"], first["segment"], first["creative"])
    where = "date = ? AND campaign = ? AND segment = ? AND creative = ?"
    assert query(db, f"SELECT revenue FROM observations WHERE {where}", *key) == [(1234.5,)]
    original = pd.read_csv(demo_log).iloc[5]["revenue"]
    assert query(db, f"SELECT revenue FROM replaced_observations WHERE {where}", *key) == [(original,)]


def test_view_through_logs_are_checked_against_the_policys_exposure(runner, tmp_path):
    log = tmp_path / "vt.csv"
    rows = [(d, "c", "s", k, 50, 100, 130 if k == "a" else 3, 900, 5000) for d in days("2026-01-01", 5) for k in ("a", "b")]
    log.write_text(HEAD.strip() + ",impressions\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    impressions = tmp_path / "impressions.toml"
    impressions.write_text('[budget]\ndaily_total = 200.0\n[estimate]\nexposure = "impressions"\n')
    visits = tmp_path / "visits.toml"
    visits.write_text("[budget]\ndaily_total = 200.0\n")
    db = tmp_path / "ledger.db"

    failed(runner.invoke(main, ["ingest", str(log), "--ledger", str(db)]), r'conversions exceed visits.*exposure = "impressions"')
    ok(runner.invoke(main, ["ingest", str(log), "--ledger", str(db), "--policy", str(impressions)]))
    failed(
        runner.invoke(main, ["plan", "--ledger", str(db), "--policy", str(visits)]),
        r"5 stored rows \(first: 2026-01-01 c/s/a\) have more conversions than visits.*exposure = \"impressions\"",
    )
    ok(runner.invoke(main, ["plan", "--ledger", str(db), "--policy", str(impressions)]))


def test_a_plan_from_a_fresh_ledger_is_the_plan_from_the_log(runner, demo_log, demo_policy, tmp_path):
    direct, stored = tmp_path / "direct.csv", tmp_path / "stored.csv"
    ok(runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--out", str(direct)]))
    db = tmp_path / "ledger.db"
    output = ok(runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--ledger", str(db), "--out", str(stored)]))
    assert direct.read_text() == stored.read_text()
    assert "558 new" in output and "stored the plan for 2026-11-25" in output
    plan = pd.read_csv(stored)
    assert query(db, "SELECT count(*) FROM plan_cells WHERE date = '2026-11-25'") == [(len(plan),)]
    assert query(db, "SELECT count(*) FROM decisions WHERE date = '2026-11-25'") == [(len(plan),)]
    (total,) = query(db, "SELECT total_spend FROM plans WHERE date = '2026-11-25'")[0]
    assert total == pytest.approx(plan["spend"].sum(), rel=1e-6)


def test_a_second_plan_for_the_same_date_needs_replace_and_changes_nothing_without_it(runner, demo_log, demo_policy, tmp_path):
    db = tmp_path / "ledger.db"
    ok(runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--ledger", str(db)]))
    before = query(db, "SELECT count(*), max(id) FROM events")
    # a new log row comes with the refused plan: it is not ingested either (one transaction)
    extra = write_log(tmp_path / "extra.csv", [("2026-11-20", "brand-search", "exact-brand", "rsa-new", 10, 20, 1, 50)])
    out = tmp_path / "plan.csv"
    failed(
        runner.invoke(main, ["plan", str(extra), "--policy", str(demo_policy), "--ledger", str(db), "--out", str(out)]),
        r"ledger.db: the ledger already has a plan for 2026-11-25; pass --replace",
    )
    assert not out.exists()
    assert query(db, "SELECT count(*), max(id) FROM events") == before
    assert query(db, "SELECT count(*) FROM observations WHERE creative = 'rsa-new'") == [(0,)]

    output = ok(runner.invoke(main, ["plan", str(extra), "--policy", str(demo_policy), "--ledger", str(db), "--replace"]))
    assert "replaced the plan for 2026-11-25" in output
    assert query(db, "SELECT count(*) FROM plans") == [(1,)]
    assert query(db, "SELECT count(*) FROM plan_cells WHERE creative = 'rsa-new'") == [(1,)]
    assert query(db, "SELECT json_extract(detail, '$.replaced') FROM events WHERE kind = 'plan' ORDER BY id") == [(0,), (1,)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--policy", "{policy}"], r"give a performance LOG, or --ledger DB"),
        (["plan", "{log}", "--policy", "{policy}", "--replace"], r"--replace applies to a plan stored in a ledger"),
        (["plan", "--policy", "{policy}", "--ledger", "{tmp}/missing.db"], r"missing.db: no ledger here; start one with `budgetopt ingest"),
        (["history", "--ledger", "{tmp}/missing.db"], r"missing.db: no ledger here"),
        (["enable", "c/s/k", "--ledger", "{tmp}/missing.db"], r"missing.db: no ledger here"),
        (["ingest", "{log}", "--ledger", "{tmp}/no/such/folder/l.db"], r"the folder .* does not exist"),
    ],
)
def test_ledger_options_misused_exit_2_with_one_line(runner, demo_log, demo_policy, tmp_path, args, message):
    filled = [a.format(log=demo_log, policy=demo_policy, tmp=tmp_path) for a in args]
    failed(runner.invoke(main, filled), message)
    assert not (tmp_path / "missing.db").exists()


def _ab_rows(dates: list[str], cvr: dict[str, float]) -> list[tuple]:
    """One segment c/s with creatives a and b: 100 EUR and 400 visits a day each, 60 EUR per order."""
    return [(d, "c", "s", k, 100, 400, round(400 * cvr[k]), 60 * round(400 * cvr[k])) for d in dates for k in ("a", "b")]


def test_a_disabled_creative_stays_disabled_next_day_until_enabled(runner, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_total = 250.0\n[estimate]\nhalf_life_days = 2\n")
    db = tmp_path / "ledger.db"
    first = write_log(tmp_path / "w1.csv", _ab_rows(days("2026-03-01", 10), {"a": 0.05, "b": 0.005}))
    plan1, plan2 = tmp_path / "p1.csv", tmp_path / "p2.csv"
    ok(runner.invoke(main, ["plan", str(first), "--policy", str(policy), "--ledger", str(db), "--out", str(plan1)]))
    b1 = pd.read_csv(plan1).set_index("creative").loc["b"]
    assert b1["status"] == "disabled" and b1["reason"].startswith("disabled: ")

    # b kept running in the platform and turned out far better: on this evidence alone the engine keeps it
    later_rows = _ab_rows(days("2026-03-11", 4), {"a": 0.01, "b": 0.15})
    later = write_log(tmp_path / "w2.csv", later_rows)
    both = write_log(tmp_path / "both.csv", _ab_rows(days("2026-03-01", 10), {"a": 0.05, "b": 0.005}) + later_rows)
    alone = tmp_path / "alone.csv"
    ok(runner.invoke(main, ["plan", str(both), "--policy", str(policy), "--out", str(alone)]))
    assert pd.read_csv(alone).set_index("creative").loc["b", "status"] == "active"

    output = ok(runner.invoke(main, ["plan", str(later), "--policy", str(policy), "--ledger", str(db), "--out", str(plan2)]))
    assert "kept disabled from earlier days: c/s/b" in output
    b2 = pd.read_csv(plan2).set_index("creative").loc["b"]
    assert b2["status"] == "disabled" and b2["spend"] == 0
    assert b2["reason"] == "disabled earlier by the decision engine; re-enable it to test it again"

    enabled = " ".join(ok(runner.invoke(main, ["enable", "c/s/b", "c/s/a", "--ledger", str(db)])).split())
    assert "re-enabled c/s/b: the next plan judges it afresh" in enabled
    assert "left alone c/s/a: not disabled (it is active in the plan for 2026-03-15)" in enabled
    again = " ".join(ok(runner.invoke(main, ["enable", "c/s/b", "--ledger", str(db)])).split())
    assert "left alone c/s/b: already re-enabled for the next plan" in again
    assert query(db, "SELECT campaign, segment, creative FROM enables") == [("c", "s", "b")]

    ok(runner.invoke(main, ["plan", "--policy", str(policy), "--ledger", str(db), "--replace", "--out", str(plan2)]))
    assert pd.read_csv(plan2).set_index("creative").loc["b", "status"] == "active"
    # and the plan after that no longer carries the old verdict either
    ok(runner.invoke(main, ["plan", "--policy", str(policy), "--ledger", str(db), "--date", "2026-03-16", "--out", str(plan2)]))
    assert pd.read_csv(plan2).set_index("creative").loc["b", "status"] == "active"


def test_max_daily_change_is_measured_from_the_stored_previous_plan(runner, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_total = 1000.0\nmax_daily_change = 0.3\n[segments]\nexploration = 0.0\n")
    db = tmp_path / "ledger.db"
    rows = [(d, "c", s, "a", 100, 300, 15, 900) for d in days("2026-05-01", 7) for s in ("s1", "s2")]
    first_summary, second_summary = tmp_path / "s1.json", tmp_path / "s2.json"
    ok(runner.invoke(main, ["plan", str(write_log(tmp_path / "w1.csv", rows)), "--policy", str(policy), "--ledger", str(db), "--summary", str(first_summary)]))
    planned = {s["segment"]: s["after"] for s in json.loads(first_summary.read_text())["segments"]}
    assert planned == pytest.approx({"s1": 130.0, "s2": 130.0})  # both profitable: +30 % of the log's 100

    # the traffic manager typed 200 per segment instead; the next plan moves at most ±30 % from the stored plan
    typed = [("2026-05-08", "c", s, "a", 200, 600, 30, 1800) for s in ("s1", "s2")]
    ok(runner.invoke(main, ["plan", str(write_log(tmp_path / "w2.csv", typed)), "--policy", str(policy), "--ledger", str(db), "--summary", str(second_summary)]))
    for segment in json.loads(second_summary.read_text())["segments"]:
        assert segment["before"] == pytest.approx(planned[segment["segment"]])
        assert segment["after"] == pytest.approx(1.3 * planned[segment["segment"]])  # 169, not 260 (= 1.3 × 200)

    history_csv = tmp_path / "history.csv"
    output = ok(runner.invoke(main, ["history", "--ledger", str(db), "--out", str(history_csv)]))
    assert "plans against what happened" in output
    history = pd.read_csv(history_csv)
    assert list(history.columns) == HISTORY_COLUMNS
    assert list(history["date"]) == ["2026-05-08", "2026-05-09"]
    day = history.iloc[0]
    assert day["planned_spend"] == pytest.approx(260.0) and day["actual_spend"] == pytest.approx(400.0)
    assert day["actual_margin"] == pytest.approx(2 * 1800 - 400.0)
    assert day["outcome"] == "off plan (2 cells)"  # 200 spent where 130 was planned: the interval does not apply
    assert history.iloc[1]["outcome"] == "no data yet" and np.isnan(history.iloc[1]["actual_spend"])

    cell = tmp_path / "cell.csv"
    ok(runner.invoke(main, ["history", "--ledger", str(db), "--cell", "c/s1/a", "--out", str(cell)]))
    one = pd.read_csv(cell).iloc[0]
    assert (one["status"], one["planned_spend"], one["actual_spend"], one["actual_margin"]) == ("active", pytest.approx(130.0), 200.0, 1600.0)
    assert one["outcome"] == "off plan"


def test_history_compares_margins_with_the_interval_only_where_the_plan_was_followed(runner, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_total = 1000.0\n[segments]\nexploration = 0.0\n")
    db = tmp_path / "ledger.db"
    rows = [(d, "c", s, "a", 100, 300, 15, 900) for d in days("2026-05-01", 7) for s in ("s1", "s2")]
    plan = tmp_path / "plan.csv"
    ok(runner.invoke(main, ["plan", str(write_log(tmp_path / "w1.csv", rows)), "--policy", str(policy), "--ledger", str(db), "--out", str(plan)]))
    planned = pd.read_csv(plan).set_index("segment")
    # s1 follows its plan (within 10 %) and earns far more than expected; s2 has no row: it did not run
    followed = [("2026-05-08", "c", "s1", "a", round(planned.loc["s1", "spend"] * 1.05, 2), 600, 100, 50_000)]
    ok(runner.invoke(main, ["ingest", str(write_log(tmp_path / "w2.csv", followed)), "--ledger", str(db)]))
    table = {}
    for cell in ("c/s1/a", "c/s2/a", None):
        out = tmp_path / "h.csv"
        ok(runner.invoke(main, ["history", "--ledger", str(db), "--out", str(out), *(["--cell", cell] if cell else [])]))
        table[cell] = pd.read_csv(out).iloc[0]
    assert table["c/s1/a"]["outcome"] == "above"
    assert (table["c/s2/a"]["actual_spend"], table["c/s2/a"]["actual_margin"], table["c/s2/a"]["outcome"]) == (0.0, 0.0, "off plan")
    assert table[None]["outcome"] == "off plan (1 cell)"


def test_cells_are_matched_whole_even_when_names_contain_slashes(runner, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_total = 250.0\n")
    rows = [(d, "brand/search", "s", k, 100, 400, 20, 1200) for d in days("2026-03-01", 3) for k in ("=a", "b")]
    db = tmp_path / "ledger.db"
    ok(runner.invoke(main, ["plan", str(write_log(tmp_path / "l.csv", rows)), "--policy", str(policy), "--ledger", str(db)]))
    history = tmp_path / "h.csv"
    ok(runner.invoke(main, ["history", "--ledger", str(db), "--cell", "brand/search/s/=a", "--out", str(history)]))
    assert pd.read_csv(history)["status"].tolist() == ["active"]
    failed(runner.invoke(main, ["history", "--ledger", str(db), "--cell", "brand/search/s/a"]), r"no planned cell 'brand/search/s/a'; did you mean 'brand/search/s/=a'")
    failed(runner.invoke(main, ["enable", "brand/search/s/b", "nope/s/b", "--ledger", str(db)]), r"no planned cell 'nope/s/b'")
    assert query(db, "SELECT count(*) FROM events WHERE kind = 'enable'") == [(0,)]


def test_a_new_ledger_is_at_the_latest_schema_in_wal_mode(demo_log, tmp_path):
    db = tmp_path / "ledger.db"
    with open_ledger(db, create=True):
        pass
    assert query(db, "SELECT version FROM schema_version") == [(schema_version(),)]
    assert query(db, "PRAGMA journal_mode") == [("wal",)]
    assert query(db, "PRAGMA application_id") == [(APPLICATION_ID,)]


def test_opening_a_ledger_applies_only_the_missing_migrations_in_one_transaction(monkeypatch, demo_log, tmp_path):
    db = tmp_path / "ledger.db"
    with open_ledger(db, create=True) as ledger:
        ingest(ledger, load_log(demo_log))
    version = schema_version()

    def broken(con: sqlite3.Connection) -> None:
        con.execute("ALTER TABLE observations ADD COLUMN clicks REAL")
        raise sqlite3.OperationalError("simulated failure halfway through a migration")

    monkeypatch.setattr("budgetopt.ledger.schema.MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(sqlite3.OperationalError, match="simulated failure"):
        open_ledger(db)
    assert query(db, "SELECT version FROM schema_version") == [(version,)]
    assert "clicks" not in [row[1] for row in query(db, "PRAGMA table_info(observations)")]

    applied = []

    def add_clicks(con: sqlite3.Connection) -> None:
        applied.append(True)
        con.execute("ALTER TABLE observations ADD COLUMN clicks REAL")

    monkeypatch.setattr("budgetopt.ledger.schema.MIGRATIONS", [*MIGRATIONS, add_clicks])
    for _ in range(2):
        with open_ledger(db):
            pass
    assert applied == [True]
    assert query(db, "SELECT version FROM schema_version") == [(version + 1,)]
    assert query(db, "SELECT count(*) FROM observations WHERE clicks IS NULL") == [(558,)]


def test_a_ledger_from_a_newer_budgetopt_is_refused(tmp_path):
    db = tmp_path / "ledger.db"
    with open_ledger(db, create=True) as ledger:
        ledger.connection.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(InputError, match=r"made by a newer budgetopt \(schema version 99, this one knows up to \d+\); upgrade budgetopt"):
        open_ledger(db)


def test_read_observations_types_the_history_as_load_log_does(demo_log, demo_policy, tmp_path):
    from budgetopt.ledger import read_observations

    log = load_log(demo_log)
    with open_ledger(tmp_path / "l.db", create=True) as ledger:
        ingest(ledger, log)
        stored = read_observations(ledger, exposure=load_policy(demo_policy).estimate.exposure)
        before = read_observations(ledger, before="2026-11-01")
    pd.testing.assert_frame_equal(stored, log[stored.columns], check_dtype=False)
    assert stored.dtypes.to_dict() == log[stored.columns].dtypes.to_dict()
    assert before["date"].max() == pd.Timestamp("2026-10-31")


def test_a_re_enabled_creative_is_judged_only_on_what_it_does_after(runner, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_total = 250.0\n")
    db = tmp_path / "ledger.db"
    log = write_log(tmp_path / "w1.csv", _ab_rows(days("2026-03-01", 10), {"a": 0.05, "b": 0.005}))
    plan = tmp_path / "plan.csv"
    ok(runner.invoke(main, ["plan", str(log), "--policy", str(policy), "--ledger", str(db), "--out", str(plan)]))
    assert pd.read_csv(plan).set_index("creative").loc["b", "status"] == "disabled"
    ok(runner.invoke(main, ["enable", "c/s/b", "--ledger", str(db)]))
    ok(runner.invoke(main, ["plan", "--policy", str(policy), "--ledger", str(db), "--replace", "--out", str(plan)]))
    b = pd.read_csv(plan).set_index("creative").loc["b"]
    # its 4,000 visits at 0.5 % are set aside: no new visits yet, so it is too early to judge, and it gets traffic
    assert b["status"] == "active" and b["spend"] > 0
    assert "so far; an even share at most until its visits could bring 5 conversions" in b["reason"] and "too early: 0 visits" in b["reason"]
