"""Opening a ledger file safely: recognising it, migrating it, transactions, and SQLite's errors in words.

A ledger is an SQLite database in WAL mode: readers never block the writer, and every change
(an ingest, a plan, an enable) is one `BEGIN IMMEDIATE` transaction, so a crash or a kill at any
moment leaves the ledger as it was before the change. Two writers take turns: the second waits
up to `wait` seconds for the first, then fails with `LedgerBusyError` without changing anything.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from budgetopt.errors import BudgetoptError, InputError
from budgetopt.ledger import schema
from budgetopt.ledger.schema import APPLICATION_ID, schema_version

#: seconds a writer waits for another one to finish before giving up
DEFAULT_WAIT = 60.0

_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_DAMAGED = ("SQLITE_CORRUPT",)
_NOT_A_DATABASE = ("SQLITE_NOTADB",)
_CANNOT_WRITE = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_IOERR", "SQLITE_AUTH")


class LedgerBusyError(BudgetoptError):
    """Another process kept the ledger's write lock for longer than we were willing to wait."""


def _not_a_ledger(path: Path, why: str) -> InputError:
    return InputError(
        f"is not a budgetopt ledger ({why}); give the path of a ledger made by `budgetopt ingest`, "
        "or a new file name to start one",
        source=str(path),
    )


def translate(error: sqlite3.Error, path: Path, wait: float) -> BudgetoptError | None:
    """SQLite's error as a budgetopt error that says what to do; None for errors that are bugs."""
    name = getattr(error, "sqlite_errorname", "") or ""
    message = str(error)
    if name.startswith(_BUSY) or "database is locked" in message:
        return LedgerBusyError(
            f"{path}: the ledger is busy: another budgetopt process is writing to it (waited {wait:g} s); "
            "nothing was changed; try again when it has finished, or give a longer --wait"
        )
    if name.startswith(_NOT_A_DATABASE):
        return _not_a_ledger(path, "not an SQLite database")
    if name.startswith(_DAMAGED):
        return InputError(
            f"the ledger is damaged ({message}); restore it from a backup "
            f"(make them with `sqlite3 {path.name} \".backup copy.db\"`), or start a new ledger and ingest your logs again",
            source=str(path),
        )
    if name.startswith(_CANNOT_WRITE):
        return InputError(f"cannot use the ledger ({message}); check the path, its folder's permissions and free disk space", source=str(path))
    return None


_F = TypeVar("_F", bound=Callable[..., Any])


