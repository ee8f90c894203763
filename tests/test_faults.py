"""Fault injection: every family of hostile input, through the `budgetopt` command as a user runs it.

Whatever the input, a run ends in exit 0 with a correct result or exit 2 with exactly one line on
stderr; never exit 1, never a traceback, never a numpy warning; no input file is changed (log, policy,
ledger, split: compared byte for byte); a ledger stays a sound SQLite database. Families: the log,
the policy, output paths, the ledger, hostile names, and the simulator's bounded work.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sqlite3
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from budgetopt.cli import main

HEAD = "date,campaign,segment,creative,spend,impressions,visits,conversions,revenue"
POLICY = "[budget]\ndaily_total = 1000.0\n"
SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "stable.toml"


def rows(spend: str = "50", revenue: str = "200", visits: str = "100", impressions: str = "2000", conversions: str = "5") -> list[list[str]]:
    """Three days × two segments × two creatives; the first row takes the values given."""
    out = []
    for day in (1, 2, 3):
        for segment in ("exact", "broad"):
            for creative in ("a", "b"):
                out.append([f"2026-01-0{day}", "search", segment, creative, "50", "2000", "100", "5", "200"])
    out[0][4:9] = [spend, impressions, visits, conversions, revenue]
    return out


def csv_text(body: list[list[str]], header: str = HEAD, sep: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(body)
    return buffer.getvalue()


GOOD_LOG = csv_text(rows())


def digest(path: Path) -> str | None:
    """The bytes of a file (None: no file), to tell that an input was not changed."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def run(runner, args: list, inputs: list[Path] = (), ledger: Path | None = None, expect: int | None = None, message: str | None = None):
    """Run budgetopt; check the invariants of every run, then the expected exit code and error line."""
    before = {path: digest(path) for path in inputs}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(main, [str(a) for a in args])
    assert result.exit_code in (0, 2), (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("budgetopt: error: "), result.stderr
    assert {path: digest(path) for path in inputs} == before, "an input file was changed"
    if ledger is not None and ledger.exists():
        assert integrity(ledger) == "ok"
    if expect is not None:
        assert result.exit_code == expect, (result.stdout, result.stderr)
    if message is not None:
        assert re.search(message, result.stderr), result.stderr
    return result


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    """A good log and policy in a fresh folder."""
    return write(tmp_path / "log.csv", GOOD_LOG), write(tmp_path / "policy.toml", POLICY)


def plan_spend(path: Path) -> pd.Series:
    plan = pd.read_csv(path)
    return plan.set_index(["campaign", "segment", "creative"])["spend"].sort_index()


# --- the log ----------------------------------------------------------------------------------------

LOGS = [
    ("empty file", "", 2, r"the file is empty"),
    ("header only", HEAD + "\n", 2, r"the log has no rows"),
    ("binary junk", bytes(range(256)) * 4, 2, r"log\.csv: "),
    ("negative spend", csv_text(rows(spend="-50")), 2, r"row 1 \(line 2\), column 'spend': spend must be ≥ 0"),
    ("conversions above visits", csv_text(rows(conversions="500")), 2, r"row 1 \(line 2\), column 'conversions': conversions exceed visits"),
    ("1e308 spend", csv_text(rows(spend="1e308")), 2, r"row 1 \(line 2\), column 'spend': spend above 1e12"),
    ("1e308 revenue", csv_text(rows(revenue="1e308")), 2, r"row 1 \(line 2\), column 'revenue': revenue above 1e12"),
    ("1e308 visits", csv_text(rows(visits="1e308", impressions="1e308")), 2, r"column 'visits': visits above 1e12"),
    ("1e308 impressions", csv_text(rows(impressions="1e308")), 2, r"column 'impressions': impressions above 1e12"),
    ("1e308 conversions", csv_text(rows(conversions="1e308")), 2, r"column 'conversions': conversions above 1e12"),
    ("inf spend", csv_text(rows(spend="inf")), 2, r"column 'spend': not a finite number"),
    ("unknown date", GOOD_LOG.replace("2026-01-01", "2026-02-30", 1), 2, r"row 1 \(line 2\), column 'date': not an ISO date"),
    ("a word for a date", GOOD_LOG.replace("2026-01-01", "yesterday", 1), 2, r"column 'date'"),
    ("all-zero spend", csv_text([r[:4] + ["0"] + r[5:] for r in rows()]), 2, r"the log has no spend at all: budgets cannot be learned from it"),
    ("spend and Spend", csv_text([r + ["1"] for r in rows()], HEAD + ",Spend"), 2, r"columns 'spend' \(column 5\) and 'Spend' \(column 10\) both read as spend"),
    ("a name and no number", GOOD_LOG.replace(",50,2000,", ",lots,2000,", 1), 2, r"column 'spend': not a finite number \(got 'lots'\)"),
]


@pytest.mark.parametrize(("text", "code", "message"), [pytest.param(*c[1:], id=c[0]) for c in LOGS])
def test_a_hostile_log_is_one_line(runner, tmp_path, files, text, code, message):
    log, policy = write(tmp_path / "log.csv", text), files[1]
    out = tmp_path / "plan.csv"
    run(runner, ["plan", log, "--policy", policy, "--out", out], [log, policy], expect=code, message=message)
    assert not out.exists()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(GOOD_LOG.replace("\n", ",\n"), id="trailing separators"),
        pytest.param(csv_text([r[:4] + [r[4].replace(".", ",") + ",00"] + r[5:8] + [r[8] + ",00"] for r in rows()], sep=";"), id="semicolons and decimal commas"),
        pytest.param(GOOD_LOG.replace("spend", "Spend", 1), id="Spend for spend"),
        pytest.param("\ufeff" + GOOD_LOG.replace("\n", "\r\n"), id="BOM and CRLF"),
    ],
)
def test_a_log_in_another_dress_gives_the_same_plan(runner, tmp_path, files, text):
    baseline = tmp_path / "baseline.csv"
    run(runner, ["plan", files[0], "--policy", files[1], "--out", baseline], list(files), expect=0)
    log = write(tmp_path / "dressed.csv", text)
    out = tmp_path / "plan.csv"
    run(runner, ["plan", log, "--policy", files[1], "--out", out], [log, files[1]], expect=0)
    pd.testing.assert_series_equal(plan_spend(out), plan_spend(baseline))


