"""A user's column map (`--columns MAP.toml`): which header of their file holds each log column.

    [columns]
    spend = "Spent"                          # a header of the file
    segment = ["age", "gender", "interest"]  # headers joined with " / " (campaign, segment, creative)
    date = { value = "2017-08-30" }          # one value for every row (a file without dates)
    date_format = "%d/%m/%Y"                 # how the date column writes dates, when not yyyy-mm-dd

Also here: the guesses offered when a file lacks required columns, so the error can show the map to write.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from budgetopt.data.exports import header_key, lookup_key
from budgetopt.data.messages import missing_columns, quoted_list
from budgetopt.data.schema import (
    ID_COLUMNS,
    NAME_COLUMNS,
    NUMBER_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)
from budgetopt.errors import InputError

MAPPABLE = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *ID_COLUMNS)
JOIN = " / "
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Constant:
    """One value for every row, for a column the file does not have."""

    value: str


ColumnSource = str | tuple[str, ...] | Constant
ColumnMap = dict[str, ColumnSource]  # log column -> source; "date_format" -> a strftime format


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """" (did you mean 'spend'?)" when a choice is close, else ""."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _source(key: str, value: object, source: str) -> ColumnSource:
    """One entry of the [columns] table, checked."""
    where = f"[columns] {key}"
    if isinstance(value, Constant):
        value = {"value": value.value}
    elif isinstance(value, tuple):
        value = list(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        if key not in NAME_COLUMNS:
            raise InputError(f"{where}: only {', '.join(NAME_COLUMNS)} can join several headers; give one header", source=source)
        return tuple(v.strip() for v in value)
    if isinstance(value, Mapping) and set(value) == {"value"}:
        constant = value["value"]
        if isinstance(constant, bool) or not isinstance(constant, (str, int, float)) or not str(constant).strip():
            raise InputError(f"{where}: value must be a text or a number", source=source)
        text = str(constant).strip()
        if key == "date" and not _ISO_DATE.fullmatch(text):
            raise InputError(f"{where}: value must be an ISO date yyyy-mm-dd (got {text!r})", source=source)
        if key in (*NUMBER_COLUMNS, "impressions") and not isinstance(constant, (int, float)):
            raise InputError(f"{where}: value must be a number (got {text!r})", source=source)
        return Constant(text)
    raise InputError(
        f'{where}: give a header ({key} = "Header"), a list of headers ({key} = ["a", "b"]) '
        f'or one value for every row ({key} = {{ value = "..." }}); got {value!r}',
        source=source,
    )


def column_map_from_dict(table: Mapping[str, object], *, source: str = "columns") -> ColumnMap:
    """A checked column map from the [columns] table's contents; raises InputError naming the key."""
    checked: ColumnMap = {}
    for key, value in table.items():
        if key == "date_format":
            if not isinstance(value, str) or "%" not in value:
                raise InputError(f'[columns] date_format: give a format such as "%d/%m/%Y" (got {value!r})', source=source)
            checked[key] = value
        elif key in MAPPABLE:
            checked[key] = _source(key, value, source)
        else:
            raise InputError(
                f"[columns] {key}: unknown log column{did_you_mean(key, [*MAPPABLE, 'date_format'])}; "
                f"the keys are {', '.join(MAPPABLE)} and date_format",
                source=source,
            )
    return checked


def load_column_map(path: str | Path) -> ColumnMap:
    """The [columns] table of a TOML file, checked: log column -> header, headers or Constant."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError("file not found; give the path of a TOML file with a [columns] table", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot be read ({error})", source=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML ({error})", source=str(path)) from None
    extra = [key for key in document if key != "columns"]
    if extra or not isinstance(document.get("columns"), dict):
        raise InputError(
            f"a column map holds one [columns] table (log column = \"header\"), e.g. spend = \"Spent\""
            f"{'; unknown ' + ', '.join(repr(k) for k in extra) if extra else ''}",
            source=str(path),
        )
    return column_map_from_dict(document["columns"], source=str(path))


def find_header(header: tuple[str, ...], name: str, field: str, source: str) -> int:
    """The column of `name` (exact, else by its key); InputError listing the headers when absent or repeated."""
    found = [i for i, h in enumerate(header) if h == name]
    if not found:
        found = [i for i, h in enumerate(header) if lookup_key(h) == lookup_key(name)]
    if len(found) > 1:
        a, b = found[:2]
        raise InputError(f"the column map's {field} = {name!r} matches columns {a + 1} and {b + 1}; rename one of them", source=source)
    if not found:
        raise InputError(
            f"the column map's {field} = {name!r} is not a header of this file{did_you_mean(name, list(header))}; "
            f"its headers are {quoted_list(header)}",
            source=source,
        )
    return found[0]


GUESSES = {
    "date": ("date", "day", "reporting starts", "date start", "reporting date"),
    "campaign": ("campaign", "campaign name", "xyz campaign id", "campaign id", "fb campaign id"),
    "segment": ("segment", "ad set", "ad set name", "adset", "ad group", "adgroup", "audience", "targeting"),
    "creative": ("creative", "ad", "ad name", "ad id", "creative id", "creative name"),
    "spend": ("spend", "spent", "cost", "costs", "amount spent", "amount", "media cost"),
    "visits": ("visits", "clicks", "link clicks", "sessions", "clicks all"),
    "conversions": ("conversions", "total conversion", "total conversions", "purchases", "results", "orders", "conv"),
    "revenue": ("revenue", "conversion value", "conv value", "purchase value", "sales", "value", "income"),
}


def _guess_key(name: str) -> str:
    return " ".join(re.sub(r"[_\-.()]+", " ", header_key(name)).split())


def guess_columns(header: tuple[str, ...], missing: list[str], taken: set[int]) -> dict[str, str]:
    """field -> the likeliest header for each missing field (a synonym, else a close spelling), each header once."""
    guesses: dict[str, str] = {}
    used = set(taken)
    for field in missing:
        synonyms = GUESSES.get(field, ())
        best: tuple[float, int] | None = None
        for column, name in enumerate(header):
            if column in used:
                continue
            key = _guess_key(name)
            if key in synonyms:
                score = 2.0 - synonyms.index(key) / 100
            else:
                score = max((difflib.SequenceMatcher(None, key, s).ratio() for s in synonyms), default=0.0)
            if score >= 0.8 and (best is None or score > best[0]):
                best = (score, column)
        if best is not None:
            guesses[field] = header[best[1]]
            used.add(best[1])
    return guesses


def missing_message(missing: list[str], header: tuple[str, ...], read: dict[str, int]) -> str:
    """The error for required columns no header provides: what was found, what was already read under
    another name (`read`: field -> column), and the [columns] lines to write."""
    text = f"{missing_columns(missing)}; the log needs {', '.join(REQUIRED_COLUMNS)}; found {quoted_list(header)}"
    renamed = [f"{header[column]!r} as {field}" for field, column in read.items() if header[column] != field]
    if renamed:
        text += f" (already read {', '.join(renamed)})"
    taken = set(read.values())
    guesses = guess_columns(header, missing, taken)
    if guesses:
        lines = ", ".join(f'{field} = "{name}"' for field, name in guesses.items())
        text += f"; perhaps {lines}: write them in a [columns] table of a file passed with --columns"
    else:
        text += '; name them in a [columns] table of a file passed with --columns (e.g. spend = "Cost")'
    if "date" in missing and "date" not in guesses:
        text += '; a file without dates takes one date for every row: date = { value = "yyyy-mm-dd" }'
    if "segment" in missing and "segment" not in guesses:
        text += '; several headers can make one name: segment = ["age", "gender"]'
    if "revenue" in missing and "revenue" not in guesses:
        text += "; an export without revenue loads when the policy values conversions with [estimate] value_per_conversion"
    return text
