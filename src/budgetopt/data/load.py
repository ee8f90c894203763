"""Validating the performance log against the schema, and `load_log`, which reads it (see `read`).

`validate_log` returns a frame with canonical dtypes (date as datetime64, names and ids as str,
numbers as float64) or raises `InputError` listing every violation with file, row and
column. Row numbers count data rows from 1; for CSV the file line is given too, since that
is what a spreadsheet shows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt.data.exports import is_known_header
from budgetopt.data.messages import missing_columns, where_rows
from budgetopt.data.schema import (
    CELL,
    ID_COLUMNS,
    NAME_COLUMNS,
    NUMBER_COLUMNS,
    REQUIRED_COLUMNS,
    STATUSES,
    offending_rows,
)
from budgetopt.data.text import EmptyFileError, read_table
from budgetopt.errors import InputError


def name_column(raw: pd.DataFrame, column: str, lines: np.ndarray | None, problems: list[str]) -> pd.Series:
    """A column of names, stripped; an empty one adds its rows to `problems`."""
    names = raw[column].astype("string").str.strip()
    bad = np.flatnonzero((names.isna() | (names == "")).to_numpy())
    if len(bad):
        problems.append(f"{where_rows(bad, lines)}, column '{column}': empty name; every row needs a {column}")
    return names.fillna("").astype(str)


def number_column(raw: pd.DataFrame, column: str, lines: np.ndarray | None, problems: list[str], hint: str = "") -> pd.Series:
    """A column of numbers as float64; anything that is not a finite number adds its rows to `problems`
    (with `hint` after the message)."""
    if pd.api.types.is_float_dtype(raw[column]):  # parsed as numbers already (our own format's fast read)
        values = raw[column].astype("float64")
    else:
        values = pd.to_numeric(raw[column].astype("string").str.strip().replace({"": pd.NA}), errors="coerce").astype("float64")
    bad = np.flatnonzero(~np.isfinite(values.to_numpy()))
    if len(bad):
        empty = int((raw[column].iloc[bad].astype("string").str.strip().fillna("") == "").sum())
        if empty:  # a blank the platform left: a number nobody knows, not a zero
            hint += (f"; {'all' if empty == len(bad) else empty} of them empty: export them again, write 0 only where there truly "
                     "was none, or drop those rows")
        problems.append(f"{where_rows(bad, lines)}, column '{column}': not a finite number (got {raw[column].iloc[bad[0]]!r}){hint}")
    return values


def status_column(raw: pd.DataFrame, lines: np.ndarray | None, problems: list[str]) -> pd.Series:
    """The status column lower-cased, blank read as active; anything but a known status adds its rows to `problems`."""
    status = raw["status"].astype("string").str.strip().str.lower().fillna("active").replace({"": "active"})
    bad = np.flatnonzero(~status.isin(STATUSES).to_numpy())
    if len(bad):
        problems.append(
            f"{where_rows(bad, lines)}, column 'status': must be one of {', '.join(STATUSES)} (got {raw['status'].iloc[bad[0]]!r})"
        )
    return status.astype(str)


def id_column(raw: pd.DataFrame, column: str, lines: np.ndarray | None, problems: list[str]) -> pd.Series:
    """A column of ids as exact text ("" where absent); an id a spreadsheet turned into a rounded
    number ("2.38E+16") adds its rows to `problems`."""
    values = raw[column]
    if pd.api.types.is_float_dtype(values):
        try:
            values = values.astype("Int64")
        except (TypeError, ValueError, OverflowError):
            pass
    ids = values.astype("string").str.strip().fillna("").astype(str)
    bad = np.flatnonzero(ids.str.fullmatch(r"\d+(\.\d+)?[eE]\+?\d+").to_numpy())
    if len(bad):
        problems.append(
            f"{where_rows(bad, lines)}, column '{column}': {ids.iloc[bad[0]]!r} is an id rounded by a spreadsheet; "
            "export the ids again as text"
        )
    return ids


def read_csv_text(path: Path) -> pd.DataFrame:
    """A CSV as text cells, blank lines dropped; the index is each row's file line (header = line 1).

    Any separator, encoding and preamble `text.read_table` reads; an unnamed column is "Unnamed: i".
    Raises pandas' own errors (the caller names the file): EmptyDataError for an empty file,
    ParserError for rows wider than the header or two headers differing only in case."""
    try:
        table = read_table(Path(path), is_known_header)
    except EmptyFileError:
        raise pd.errors.EmptyDataError("No columns to parse from file") from None
    except InputError as error:
        raise pd.errors.ParserError("; ".join(error.problems)) from None
    names = [name or f"Unnamed: {i}" for i, name in enumerate(table.header)]
    folded = [name.lower() for name in names]
    for i, name in enumerate(folded):
        if name in folded[:i]:
            first = folded.index(name)
            raise pd.errors.ParserError(f"columns {names[first]!r} and {names[i]!r} have the same name")
    data = {name: table.column(i) for i, name in enumerate(names)}
    return pd.DataFrame(data, index=table.lines, dtype="str")


def validate_log(
    raw: pd.DataFrame,
    *,
    source: str = "log",
    exposure: str = "visits",
    sum_duplicates: bool = False,
    lines: np.ndarray | None = None,
    require_spend: bool = True,
) -> pd.DataFrame:
    """Check a raw log frame against the schema and return it typed.

    require_spend: refuse a log without any spend (nothing to plan from); False for a day's export
    to store (a paused weekend spends nothing).

    Raises `InputError` with every problem found (file, rows, column, what to do).
    `sum_duplicates` adds up rows of the same (date, cell) instead of rejecting them; `lines`
    (rows,) gives each row's line in its file, for messages (None: rows only).
    """
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if exposure == "impressions" and "impressions" not in raw.columns:
        missing.append("impressions")
    if missing:
        hint = ' (required by [estimate] exposure = "impressions")' if missing == ["impressions"] else ""
        revenue = "; without revenue, set [estimate] value_per_conversion in the policy" if "revenue" in missing else ""
        raise InputError(
            f"{missing_columns(missing)}{hint}; "
            f"the log needs {', '.join(REQUIRED_COLUMNS)}{revenue}",
            source=source,
        )
    if raw.empty:
        raise InputError("the log has no rows; export at least one day", source=source)

    problems: list[str] = []
    frame = pd.DataFrame(index=raw.index)
    date_text = raw["date"].astype(str).str.strip()
    dates = pd.to_datetime(date_text, format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if len(bad):
        problems.append(f"{where_rows(bad, lines)}, column 'date': not an ISO date yyyy-mm-dd (got {date_text.iloc[bad[0]]!r})")
    frame["date"] = dates
    for column in NAME_COLUMNS:
        frame[column] = name_column(raw, column, lines, problems)
    numbers = [*NUMBER_COLUMNS, *(["impressions"] if "impressions" in raw.columns else [])]
    for column in numbers:
        frame[column] = number_column(raw, column, lines, problems)
    frame["status"] = status_column(raw, lines, problems) if "status" in raw.columns else "active"
    ids = [c for c in ID_COLUMNS if c in raw.columns]
    for column in ids:
        frame[column] = id_column(raw, column, lines, problems)
    if problems:
        raise InputError(problems, source=source)

    for rule, positions in offending_rows(frame, exposure):
        problems.append(f"{where_rows(positions, lines)}, column '{rule.column}': {rule.message}")
    if problems:
        raise InputError(problems, source=source)
    if require_spend and not (frame["spend"] > 0).any():
        raise InputError("the log has no spend at all: budgets cannot be learned from it; export a period with spend", source=source)

    key = ["date", *CELL]
    duplicated = frame.duplicated(key, keep=False).to_numpy()
    if duplicated.any():
        if not sum_duplicates:
            positions = np.flatnonzero(duplicated)
            first = frame.iloc[positions[0]]
            raise InputError(
                f"{where_rows(positions, lines)}: the same date and cell appear more than once "
                f"(first: {first['date']:%Y-%m-%d} {first['campaign']}/{first['segment']}/{first['creative']}); "
                "remove the duplicates or pass --sum-duplicates to add them up",
                source=source,
            )
        numbers_present = [c for c in numbers if c in frame.columns]
        agg = {c: "sum" for c in numbers_present} | {"status": "last"} | {c: "first" for c in ids}
        frame = frame.groupby(key, as_index=False, sort=False).agg(agg)
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def load_log(
    path: str | Path, *, exposure: str = "visits", sum_duplicates: bool = False, columns=None
) -> pd.DataFrame:
    """Read a performance log (our CSV/Parquet format, a Meta or Google Ads export, or any CSV with a
    column map `columns`: a TOML path or dict) and validate it; see `read.read_log` and `validate_log`."""
    from budgetopt.data.read import read_log

    return read_log(path, exposure=exposure, sum_duplicates=sum_duplicates, columns=columns).log
