"""Numbers and dates as exports write them, rewritten as `validate_log` reads them ("1234.5", "2024-05-01").

Only cells that are not already plain numbers or ISO dates are touched, so our own format reads exactly
as before. A file's decimal mark is decided once for all its number columns: a comma only when the
separator is not a comma, from cells that can only be read one way ("12,5", "1.234,56"); a file with
only ambiguous cells ("1,234") reads commas as decimals when semicolon-separated (Excel in Europe)
and as thousands otherwise (Google Ads). Day/month order is decided once per file as well: a
day above 12 settles it; a file where no date settles it is an error asking for ISO dates.
Cells that still do not parse are left as they are, for `validate_log` to report with their rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from budgetopt.data.messages import where_rows
from budgetopt.errors import InputError

PLAIN = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_DOT = r"[+-]?[0-9]*\.[0-9]+|[+-]?[0-9]{1,3}(,[0-9]{3})+\.[0-9]*"
_DOT_THOUSANDS = r"[+-]?[0-9]{1,3}(\.[0-9]{3})+"
_COMMA = r"[+-]?[0-9]*,[0-9]+|[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]*"
_COMMA_THOUSANDS = r"[+-]?[0-9]{1,3}(,[0-9]{3})+"
_SYMBOLS = r"^(R\$|US\$|[€$£¥])|[€$£¥]$"
_SPACES = r"[\s\u00a0\u202f']"


def clean_numbers(cells: pd.Series) -> tuple[pd.Series, int]:
    """Cells stripped; in those not plain numbers, spaces, currency symbols and quotes removed, and
    "--" (Google's empty) read as 0. Returns the cells and how many "--" there were."""
    cells = cells.astype("str").str.strip()
    odd = (~cells.str.fullmatch(PLAIN) & (cells != "")).to_numpy()
    if not odd.any():
        return cells, 0
    fixed = cells[odd].str.replace(_SPACES, "", regex=True).str.replace(_SYMBOLS, "", regex=True)
    dashes = (fixed == "--").to_numpy()
    fixed = fixed.where(~dashes, "0")
    cells = cells.copy()
    cells[odd] = fixed
    return cells, int(dashes.sum())


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def decimal_mark(columns: dict[str, pd.Series], separator: str, lines: np.ndarray | None, source: str) -> tuple[str, bool]:
    """"." or "," for the file's numbers (cleaned cells by header), and whether the choice was a default."""
    if separator == ",":
        return ".", False
    dot = comma = None
    for name, cells in columns.items():
        is_dot = (cells.str.fullmatch(_DOT) & ~cells.str.fullmatch(_DOT_THOUSANDS)).to_numpy()
        is_comma = (cells.str.fullmatch(_COMMA) & ~cells.str.fullmatch(_COMMA_THOUSANDS)).to_numpy()
        if dot is None and is_dot.any():
            dot = (name, _first(is_dot), cells.iloc[_first(is_dot)])
        if comma is None and is_comma.any():
            comma = (name, _first(is_comma), cells.iloc[_first(is_comma)])
    if dot and comma:
        raise InputError(
            f"{where_rows(np.array([dot[1]]), lines)}, column {dot[0]!r} has {dot[2]!r} with a decimal point but "
            f"{where_rows(np.array([comma[1]]), lines)}, column {comma[0]!r} has {comma[2]!r} with a decimal comma; "
            "export every number the same way",
            source=source,
        )
    if dot or comma:
        return ("," if comma else "."), False
    return ("," if separator == ";" else "."), True


def plain_numbers(cells: pd.Series, mark: str) -> pd.Series:
    """Cleaned cells with thousands separators removed and a decimal comma made a point."""
    if mark == ".":
        grouped = cells.str.fullmatch(_COMMA_THOUSANDS + r"(\.[0-9]*)?").to_numpy()
        if grouped.any():
            cells = cells.copy()
            cells[grouped] = cells[grouped].str.replace(",", "", regex=False)
        return cells
    grouped = cells.str.fullmatch(_DOT_THOUSANDS + r"(,[0-9]*)?").to_numpy()
    decimal = cells.str.fullmatch(r"[+-]?[0-9]*,[0-9]+|[+-]?[0-9]+,|" + _DOT_THOUSANDS + r"(,[0-9]*)?").to_numpy()
    if grouped.any() or decimal.any():
        cells = cells.copy()
        cells[grouped] = cells[grouped].str.replace(".", "", regex=False)
        cells[decimal] = cells[decimal].str.replace(",", ".", regex=False)
    return cells


_ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_FAMILIES = (
    ("iso-time", _ISO + r"([ T]00:00(:00)?)?", None),
    ("ymd", r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}", "%Y/%m/%d"),
    ("dmy-dot", r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}", "%d.%m.%Y"),
    ("slash", r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", "/"),
    ("dash", r"[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}", "-"),
    ("words", r"([A-Za-z]{3},[ ]*)?[A-Za-z]{3,9}\.?[ ]+[0-9]{1,2},[ ]*[0-9]{4}", "%b %d, %Y"),
)


def _day_first(cells: pd.Series, name: str, lines: np.ndarray | None, source: str) -> bool:
    """Whether d/m/y dates put the day first: a first part above 12 says yes, a second says no.
    `cells` are the filled cells, indexed by row position."""
    parts = cells.str.extract(r"([0-9]+)[^0-9]([0-9]+)[^0-9]").astype("int64").to_numpy()
    rows = cells.index.to_numpy()
    first, second = parts[:, 0] > 12, parts[:, 1] > 12

    def at(mask: np.ndarray) -> str:
        return f"{cells.iloc[_first(mask)]!r} ({where_rows(rows[[_first(mask)]], lines)})"

    if first.any() and second.any():
        raise InputError(
            f"column {name!r}: {at(first)} puts the day first but {at(second)} the month; export ISO dates yyyy-mm-dd",
            source=source,
        )
    differ = parts[:, 0] != parts[:, 1]
    if not first.any() and not second.any() and differ.any():
        raise InputError(
            f"column {name!r}: no date in the file tells whether {at(differ)} is day/month or month/day; "
            'export ISO dates yyyy-mm-dd, or give date_format = "%d/%m/%Y" (or "%m/%d/%Y") '
            "in the [columns] table of a file passed with --columns",
            source=source,
        )
    return not second.any()


def _with_format(cells: pd.Series, fmt: str) -> pd.Series:
    """Cells parsed with `fmt` as yyyy-mm-dd text; cells that do not parse are kept for the validator to report."""
    parsed = pd.to_datetime(cells, format=fmt, errors="coerce")
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), cells).astype("str")