def test_a_date_in_2099_plans_the_day_after_it_and_says_so(runner, tmp_path, files):
    log = write(tmp_path / "log.csv", GOOD_LOG + "2099-01-01,search,exact,a,50,2000,100,5,200\n")
    summary = tmp_path / "summary.json"
    run(runner, ["plan", log, "--policy", files[1], "--summary", summary], [log, files[1]], expect=0)
    assert '"date": "2099-01-02"' in summary.read_text()


# --- the policy -------------------------------------------------------------------------------------

POLICIES = [
    ("typo", "[budget]\ndaily_totl = 1000\n", r"daily_totl: unknown key \(did you mean 'daily_total'\?\)"),
    ("boolean daily_total", "[budget]\ndaily_total = true\n", r"\[budget\] daily_total: expected a number, got a boolean \(true\)$"),
    ("boolean min_total", POLICY + "min_total = true\n", r"\[budget\] min_total: expected a number, got a boolean \(true\)$"),
    ("boolean max_daily_change", POLICY + "max_daily_change = true\n", r"\[budget\] max_daily_change: expected a number, got a boolean \(true\)$"),
    ("nan", "[budget]\ndaily_total = nan\n", r"daily_total: expected a finite number, got nan"),
    ("1e300", "[budget]\ndaily_total = 1e300\nmin_total = 1e300\n", r"daily_total: expected a number of at most 1e12"),
    ("min_total above daily_total", POLICY + "min_total = 2000.0\n", r"\[budget\]: min_total \(2000\) is above daily_total \(1000\)"),
    ("infeasible bounds", POLICY + '[[bounds]]\ncampaign = "search"\nmin = 900\nmax = 950\n[[bounds]]\nsegment = "exact"\nmin = 990\n',
     r"cannot all hold together"),
    ("min_share too big", POLICY + "[decide]\nmin_share = 0.6\n", r"\[decide\] min_share 0\.6 × 2 active creatives in search/(exact|broad) = 1\.2 > 1 \(and 1 more segment\); lower min_share to at most 0\.50"),
    ("not TOML", "daily_total: 1000\n", r"not valid TOML"),
    ("empty", "", r"\[budget\]: required key is missing"),
    ("a table for a number", "[budget]\ndaily_total = { value = 5 }\n", r"\[budget\] daily_total: Input should be a valid number, got \{'value': 5\}$"),
]


