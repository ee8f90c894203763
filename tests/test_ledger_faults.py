"""Faults the ledger must survive: a process killed mid-write, two writers at once, a busy ledger,
and files that are not ledgers (or no longer are)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from budgetopt.cli import main
from budgetopt.data import load_log
from budgetopt.errors import InputError
from budgetopt.ledger import ingest, open_ledger

#: the children report on their progress through stdout and wait for orders on stdin: no sleeping
KILLED_INGEST = """
import sys
from budgetopt.data import load_log
from budgetopt.ledger import ingest, open_ledger

log = load_log(sys.argv[1])

def progress(done, total):
    if done >= total * 3 // 4:
        print("mid-write", flush=True)
        sys.stdin.readline()  # hold the open transaction until the parent kills us

with open_ledger(sys.argv[2]) as ledger:
    ingest(ledger, log, source=sys.argv[1], progress=progress, chunk_rows=5000)
print("committed", flush=True)
"""

PLAN_AFTER_GO = """
import sys
from budgetopt.cli import main

print("ready", flush=True)
sys.stdin.readline()
main(sys.argv[1:], prog_name="budgetopt")
"""


def _dump(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted: what "unchanged" means."""
    con = sqlite3.connect(db)
    try:
        tables = [name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def _integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def _big_log(path: Path, demo_log: Path, cells: int = 1000, n_days: int = 80) -> None:
    """80,000 new rows after the demo's days, plus a correction of every demo row (updates in the same transaction)."""
    rng = np.random.default_rng(3)
    demo = pd.read_csv(demo_log).assign(revenue=lambda f: f["revenue"] + 1.0)
    dates = pd.date_range("2026-12-01", periods=n_days).strftime("%Y-%m-%d")
    visits = rng.integers(0, 300, cells * n_days)
    new = pd.DataFrame({
        "date": np.repeat(dates, cells), "campaign": "bulk", "segment": np.tile([f"s{i // 10}" for i in range(cells)], n_days),
        "creative": np.tile([f"k{i % 10}" for i in range(cells)], n_days), "spend": 10.0, "impressions": 1000,
        "visits": visits, "conversions": visits // 50, "revenue": visits // 50 * 40.0, "status": "active",
    })
    pd.concat([demo, new[demo.columns]], ignore_index=True).to_csv(path, index=False)


def test_an_ingest_killed_mid_write_leaves_the_ledger_unchanged_and_usable(demo_log, demo_policy, runner, tmp_path):
    db, big = tmp_path / "ledger.db", tmp_path / "big.csv"
    assert runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--ledger", str(db)]).exit_code == 0
    before = _dump(db)
    _big_log(big, demo_log)

    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_INGEST, str(big), str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "mid-write", child.stderr.read()
        wal = Path(f"{db}-wal")
        assert wal.exists() and wal.stat().st_size > 1_000_000  # uncommitted pages really reached the disk
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    assert _integrity(db) == "ok"
    assert _dump(db) == before
    # usable: the same ingest now goes through, and a plan follows it
    result = runner.invoke(main, ["ingest", str(big), "--ledger", str(db)])
    assert result.exit_code == 0, result.output
    assert "80,558 rows: 80,000 new, 558 replaced, 0 unchanged" in result.output
    assert _integrity(db) == "ok"


def test_two_plans_at_once_on_one_ledger_take_turns(demo_log, demo_policy, tmp_path):
    db = tmp_path / "ledger.db"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", PLAN_AFTER_GO, "plan", str(demo_log), "--policy", str(demo_policy), "--ledger", str(db),
             "--out", str(tmp_path / f"plan{i}.csv")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
        )
        for i in range(2)
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready"
        for child in children:  # both start at once, on a ledger that does not exist yet
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    codes = [child.returncode for child in children]
    assert sorted(codes) == [0, 2], outputs
    loser = codes.index(2)
    assert outputs[loser][1].strip() == (
        f"budgetopt: error: {db}: the ledger already has a plan for 2026-11-25; pass --replace to make a new one in its place"
    )
    assert not (tmp_path / f"plan{loser}.csv").exists() and (tmp_path / f"plan{1 - loser}.csv").exists()
    assert _integrity(db) == "ok"
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT kind FROM events ORDER BY id").fetchall() == [("ingest",), ("plan",)]
        assert con.execute("SELECT count(*) FROM observations").fetchone() == (558,)
        assert con.execute("SELECT count(*) FROM plan_cells").fetchone() == (len(pd.read_csv(tmp_path / f"plan{1 - loser}.csv")),)
    finally:
        con.close()


def test_a_busy_ledger_fails_cleanly_after_the_wait(runner, demo_log, demo_policy, tmp_path):
    db = tmp_path / "ledger.db"
    assert runner.invoke(main, ["ingest", str(demo_log), "--ledger", str(db)]).exit_code == 0
    before = _dump(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for the whole attempt
    try:
        result = runner.invoke(main, ["plan", "--policy", str(demo_policy), "--ledger", str(db), "--wait", "0.2"])
        history = runner.invoke(main, ["history", "--ledger", str(db)])  # readers are not blocked (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"budgetopt: error: {db}: the ledger is busy: another budgetopt process is writing to it (waited 0.2 s); "
        "nothing was changed; try again when it has finished, or give a longer --wait"
    )
    assert history.exit_code == 0 and "holds no plan yet" in " ".join(history.output.split())
    assert _dump(db) == before


def _text(path: Path) -> None:
    path.write_text("date,campaign\n2026-01-01,c\n")


def _random_bytes(path: Path) -> None:
    path.write_bytes(np.random.default_rng(1).bytes(8192))


def _foreign_database(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO customers (name) VALUES ('ada')")
    con.commit()
    con.close()


def _damaged_ledger(path: Path) -> None:
    from budgetopt.data.demo import demo_path

    with open_ledger(path, create=True) as ledger:
        ingest(ledger, load_log(demo_path("demo_log.csv")))
    data = bytearray(path.read_bytes())
    page = 4096
    data[page:] = np.random.default_rng(2).bytes(len(data) - page)  # every page after the first is garbage
    path.write_bytes(bytes(data))


def _folder(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_text, r"is not a budgetopt ledger \(not an SQLite database\); give the path of a ledger made by `budgetopt ingest`, or a new file name"),
        (_random_bytes, r"is not a budgetopt ledger \(not an SQLite database\)"),
        (_foreign_database, r"is not a budgetopt ledger \(an SQLite database of another application, with tables customers\)"),
        (_damaged_ledger, r"the ledger is damaged \(.*\); restore it from a backup"),
        (_folder, r"is a folder; give the path of a ledger file"),
    ],
)
def test_a_file_that_is_not_a_ledger_is_refused_with_what_to_do_and_left_alone(tmp_path, demo_log, make, message):
    path = tmp_path / "ledger.db"
    make(path)
    contents = path.read_bytes() if path.is_file() else None
    log = load_log(demo_log)
    # (a damaged ledger may only show it when it is read or written)
    with pytest.raises(InputError, match=message) as caught, open_ledger(path, create=True) as ledger:
        ingest(ledger, log)
    assert str(caught.value).startswith(f"{path}: ")
    if contents is not None:
        assert path.read_bytes() == contents


def test_the_cli_says_which_file_is_not_a_ledger(runner, demo_log, tmp_path):
    path = tmp_path / "notes.txt"
    _text(path)
    result = runner.invoke(main, ["ingest", str(demo_log), "--ledger", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"budgetopt: error: {path}: is not a budgetopt ledger")