def translating(function: _F) -> _F:
    """Decorate a function whose first argument is a Ledger: SQLite's errors become budgetopt errors."""

    @functools.wraps(function)
    def wrapper(ledger: Ledger, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(ledger, *args, **kwargs)
        except sqlite3.Error as error:
            better = translate(error, ledger.path, ledger.wait)
            if better is None:
                raise
            raise better from error

    return wrapper  # type: ignore[return-value]


class Ledger:
    """An open ledger. Use `open_ledger`, as a context manager; `connection` is for this package's modules."""

    def __init__(self, path: Path, connection: sqlite3.Connection, wait: float) -> None:
        self.path = path
        self.connection = connection
        self.wait = wait
        self._depth = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[Ledger]:
        """One all-or-nothing change: commits when the block ends, rolls back if it raises (or is killed).

        Takes the write lock at once (BEGIN IMMEDIATE), waiting up to `wait` seconds for another writer.
        Nested blocks join the outer transaction.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        _execute(self, "BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            # if even the rollback fails, SQLite discards the transaction when the connection closes;
            # the error that got us here is the one worth reporting
            with suppress(sqlite3.Error):
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
            raise
        self._depth = 0
        _execute(self, "COMMIT")

    def record_event(self, kind: str, source: str | None = None, detail: dict[str, Any] | None = None) -> int:
        """Journal one change (inside a transaction); returns its id, which orders every change ever made."""
        if not self.in_transaction:
            raise RuntimeError("record_event must run inside Ledger.transaction()")
        cursor = self.connection.execute(
            "INSERT INTO events (kind, at, source, detail) VALUES (?, ?, ?, ?)",
            (kind, datetime.now(UTC).isoformat(timespec="seconds"), source, None if detail is None else json.dumps(detail)),
        )
        return int(cursor.lastrowid)

    def set_event_detail(self, event_id: int, detail: dict[str, Any]) -> None:
        self.connection.execute("UPDATE events SET detail = ? WHERE id = ?", (json.dumps(detail), event_id))


@translating
def _execute(ledger: Ledger, sql: str) -> None:
    ledger.connection.execute(sql)


def _classify(con: sqlite3.Connection, path: Path) -> tuple[str, int, list[str]]:
    """("new" | "ledger" | "foreign", schema version, table names) of an open database, read in one snapshot:
    between two separate reads another process may create the ledger, and its tables without the application id
    read a moment before would look like another application's database."""
    own = not con.in_transaction
    if own:
        con.execute("BEGIN")
    try:
        return _classify_snapshot(con, path)
    finally:
        if own:
            con.execute("COMMIT")


def _classify_snapshot(con: sqlite3.Connection, path: Path) -> tuple[str, int, list[str]]:
    application_id = con.execute("PRAGMA application_id").fetchone()[0]
    tables = [row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    if application_id == APPLICATION_ID:
        row = con.execute("SELECT version FROM schema_version").fetchone() if "schema_version" in tables else None
        if row is None:
            raise InputError("the ledger is damaged (its schema_version is missing); restore it from a backup", source=str(path))
        return "ledger", int(row[0]), tables
    if application_id == 0 and not tables:
        return "new", 0, tables
    return "foreign", 0, tables


def _migrate(ledger: Ledger) -> None:
    """Apply the missing migrations in one transaction (re-checking under the lock: another process may have)."""
    con = ledger.connection
    with ledger.transaction():
        state, version, tables = _classify(con, ledger.path)
        if state == "foreign":
            raise _not_a_ledger(ledger.path, f"an SQLite database of another application, with tables {', '.join(tables[:5])}")
        for number in range(version, len(schema.MIGRATIONS)):
            schema.MIGRATIONS[number](con)
            con.execute("UPDATE schema_version SET version = ?", (number + 1,))


#: how often a ledger being switched to WAL by another process is looked at again, seconds
_WAL_RETRY = 0.01


def _use_wal(ledger: Ledger) -> None:
    """Switch the file to WAL mode (persistent: readers never block the writer).

    SQLite answers "database is locked" at once, without its busy handler, when another process
    holds a lock while this one changes the journal mode — as when two processes open a new ledger
    together. So retry until the mode is WAL (the other process may have set it) or `wait` is spent.
    """
    con = ledger.connection
    deadline = time.monotonic() + ledger.wait
    while True:
        try:
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            con.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY)


def open_ledger(path: str | Path, *, create: bool = False, wait: float = DEFAULT_WAIT) -> Ledger:
    """Open (and migrate) the ledger at `path`; with `create`, a missing file starts a new ledger.

    Raises InputError for a missing file (without `create`), a file that is not a ledger (not SQLite,
    or another application's database: left untouched), a damaged ledger, or one made by a newer
    budgetopt; LedgerBusyError when another writer holds it for more than `wait` seconds.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder; give the path of a ledger file, e.g. budgetopt.db", source=str(path))
    if path.exists() and not path.is_file():  # a FIFO, a device, a socket: SQLite would fail on it mid-way
        raise InputError("is not a regular file (a FIFO, a device or a socket); give the path of a ledger file, e.g. budgetopt.db", source=str(path))
    if not path.exists():
        if not create:
            raise InputError(f"no ledger here; start one with `budgetopt ingest LOG --ledger {path}`", source=str(path))
        if not path.parent.exists():
            raise InputError(f"the folder {path.parent} does not exist; create it first", source=str(path))
    ledger = Ledger(path, sqlite3.connect(path, timeout=wait, isolation_level=None), wait)
    try:
        _prepare(ledger)
    except BaseException:
        ledger.close()
        raise
    return ledger


@translating
def _prepare(ledger: Ledger) -> None:
    con = ledger.connection
    state, version, tables = _classify(con, ledger.path)
    if state == "foreign":  # leave another application's database exactly as it is
        raise _not_a_ledger(ledger.path, f"an SQLite database of another application, with tables {', '.join(tables[:5])}")
    if version > schema_version():
        raise InputError(
            f"the ledger was made by a newer budgetopt (schema version {version}, this one knows up to {schema_version()}); "
            "upgrade budgetopt",
            source=str(ledger.path),
        )
    _use_wal(ledger)
    con.execute("PRAGMA foreign_keys = ON")
    if version < schema_version():
        _migrate(ledger)