def iso_dates(cells: pd.Series, name: str, date_format: str | None, lines: np.ndarray | None, source: str) -> tuple[pd.Series, str | None]:
    """Dates as yyyy-mm-dd text when the whole column is in one known form (or `date_format`), and a note
    on the form read; otherwise the cells unchanged."""
    cells = cells.astype("str").str.strip()
    filled = cells[cells != ""]
    if date_format:
        try:
            read = _with_format(cells, date_format)
        except ValueError as error:
            raise InputError(f"[columns] date_format {date_format!r} cannot read dates ({error})", source=source) from None
        if not filled.empty and filled.str.fullmatch(_ISO).all() and read.equals(cells):  # not one date in that form: say so
            return cells, f"dates in {name!r} are yyyy-mm-dd: [columns] date_format {date_format!r} matches none of them and is unused"
        return read, f"read dates in {name!r} as {date_format}"
    if filled.empty or filled.str.fullmatch(_ISO).all():
        return cells, None
    for family, pattern, fmt in _FAMILIES:
        if not filled.str.fullmatch(pattern).all():
            continue
        if family == "iso-time":
            return cells.str.slice(0, 10), None
        if fmt in ("/", "-"):
            fmt = f"%d{fmt}%m{fmt}%Y" if _day_first(filled, name, lines, source) else f"%m{fmt}%d{fmt}%Y"
        if family == "words":
            bare = cells.str.replace(r"^[A-Za-z]{3},[ ]*", "", regex=True).str.replace(".", "", regex=False)
            short = _with_format(bare, "%b %d, %Y")
            long = _with_format(bare, "%B %d, %Y")
            return short.where(short.str.fullmatch(_ISO), long), f"read dates in {name!r} as month day, year"
        return _with_format(cells, fmt), f"read dates in {name!r} as {fmt}"
    return cells, None
