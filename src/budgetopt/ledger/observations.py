"""Observations: ingesting a validated log (idempotent, all or nothing) and reading the history back.

A row is keyed by (date, campaign, segment, creative). Ingesting a row the ledger already holds
with the same values changes nothing (`unchanged`); with other values it replaces the stored row
(`replaced`; the old values are kept in `replaced_observations`); otherwise it is `new`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from budgetopt.data.schema import CELL, NAME_COLUMNS, NUMBER_COLUMNS
from budgetopt.errors import InputError
from budgetopt.ledger.store import Ledger, translating

#: rows per executemany call: the unit of the progress callback (memory stays flat)
CHUNK_ROWS = 50_000

_COLUMNS = ("date", *NAME_COLUMNS, *NUMBER_COLUMNS, "impressions", "status")
_UPSERT = f"""
INSERT INTO observations ({", ".join(_COLUMNS)}, event_id) VALUES ({", ".join("?" * len(_COLUMNS))}, ?)
ON CONFLICT (date, campaign, segment, creative) DO UPDATE SET
    spend = excluded.spend, visits = excluded.visits, conversions = excluded.conversions, revenue = excluded.revenue,
    impressions = excluded.impressions, status = excluded.status, event_id = excluded.event_id
WHERE spend IS NOT excluded.spend OR visits IS NOT excluded.visits OR conversions IS NOT excluded.conversions
    OR revenue IS NOT excluded.revenue OR impressions IS NOT excluded.impressions OR status IS NOT excluded.status
"""


@dataclass(frozen=True)
class IngestCounts:
    """What one ingest did to the ledger, in rows; `examples` names up to 3 replaced rows."""

    new: int
    replaced: int
    unchanged: int
    examples: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return self.new + self.replaced + self.unchanged

    def describe(self) -> str:
        text = f"{self.rows:,} rows: {self.new:,} new, {self.replaced:,} replaced, {self.unchanged:,} unchanged"
        if self.examples:
            more = self.replaced - len(self.examples)
            text += f" (corrected: {'; '.join(self.examples)}{f' and {more:,} more' if more > 0 else ''})"
        return text


def _iso_dates(dates: pd.Series) -> list[str]:
    """yyyy-mm-dd text of a datetime column, formatting each distinct day once (a log has few days, many rows)."""
    codes, days = pd.factorize(dates)
    return np.asarray(days.strftime("%Y-%m-%d"), dtype=object)[codes].tolist()


def _rows(frame: pd.DataFrame, event_id: int) -> Iterator[tuple]:
    """The frame's rows as tuples in `_COLUMNS` order plus the event id, built column-wise (no per-row pandas)."""
    columns = [_iso_dates(frame["date"])]
    columns += [frame[c].astype(object).tolist() for c in NAME_COLUMNS]
    columns += [frame[c].to_numpy(dtype=float).tolist() for c in NUMBER_COLUMNS]
    if "impressions" in frame.columns:
        columns.append(frame["impressions"].to_numpy(dtype=float).tolist())
    else:
        columns.append(itertools.repeat(None, len(frame)))
    columns.append(frame["status"].astype(object).tolist())
    columns.append(itertools.repeat(event_id, len(frame)))
    return zip(*columns)


@translating
def ingest(
    ledger: Ledger,
    frame: pd.DataFrame,
    *,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> IngestCounts:
    """Store a validated log (`budgetopt.data.load_log`'s frame) in one transaction; see the module doc.

    Joins the caller's transaction if there is one (as `plan --ledger` does), else makes its own.
    `progress(rows_done, rows_total)` is called after each chunk of `chunk_rows` rows.
    """
    missing = [c for c in ("date", *CELL, *NUMBER_COLUMNS, "status") if c not in frame.columns]
    if missing:
        raise ValueError(f"ingest takes load_log's frame; missing columns {missing}")
    con = ledger.connection
    with ledger.transaction():
        event_id = ledger.record_event("ingest", source)
        rows = _rows(frame, event_id)
        total, done, changed = len(frame), 0, 0
        while True:
            chunk = list(itertools.islice(rows, chunk_rows))
            if not chunk:
                break
            before = con.total_changes
            con.executemany(_UPSERT, chunk)
            changed += con.total_changes - before
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        # the trigger that keeps replaced values wrote one row per replaced observation; it counts in total_changes too
        replaced = con.execute("SELECT count(*) FROM replaced_observations WHERE replaced_by = ?", (event_id,)).fetchone()[0]
        examples = tuple(
            f"{d} {c}/{s}/{k}"
            for d, c, s, k in con.execute(
                "SELECT date, campaign, segment, creative FROM replaced_observations WHERE replaced_by = ? "
                "ORDER BY date, campaign, segment, creative LIMIT 3",
                (event_id,),
            )
        )
        new = changed - 2 * replaced
        counts = IngestCounts(new=new, replaced=replaced, unchanged=total - new - replaced, examples=examples)
        ledger.set_event_detail(event_id, {"rows": total, "new": counts.new, "replaced": counts.replaced, "unchanged": counts.unchanged})
    return counts


@translating
def last_date(ledger: Ledger) -> pd.Timestamp | None:
    """The latest day the ledger has observations for (None when it has none)."""
    value = ledger.connection.execute("SELECT max(date) FROM observations").fetchone()[0]
    return None if value is None else pd.Timestamp(value)


@translating
def read_observations(ledger: Ledger, *, before: str | None = None, exposure: str = "visits") -> pd.DataFrame:
    """The stored history (days before `before`, yyyy-mm-dd) typed as `load_log` types a log.

    Every rule was checked at ingest; the one that depends on the policy is checked again here:
    `conversions ≤ visits` with exposure = "visits", impressions present with "impressions".
    """
    sql = f"SELECT {', '.join(_COLUMNS)} FROM observations"
    parameters: tuple[str, ...] = ()
    if before is not None:
        sql += " WHERE date < ?"
        parameters = (before,)
    sql += " ORDER BY date, campaign, segment, creative"
    frame = pd.DataFrame.from_records(ledger.connection.execute(sql, parameters).fetchall(), columns=list(_COLUMNS))
    if frame.empty:
        return frame
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    for column in (*NAME_COLUMNS, "status"):
        frame[column] = frame[column].astype(str)
    for column in (*NUMBER_COLUMNS, "impressions"):
        frame[column] = frame[column].astype("float64")
    lacking = frame["impressions"].isna().to_numpy()
    where = str(ledger.path)
    if exposure == "impressions" and lacking.any():
        _raise_for_rows(frame, lacking, where, "were ingested without impressions, which [estimate] exposure = \"impressions\" needs; "
                        "ingest those days again from an export with an impressions column")
    if exposure == "visits":
        over = (frame["conversions"] > frame["visits"]).to_numpy()
        if over.any():
            _raise_for_rows(frame, over, where, "have more conversions than visits (ingested under a view-through policy); "
                            'set [estimate] exposure = "impressions" in the policy')
    if lacking.any():
        frame = frame.drop(columns="impressions")  # only exposure = "impressions" uses them
    return frame


def _raise_for_rows(frame: pd.DataFrame, mask: np.ndarray, source: str, what: str) -> None:
    positions = np.flatnonzero(mask)
    first = frame.iloc[positions[0]]
    raise InputError(
        f"{len(positions):,} stored row{'s' if len(positions) > 1 else ''} (first: {first['date']:%Y-%m-%d} "
        f"{first['campaign']}/{first['segment']}/{first['creative']}) {what}",
        source=source,
    )
