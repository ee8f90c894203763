"""From a text table and its column plan to the raw frame `validate_log` checks.

Steps, each on whole columns: take each log column's cells (joined or constant where the plan says);
skip total rows ("Total", "Total: Account": a total label and no date); make numbers plain (`values`);
skip summary rows (all names blank and every number the sum of the other rows: Meta's results row);
refuse rows covering more than one day (Meta "Reporting starts" ≠ "Reporting ends": the log is daily,
so a wider row cannot be split honestly); make dates ISO; take the currency from a currency column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from budgetopt.data.columns import JOIN, Constant
from budgetopt.data.mapping import Plan, Source
from budgetopt.data.messages import where_rows
from budgetopt.data.schema import (
    ID_COLUMNS,
    NAME_COLUMNS,
    NUMBER_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)
from budgetopt.data.text import Table
from budgetopt.data.values import clean_numbers, decimal_mark, iso_dates, plain_numbers
from budgetopt.errors import InputError

LOG_FIELDS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *ID_COLUMNS)
NUMBER_FIELDS = (*NUMBER_COLUMNS, "impressions")
TOTAL = r"(?i)(grand[ \t]+)?(totals?|gesamt[a-z]*|summe|totale|totaal|suma)([ \t]*[:\-–].*)?"


@dataclass(frozen=True)
class Rows:
    """The raw log (text cells named by log column), each row's file line, and what was done."""

    raw: pd.DataFrame
    lines: np.ndarray
    notes: tuple[str, ...]
    skipped: int
    currency: str | None


def cells(table: Table, origin: Source) -> pd.Series:
    """A log column's cells: one column, several joined with " / ", or a constant."""
    if isinstance(origin, Constant):
        return pd.Series([origin.value] * table.size, dtype="str")
    if isinstance(origin, tuple):
        parts = [pd.Series(table.column(i), dtype="str").str.strip() for i in origin]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + JOIN + part
        return joined
    return pd.Series(table.column(origin), dtype="str")


def _label(plan: Plan, header: tuple[str, ...], field: str) -> str:
    origin = plan.sources[field]
    return header[origin] if isinstance(origin, int) else field


def total_rows(columns: dict[str, pd.Series], plan: Plan) -> np.ndarray:
    """Rows with a total label in a date or name column and no digit in the date (if the file has dates)."""
    labels = [columns[f] for f in ("date", *NAME_COLUMNS) if not isinstance(plan.sources[f], Constant)]
    found = np.zeros(len(columns["date"]), dtype=bool)
    for label in labels:
        found |= label.str.strip().str.fullmatch(TOTAL).to_numpy()
    if isinstance(plan.sources["date"], Constant):
        return found
    return found & ~columns["date"].str.contains(r"[0-9]").to_numpy()


def summary_rows(columns: dict[str, pd.Series], plan: Plan, numbers: list[str]) -> np.ndarray:
    """Rows with every name column blank whose numbers are the sums of the other rows (within rounding)."""
    names = [f for f in NAME_COLUMNS if not isinstance(plan.sources[f], Constant)]
    size = len(columns["date"])
    blank = np.ones(size, dtype=bool)
    for field in names:
        blank &= (columns[field].str.strip().isin(["", "--"])).to_numpy()
    found = np.zeros(size, dtype=bool)
    if not names or not blank.any() or blank.all():
        return found
    values = {f: pd.to_numeric(columns[f], errors="coerce").to_numpy(dtype=float) for f in numbers}
    rest = ~blank
    for row in np.flatnonzero(blank):
        checks = [(v[row], np.nansum(v[rest])) for v in values.values() if np.isfinite(v[row])]
        tolerance = 0.01 + 0.005 * rest.sum()
        found[row] = bool(checks) and all(abs(a - b) <= tolerance + 1e-9 * abs(b) for a, b in checks)
    return found


