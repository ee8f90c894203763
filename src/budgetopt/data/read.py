"""Reading a performance log as the user has it: our CSV/Parquet format, a Meta or Google Ads export,
or any CSV with a column map; the result says how each column was read.

    loaded = read_log("export.csv", columns="columns.toml")
    for note in loaded.notes: print(note)      # "read 'Amount spent (EUR)' as spend, currency EUR"
    plan(loaded.log, ...)

Our own format reads exactly as `load_log` always read it; `notes` is then empty. Total rows
("Total: Account") and Meta's summary row are skipped and counted; a Meta row covering several days
("Reporting starts" before "Reporting ends") is refused, since a daily log cannot split it honestly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from budgetopt.data.columns import (
    JOIN,
    ColumnMap,
    Constant,
    column_map_from_dict,
    load_column_map,
)
from budgetopt.data.exports import is_known_header, lookup_key
from budgetopt.data.load import validate_log
from budgetopt.data.mapping import Plan, plan_columns
from budgetopt.data.rows import LOG_FIELDS, text_rows
from budgetopt.data.text import SEPARATOR_NAMES, Table, own_format_fast, read_table
from budgetopt.errors import InputError

PARQUET = (".parquet", ".pq")
TEXT = (".csv", ".tsv", ".txt", "")
Columns = str | os.PathLike | Mapping[str, object] | None


@dataclass(frozen=True)
class LoadedLog:
    """A validated log and how it was read.

    log: the frame `load_log` returns; notes: one line per column read under another name, per row
    skipped, per number or date form guessed; currency: from the export (None when it does not say);
    layout: "budgetopt", "meta", "google-ads" or "mapped" (a column map was given); skipped_rows:
    total and summary rows left out; has_revenue: False when revenue was absent and set to 0."""

    log: pd.DataFrame
    notes: tuple[str, ...] = ()
    currency: str | None = None
    layout: str = "budgetopt"
    skipped_rows: int = 0
    has_revenue: bool = True


def as_column_map(columns: Columns) -> ColumnMap:
    """A checked column map from a TOML path, a dict (the [columns] table's contents) or None."""
    if columns is None:
        return {}
    if isinstance(columns, Mapping):
        return column_map_from_dict(columns, source="columns")
    if isinstance(columns, (str, os.PathLike)):
        return load_column_map(columns)
    raise InputError(f"'columns' must be a TOML path or a dict, got {type(columns).__name__}")


def _known(column_map: ColumnMap):
    """A test for header cells: known to a layout, or named in the column map."""
    wanted = set()
    for field, origin in column_map.items():
        names = origin if isinstance(origin, tuple) else (origin,) if isinstance(origin, str) and field != "date_format" else ()
        wanted.update(lookup_key(name) for name in names)
    return lambda cell: is_known_header(cell) or lookup_key(cell) in wanted


def _source_note(table: Table) -> str | None:
    """"read as UTF-16, tab-separated, header on line 3" when anything differs from a plain CSV."""
    parts = []
    if table.encoding not in ("utf-8", "utf-8-sig"):
        parts.append(f"read as {table.encoding.upper()}")
    if table.separator != ",":
        parts.append(f"{SEPARATOR_NAMES[table.separator]}-separated")
    if table.header_line != 1:
        parts.append(f"header on line {table.header_line}")
    return ", ".join(parts) if parts else None


def _frame_raw(frame: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The raw log of a Parquet frame under `plan` (its typed columns passed through)."""
    raw = {}
    for field, origin in plan.sources.items():
        if field not in LOG_FIELDS:
            continue
        if isinstance(origin, Constant):
            raw[field] = pd.Series([origin.value] * len(frame), index=frame.index, dtype="str")
        elif isinstance(origin, tuple):
            parts = [frame.iloc[:, i].astype("str").str.strip() for i in origin]
            raw[field] = parts[0].str.cat(parts[1:], sep=JOIN)
        else:
            raw[field] = frame.iloc[:, origin]
    return pd.DataFrame(raw, index=frame.index)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (ValueError, OSError, TypeError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot be read as parquet ({first_line})", source=str(path)) from None


def read_log(
    path: str | Path,
    *,
    exposure: str = "visits",
    sum_duplicates: bool = False,
    columns: Columns = None,
    allow_missing_revenue: bool = False,
    require_spend: bool = True,
) -> LoadedLog:
    """Read and validate a performance log; see the module doc. Raises InputError naming the file,
    rows, lines and columns of every problem, and what to do."""
    path = Path(path)
    source = str(path)
    column_map = as_column_map(columns)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "file not found"
        raise InputError(f"{what}; give the path of a performance log (CSV or Parquet)", source=source)
    suffix = path.suffix.lower()
    if suffix in PARQUET:
        frame = _read_parquet(path)
        plan = plan_columns(tuple(str(c) for c in frame.columns), column_map, source=source, allow_missing_revenue=allow_missing_revenue)
        raw, lines, notes, skipped, currency = _frame_raw(frame, plan), None, (), 0, plan.currency
    elif suffix in TEXT and not column_map and (fast := own_format_fast(path)) is not None:
        raw, lines, notes, skipped, currency = fast[0], fast[1], (), 0, None
        plan = plan_columns(tuple(raw.columns), column_map, source=source, allow_missing_revenue=allow_missing_revenue)
    elif suffix in TEXT:
        table = read_table(path, _known(column_map))
        plan = plan_columns(table.header, column_map, source=source, allow_missing_revenue=allow_missing_revenue)
        rows = text_rows(table, plan, source=source, date_format=column_map.get("date_format"))
        raw, lines, notes, skipped, currency = rows.raw, rows.lines, rows.notes, rows.skipped, rows.currency
        notes = tuple(n for n in (_source_note(table),) if n) + notes
    else:
        raise InputError(f"unknown file type '{suffix}'; export the log as .csv, .tsv or .parquet", source=source)
    log = validate_log(raw, source=source, exposure=exposure, sum_duplicates=sum_duplicates, lines=lines, require_spend=require_spend)
    del raw
    pa.default_memory_pool().release_unused()  # Arrow keeps what parsing freed (≈ 900 MB on a 265 MB log) unless told
    return LoadedLog(log, (*plan.notes, *notes), currency, plan.layout, skipped, plan.has_revenue)
