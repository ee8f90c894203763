"""Loading the performance log from CSV or Parquet, and validating it against the schema.

`load_log` returns a frame with canonical dtypes (date as datetime64, names as str,
numbers as float64) or raises `InputError` listing every violation with file, row and
column. Row numbers count data rows from 1; for CSV the file line (header = line 1) is
given too, since that is what a spreadsheet shows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt.data.schema import (
    CELL,
    NAME_COLUMNS,
    NUMBER_COLUMNS,
    REQUIRED_COLUMNS,
    STATUSES,
    offending_rows,
)
from budgetopt.errors import InputError

_MAX_ROWS_SHOWN = 5


def missing_columns(missing: list[str]) -> str:
    """"missing column 'a'" or "missing columns 'a', 'b'": the start of a missing-columns error."""
    return f"missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(c) for c in missing)}"


def where_rows(positions: np.ndarray, lines: np.ndarray | None) -> str:
    """'row 3 (line 4)' / 'rows 3, 8 (lines 4, 9) and 12 more' for 0-based positions; `lines` maps
    positions to file lines (CSV), None for formats without lines (Parquet)."""
    head = positions[:_MAX_ROWS_SHOWN]
    plural = "s" if len(positions) > 1 else ""
    text = f"row{plural} {', '.join(str(int(p) + 1) for p in head)}"
    if lines is not None:
        text += f" (line{plural} {', '.join(str(int(lines[p])) for p in head)})"
    if len(positions) > _MAX_ROWS_SHOWN:
        text += f" and {len(positions) - _MAX_ROWS_SHOWN} more"
    return text


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
    values = pd.to_numeric(raw[column].astype("string").str.strip().replace({"": pd.NA}), errors="coerce").astype("float64")
    bad = np.flatnonzero(~np.isfinite(values.to_numpy()))
    if len(bad):
        problems.append(f"{where_rows(bad, lines)}, column '{column}': not a finite number (got {raw[column].iloc[bad[0]]!r}){hint}")
    return values


def read_csv_text(path: Path) -> pd.DataFrame:
    """A CSV as text cells, blank lines dropped; the index is each row's file line (header = line 1).

    Blank lines are dropped here, not by the parser, so every row keeps the line a spreadsheet shows.
    Raises pandas' own errors (the caller names the file)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False)
    if len(raw.columns):
        maybe = np.flatnonzero((raw.iloc[:, 0].str.strip() == "").to_numpy())
        if len(maybe):
            blank = (raw.iloc[maybe].apply(lambda column: column.str.strip()) == "").all(axis=1)
            raw = raw.drop(index=raw.index[maybe[blank.to_numpy()]])
    raw.index = raw.index + 2
    return raw


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError("file not found; give the path of a performance log (CSV or Parquet)", source=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt", ""):
            return read_csv_text(path)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot be read as {suffix.lstrip('.') or 'CSV'} ({first_line})", source=str(path)) from None
    raise InputError(f"unknown file type '{suffix}'; export the log as .csv or .parquet", source=str(path))


def validate_log(
    raw: pd.DataFrame,
    *,
    source: str = "log",
    exposure: str = "visits",
    sum_duplicates: bool = False,
    lines: np.ndarray | None = None,
) -> pd.DataFrame:
    """Check a raw log frame against the schema and return it typed.

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
        raise InputError(
            f"{missing_columns(missing)}{hint}; "
            f"the log needs {', '.join(REQUIRED_COLUMNS)}",
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
    if "status" in raw.columns:
        status = raw["status"].astype("string").str.strip().str.lower().fillna("active").replace({"": "active"})
        bad = np.flatnonzero(~status.isin(STATUSES).to_numpy())
        if len(bad):
            problems.append(
                f"{where_rows(bad, lines)}, column 'status': must be one of {', '.join(STATUSES)} (got {raw['status'].iloc[bad[0]]!r})"
            )
        frame["status"] = status.astype(str)
    else:
        frame["status"] = "active"
    if problems:
        raise InputError(problems, source=source)

    for rule, positions in offending_rows(frame, exposure):
        problems.append(f"{where_rows(positions, lines)}, column '{rule.column}': {rule.message}")
    if problems:
        raise InputError(problems, source=source)

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
        agg = {c: "sum" for c in numbers_present} | {"status": "last"}
        frame = frame.groupby(key, as_index=False, sort=False).agg(agg)
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def load_log(
    path: str | Path, *, exposure: str = "visits", sum_duplicates: bool = False
) -> pd.DataFrame:
    """Read a performance log (CSV or Parquet) and validate it; see `validate_log`."""
    path = Path(path)
    raw = _read(path)
    is_csv = path.suffix.lower() not in (".parquet", ".pq")
    lines = raw.index.to_numpy() if is_csv else None
    return validate_log(raw.reset_index(drop=True), source=str(path), exposure=exposure, sum_duplicates=sum_duplicates, lines=lines)