@pytest.mark.parametrize(("text", "message"), [pytest.param(*c[1:], id=c[0]) for c in POLICIES])
def test_a_hostile_policy_is_one_line(runner, tmp_path, files, text, message):
    policy = write(tmp_path / "policy.toml", text)
    out = tmp_path / "plan.csv"
    run(runner, ["plan", files[0], "--policy", policy, "--out", out], [files[0], policy], expect=2, message=message)
    assert not out.exists()


def test_an_int_for_a_float_is_fine(runner, tmp_path, files):
    policy = write(tmp_path / "policy.toml", "[budget]\ndaily_total = 1000\nmin_total = 0\n")
    run(runner, ["plan", files[0], "--policy", policy], [files[0], policy], expect=0)


# --- output paths -----------------------------------------------------------------------------------


@pytest.fixture
def ledger(runner, tmp_path, files):
    db = tmp_path / "ads.db"
    run(runner, ["ingest", files[0], "--ledger", db], [files[0]], expect=0)
    return db


def test_an_output_that_is_an_input_is_refused(runner, tmp_path, files, ledger):
    log, policy = files
    every = [log, policy, ledger]
    run(runner, ["plan", log, "--policy", policy, "--out", log], every, ledger, 2, r"--out .*log\.csv: it is the same file as the input LOG")
    run(runner, ["plan", log, "--policy", policy, "--summary", policy], every, ledger, 2, r"the same file as the input --policy")
    run(runner, ["plan", "--ledger", ledger, "--policy", policy, "--out", ledger], every, ledger, 2, r"the same file as the input --ledger")
    run(runner, ["history", "--ledger", ledger, "--out", ledger], every, ledger, 2, r"the same file as the input --ledger")
    split = write(tmp_path / "split.csv", "campaign,segment,spend\nsearch,exact,100\n")
    run(runner, ["whatif", log, "--policy", policy, "--split", split, "--out", split], [*every, split], None, 2, r"the same file as the input --split")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda d: ["--out", d / "x.csv", "--decisions", d / "x.csv"], r"--out and --decisions both name", id="two outputs at one path"),
        pytest.param(lambda d: ["--out", d], r"is a directory", id="a folder"),
        pytest.param(lambda d: (os.mkfifo(d / "fifo"), ["--out", d / "fifo"])[1], r"it is a FIFO", id="a FIFO"),
        pytest.param(lambda d: ["--out", "/proc/budgetopt-nowhere/plan.csv"], r"cannot write --out /proc/budgetopt-nowhere/plan\.csv", id="missing read-only place"),
        pytest.param(lambda d: ["--out", d / ("x" * 300 + ".csv")], r"longer than the 255 bytes", id="a 300-character name"),
        pytest.param(lambda d: ["--export-lp", d / "model.txt"], r"--export-lp", id="a model of no known kind"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_any_work(runner, tmp_path, files, make, message):
    folder = tmp_path / "out"
    folder.mkdir()
    run(runner, ["plan", files[0], "--policy", files[1], *make(folder)], list(files), expect=2, message=message)
    assert [p.name for p in folder.iterdir() if not p.name.startswith("fifo")] == []


def test_a_symlink_is_written_through_and_stays_a_link(runner, tmp_path, files):
    target = write(tmp_path / "real-plan.csv", "old\n")
    link = tmp_path / "plan.csv"
    link.symlink_to(target)
    run(runner, ["plan", files[0], "--policy", files[1], "--out", link], list(files), expect=0)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text().startswith("date,campaign,segment,creative")


def test_a_report_folder_with_a_users_index_is_refused_without_force(runner, tmp_path, files):
    folder = tmp_path / "report"
    folder.mkdir()
    mine = write(folder / "index.html", "<p>my own page</p>\n")
    notes = write(folder / "notes.txt", "mine too\n")
    run(runner, ["plan", files[0], "--policy", files[1], "--report", folder], [*files, mine, notes], expect=2,
        message=r"holds files budgetopt did not write .*pass --force")
    assert sorted(p.name for p in folder.iterdir()) == ["index.html", "notes.txt"]


# --- the ledger -------------------------------------------------------------------------------------


def test_a_file_that_is_not_a_ledger_is_refused_and_left_alone(runner, tmp_path, files):
    log, policy = files
    run(runner, ["plan", "--ledger", log, "--policy", policy], list(files), expect=2, message=r"is not a budgetopt ledger")
    run(runner, ["ingest", log, "--ledger", policy], list(files), expect=2, message=r"is not a budgetopt ledger")
    run(runner, ["history", "--ledger", log], list(files), expect=2, message=r"is not a budgetopt ledger")


def test_a_ledger_that_is_not_a_regular_file_is_refused(runner, tmp_path, files):
    fifo = tmp_path / "ads.fifo"
    os.mkfifo(fifo)
    for ledger in (fifo, Path("/dev/null")):
        run(runner, ["ingest", files[0], "--ledger", ledger], list(files), expect=2, message=r"is not a regular file \(a FIFO, a device or a socket\)")
        run(runner, ["plan", "--ledger", ledger, "--policy", files[1]], list(files), expect=2, message=r"is not a regular file")


def test_a_wait_of_nan_seconds_is_refused(runner, files, ledger):
    run(runner, ["plan", "--ledger", ledger, "--policy", files[1], "--wait", "nan"], [*files, ledger], ledger, 2, r"--wait.*nan is not a number of seconds")


def test_a_second_plan_for_a_date_needs_replace_and_leaves_the_ledger_whole(runner, tmp_path, files, ledger):
    log, policy = files
    run(runner, ["plan", "--ledger", ledger, "--policy", policy], [log, policy], ledger, expect=0)
    run(runner, ["plan", "--ledger", ledger, "--policy", policy, "--out", tmp_path / "p.csv"], [log, policy, ledger], ledger, 2,
        r"already has a plan for 2026-01-04; pass --replace")
    assert not (tmp_path / "p.csv").exists()
    run(runner, ["plan", "--ledger", ledger, "--policy", policy, "--replace"], [log, policy], ledger, expect=0)
    bad = write(tmp_path / "bad.csv", csv_text(rows(spend="1e308")))
    run(runner, ["plan", bad, "--ledger", ledger, "--policy", policy, "--replace"], [bad, policy, ledger], ledger, 2, r"spend above 1e12")
    run(runner, ["history", "--ledger", ledger], [ledger], ledger, expect=0)


# --- hostile names ----------------------------------------------------------------------------------

NAMES = ["=cmd|' /C calc'!A0", "<script>alert(1)</script>", "$\\frac{1}{0}$", "two\nlines", "$\\unknown{$", "+1-1", "@SUM(A1)"]


def test_hostile_names_are_inert_in_the_csv_and_escaped_in_the_report(runner, tmp_path, files):
    body = [[f"2026-01-0{d}", name, name, name, "50", "2000", "100", "5", "200"] for d in (1, 2, 3) for name in NAMES]
    body += [[f"2026-01-0{d}", "search", "exact", name, "50", "2000", "100", "5", "200"] for d in (1, 2, 3) for name in NAMES[:3]]
    log = write(tmp_path / "names.csv", csv_text(body))
    out, decisions, report = tmp_path / "plan.csv", tmp_path / "decisions.csv", tmp_path / "report"
    policy = write(tmp_path / "policy.toml", "[budget]\ndaily_total = 1000.0\n[decide]\nmin_share = 0.05\n")
    run(runner, ["plan", log, "--policy", policy, "--out", out, "--decisions", decisions, "--report", report], [log, policy], expect=0)
    for path in (out, decisions):
        with path.open(newline="", encoding="utf-8") as handle:
            cells = [row[1:4] for row in csv.reader(handle)][1:]
        names = {cell for row in cells for cell in row}
        assert "'=cmd|' /C calc'!A0" in names and "=cmd|' /C calc'!A0" not in names
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in names), names
        assert "two\nlines" in names  # a newline inside a quoted name survives, quoted
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_accounts_are_each_said_and_the_run_is_one_line(runner, tmp_path):
    accounts = {
        "absurd": (csv_text(rows(spend="1e308")), POLICY),
        "boolean": (GOOD_LOG, "[budget]\ndaily_total = true\n"),
        "no-spend": (csv_text([r[:4] + ["0"] + r[5:] for r in rows()]), POLICY),
        "names": (GOOD_LOG.replace(",search,", ",=1+1,"), POLICY),
    }
    inputs = []
    for name, (log, policy) in accounts.items():
        (tmp_path / name).mkdir()
        inputs += [write(tmp_path / name / "log.csv", log), write(tmp_path / name / "policy.toml", policy)]
    run(runner, ["plan", "--accounts", tmp_path], inputs, expect=2, message=r"3 of 4 accounts had bad input \(absurd, boolean, no-spend\)")
    table = pd.read_csv(tmp_path / "accounts.csv").set_index("account")
    assert table.loc["absurd", "message"].endswith("column 'spend': spend above 1e12 currency in one day of one cell, beyond any real account; fix the export or drop the row")
    assert table.loc["boolean", "message"].endswith("[budget] daily_total: expected a number, got a boolean (true)")
    assert table.loc["no-spend", "message"].endswith("the log has no spend at all: budgets cannot be learned from it; export a period with spend")
    assert table.loc["names", "status"] == "planned"
    assert (tmp_path / "names" / "plan.csv").read_text().splitlines()[1].split(",")[1] == "'=1+1"