def _numbers(columns: dict[str, pd.Series], plan: Plan, table: Table, source: str, lines: np.ndarray) -> tuple[list[str], list[str]]:
    """Make the number columns plain in place; returns the fields done and notes."""
    fields = [f for f in NUMBER_FIELDS if isinstance(plan.sources.get(f), int)]
    dashes = 0
    for field in fields:
        columns[field], count = clean_numbers(columns[field])
        dashes += count
    named = {_label(plan, table.header, f): columns[f] for f in fields}
    mark, default = decimal_mark(named, table.separator, lines, source)
    with_comma = any(columns[f].str.contains(",", regex=False).any() for f in fields)
    for field in fields:
        columns[field] = plain_numbers(columns[field], mark)
    notes = []
    if mark == "," and with_comma:
        notes.append("read numbers with a decimal comma" + (" (no number settled it; semicolon-separated, so Excel's European format)" if default else ""))
    elif mark == "." and default and with_comma:
        notes.append("read commas in numbers as thousands separators (no number settled it)")
    if dashes:
        notes.append(f"read '--' as 0 in {dashes} cell{'s' if dashes > 1 else ''}")
    return fields, notes


def _one_day(columns: dict[str, pd.Series], plan: Plan, table: Table, lines: np.ndarray, source: str) -> None:
    """InputError for rows whose start and end dates differ (a Meta export not broken down by day)."""
    if not isinstance(plan.sources.get("date_end"), int) or not isinstance(plan.sources["date"], int):
        return
    start_name, end_name = _label(plan, table.header, "date"), _label(plan, table.header, "date_end")
    start, _ = iso_dates(columns["date"], start_name, None, lines, source)
    end, _ = iso_dates(columns["date_end"], end_name, None, lines, source)
    wide = ((start != end) & (end.str.strip() != "")).to_numpy()
    if wide.any():
        first = int(np.flatnonzero(wide)[0])
        raise InputError(
            f"{where_rows(np.flatnonzero(wide), lines)}: a row covers {start.iloc[first]} to {end.iloc[first]} "
            f"({start_name!r} to {end_name!r}); the log needs one row per day: in Ads Manager choose "
            "Breakdown > By time > Day and export again",
            source=source,
        )


def _column_currency(columns: dict[str, pd.Series], plan: Plan, table: Table, lines: np.ndarray, source: str) -> str | None:
    """The one currency of a currency column (InputError when rows differ, or differ from the header's)."""
    if not isinstance(plan.sources.get("currency"), int):
        return plan.currency
    codes = columns["currency"].str.strip().str.upper()
    kinds = list(dict.fromkeys(codes[~codes.isin(["", "--"])].tolist()))
    name = _label(plan, table.header, "currency")
    if len(kinds) > 1:
        rows = np.flatnonzero((codes == kinds[1]).to_numpy())
        raise InputError(
            f"{where_rows(rows, lines)}, column {name!r}: the log mixes currencies {kinds[0]} and {kinds[1]}; "
            "export one currency per file",
            source=source,
        )
    if kinds and plan.currency and kinds[0] != plan.currency:
        raise InputError(f"column {name!r} says {kinds[0]} but the headers say {plan.currency}; export one currency", source=source)
    return kinds[0] if kinds else plan.currency


def text_rows(table: Table, plan: Plan, *, source: str, date_format: str | None = None) -> Rows:
    """The raw frame of a text table under `plan`, with skipped rows counted and notes on what was read."""
    columns = {field: cells(table, origin) for field, origin in plan.sources.items()}
    lines = table.lines
    keep = ~total_rows(columns, plan)
    notes: list[str] = []
    skipped = int((~keep).sum())
    if skipped:
        notes.append(f"skipped {skipped} total row{'s' if skipped > 1 else ''} (lines {', '.join(str(x) for x in lines[~keep][:5])})")
    columns = {f: c[keep].reset_index(drop=True) for f, c in columns.items()}
    lines = lines[keep]
    numbers, number_notes = _numbers(columns, plan, table, source, lines)
    notes.extend(number_notes)
    if plan.layout != "budgetopt":
        summary = summary_rows(columns, plan, numbers)
        if summary.any():
            count = int(summary.sum())
            notes.append(f"skipped {count} summary row{'s' if count > 1 else ''} with no names (lines {', '.join(str(x) for x in lines[summary][:5])})")
            skipped += count
            columns = {f: c[~summary].reset_index(drop=True) for f, c in columns.items()}
            lines = lines[~summary]
    _one_day(columns, plan, table, lines, source)
    if not isinstance(plan.sources["date"], Constant):
        columns["date"], date_note = iso_dates(columns["date"], _label(plan, table.header, "date"), date_format, lines, source)
        notes.extend([date_note] if date_note else [])
    currency = _column_currency(columns, plan, table, lines, source)
    raw = pd.DataFrame({f: columns[f] for f in LOG_FIELDS if f in columns})
    return Rows(raw, lines, tuple(notes), skipped, currency)
