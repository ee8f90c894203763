"""Which column (or columns, or constant) of a file feeds each log column, and the notes saying so.

The user's column map comes first, the export layouts (`exports`) fill in the rest. A missing required
column is an error showing the headers found and the [columns] lines that would fix it; a missing
revenue is filled with 0 when the caller allows it (the policy then values conversions itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetopt.data.columns import (
    JOIN,
    ColumnMap,
    Constant,
    find_header,
    missing_message,
)
from budgetopt.data.exports import (
    FIELDS,
    auto_columns,
    detect_layout,
    is_period_start,
    split_currency,
)
from budgetopt.data.schema import NUMBER_COLUMNS, REQUIRED_COLUMNS
from budgetopt.errors import InputError

Source = int | tuple[int, ...] | Constant


@dataclass(frozen=True)
class Plan:
    """field -> source (a column index, several joined, or a constant) and what the reader should say."""

    layout: str
    sources: dict[str, Source]
    notes: tuple[str, ...]
    currency: str | None
    has_revenue: bool


def _user_sources(header: tuple[str, ...], column_map: ColumnMap, source: str) -> dict[str, Source]:
    """The column map's entries as column indexes (InputError for headers the file lacks)."""
    sources: dict[str, Source] = {}
    for field, wanted in column_map.items():
        if field == "date_format":
            continue
        if isinstance(wanted, Constant):
            sources[field] = wanted
        elif isinstance(wanted, tuple):
            sources[field] = tuple(find_header(header, name, field, source) for name in wanted)
        else:
            sources[field] = find_header(header, str(wanted), field, source)
    return sources


def _currency(header: tuple[str, ...], sources: dict[str, Source], source: str) -> str | None:
    """The currency written after the spend or revenue header ("Amount spent (EUR)"); InputError if two differ."""
    codes = {}
    for field in ("spend", "revenue"):
        column = sources.get(field)
        if isinstance(column, int) and split_currency(header[column])[1]:
            codes[field] = split_currency(header[column])[1]
    if len(set(codes.values())) > 1:
        raise InputError(
            f"spend is in {codes['spend']} but revenue in {codes['revenue']}; export both in one currency", source=source
        )
    return next(iter(codes.values()), None)


def describe(field: str, origin: Source, header: tuple[str, ...], currency: str | None) -> str | None:
    """"read 'Link clicks' as visits" (None when the header is the field's own name)."""
    if isinstance(origin, Constant):
        return f"set {field} to {origin.value!r} on every row (column map)"
    if isinstance(origin, tuple):
        return f"read {' + '.join(repr(header[i]) for i in origin)} as {field} (joined with {JOIN!r})"
    name = header[origin]
    if field == "date_end":
        return f"checked that {name!r} equals the date on every row (one row per day)"
    if field == "currency":
        return f"read the currency from {name!r}"
    suffix = f", currency {currency}" if field in NUMBER_COLUMNS and split_currency(name)[1] else ""
    return None if name == field else f"read {name!r} as {field}{suffix}"


def plan_columns(
    header: tuple[str, ...], column_map: ColumnMap, *, source: str, allow_missing_revenue: bool = False
) -> Plan:
    """Every log column's source in a file with `header`; raises InputError when a required one has none."""
    sources = _user_sources(header, column_map, source)
    layout = detect_layout(header)
    auto, ignored = auto_columns(header, layout, frozenset(sources), source)
    sources.update(auto)
    date = sources.get("date")
    if "date_end" in sources and not (isinstance(date, int) and is_period_start(header[date])):
        del sources["date_end"]
    notes: list[str] = []
    has_revenue = "revenue" in sources
    if not has_revenue and allow_missing_revenue:
        sources["revenue"] = Constant("0")
        notes.append("no revenue column: revenue is 0 on every row; conversions are valued by [estimate] value_per_conversion")
    missing = [field for field in REQUIRED_COLUMNS if field not in sources]
    if missing:
        read = {field: origin for field, origin in sources.items() if isinstance(origin, int)}
        raise InputError(missing_message(missing, header, read), source=source)
    currency = _currency(header, sources, source)
    ordered = {field: sources[field] for field in FIELDS if field in sources}
    described = [describe(field, origin, header, currency) for field, origin in ordered.items() if has_revenue or field != "revenue"]
    notes = [note for note in described if note] + notes + ignored
    return Plan("mapped" if column_map.keys() - {"date_format"} else layout, ordered, tuple(notes), currency, has_revenue)