# --- the simulator: bounded work, refused before any work ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--reps", "0"], r"--reps must be at least 1, got 0$", id="reps 0"),
        pytest.param(["--reps", str(10**9)], r"--reps 1,000,000,000 × 60 days × \d+ creatives × \d+ policies would keep about .* in memory", id="reps 1e9"),
        pytest.param(["--days", str(10**8)], r"100,000,000 policy days are more than 3,650", id="days 1e8"),
        pytest.param(["--workers", str(10**4)], r"--workers 10000 is more than this machine can use: at most \d+", id="workers 1e4"),
        pytest.param(["--seed", "-1"], r"--seed must be ≥ 0", id="seed -1"),
    ],
)
def test_simulate_refuses_unbounded_work_at_once(runner, tmp_path, args, message):
    started = time.perf_counter()
    run(runner, ["simulate", SCENARIO, *args, "--report", tmp_path / "r"], [SCENARIO], expect=2, message=message)
    assert time.perf_counter() - started < 5.0
    assert not (tmp_path / "r").exists()


def test_sweep_and_accounts_refuse_too_many_workers_at_once(runner, tmp_path):
    grid = write(tmp_path / "grid.toml", f'[sweep]\nscenarios = ["{SCENARIO}"]\nreps = 1000000000\n')
    run(runner, ["sweep", grid, "--out", tmp_path / "sweep", "--workers", str(10**4)], [grid], expect=2, message=r"at most \d+ \(4 per core")
    run(runner, ["sweep", grid, "--out", tmp_path / "sweep"], [grid], expect=2, message=r"\[sweep\] reps 1,000,000,000 .* would keep about")
    run(runner, ["plan", "--accounts", tmp_path, "--workers", str(10**4)], [grid], expect=2, message=r"at most \d+ \(4 per core")
    assert not (tmp_path / "sweep").exists()


def test_a_whatif_split_of_1e308_is_refused(runner, tmp_path, files):
    split = write(tmp_path / "split.csv", "campaign,segment,spend\nsearch,exact,1e308\n")
    run(runner, ["whatif", files[0], "--policy", files[1], "--split", split], [*files, split], expect=2,
        message=r"split\.csv: row 1 \(line 2\), column 'spend': 1e\+308 is beyond any real budget")


def test_every_visit_converting_at_a_huge_scale_is_planned_or_refused_cleanly(runner, tmp_path, files):
    body = [r[:5] + ["1e9", "1e9", "1e9"] + r[8:] for r in rows()]
    log = write(tmp_path / "log.csv", csv_text(body))
    run(runner, ["plan", log, "--policy", files[1]], [log, files[1]])
