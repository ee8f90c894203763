"""A delimited text file as a table of text cells, whatever its encoding, separator and preamble.

Exports arrive as UTF-8 (with or without BOM), UTF-16 (Google Ads) or cp1252 (Excel), separated by
commas, semicolons or tabs, sometimes with title lines above the header (Google Ads). The separator
and the header are the pair whose header holds the most known column names. The csv module gives
each record its first file line, so a quoted field spanning lines does not shift the lines after it.
Every failure is an `InputError` naming the file and, where there is one, the line.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt.data.messages import where_rows
from budgetopt.errors import InputError

SEPARATORS = (",", ";", "\t")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_SNIFF_CHARS = 65536
_SNIFF_RECORDS = 50
_HEADER_WITHIN = 10  # non-blank records: a header is never below a short preamble


class EmptyFileError(InputError):
    """The file holds nothing but whitespace."""


@dataclass(frozen=True)
class Table:
    """A file's header and its data as text columns (object arrays, one per header cell);
    `lines[i]` is row i's first line in the file (line 1 = the file's first line)."""

    header: tuple[str, ...]
    columns: tuple[np.ndarray, ...]
    lines: np.ndarray
    header_line: int
    separator: str
    encoding: str

    def column(self, index: int) -> np.ndarray:
        """Column `index`'s cells, top to bottom."""
        return self.columns[index]

    @property
    def size(self) -> int:
        """The number of data rows."""
        return len(self.lines)


def decode(data: bytes, source: str) -> tuple[str, str]:
    """The text of a file and the encoding it was read with: a BOM decides, else NUL bytes mean
    UTF-16, else UTF-8, else cp1252 (Excel on Windows), else Latin-1 (never fails)."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif data[:4096].count(0) > len(data[:4096]) // 4:
        head = data[:4096]
        candidates = ["utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"]
    else:
        candidates = ["utf-8", "cp1252", "latin-1"]
    for codec in candidates:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise InputError(f"cannot be decoded as {candidates[0].upper()} text; save the export again as UTF-8 CSV", source=source)


def records(text: str, separator: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of every record; a blank line is a record with no cells. Raises csv.Error."""
    reader = csv.reader(io.StringIO(text), delimiter=separator, skipinitialspace=True, strict=False)
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1


def sniff(text: str, is_known: Callable[[str], bool]) -> tuple[str, int]:
    """The separator and the header's record index: the record of the first ten holding the most known
    names (ties: the most cells, then comma before semicolon before tab); with no known name anywhere,
    the first non-blank record under the separator that splits it most."""
    head = text if len(text) <= _SNIFF_CHARS else text[: text.rfind("\n", 0, _SNIFF_CHARS) + 1 or _SNIFF_CHARS]
    best: tuple[tuple[int, int, int], str, int] | None = None
    for order, separator in enumerate(SEPARATORS):
        try:
            sample = [cells for _, cells in itertools.islice(records(head, separator), _SNIFF_RECORDS)]
        except csv.Error:
            continue
        filled = [i for i, cells in enumerate(sample) if any(c.strip() for c in cells)][:_HEADER_WITHIN]
        if not filled:
            continue
        hits = [sum(1 for c in sample[i] if is_known(c)) for i in filled]
        index = filled[hits.index(max(hits))]
        score = (max(hits), len(sample[index]), -order)
        if best is None or score > best[0]:
            best = (score, separator, index)
    return (",", 0) if best is None else (best[1], best[2])


def _parse(text: str, separator: str, header_index: int, source: str) -> tuple[list[str], int, list[list[str]], list[int]]:
    """The header, its line, and the non-blank records after it with their first lines."""
    header: list[str] = []
    header_line = 1
    rows: list[list[str]] = []
    lines: list[int] = []
    stream = records(text, separator)
    try:
        for index, (line, cells) in enumerate(stream):
            if index < header_index:
                continue
            if index == header_index:
                header, header_line = cells, line
            elif "".join(cells).strip():
                rows.append(cells)
                lines.append(line)
    except csv.Error as error:
        near = lines[-1] if lines else header_line
        raise InputError(
            f"cannot be read as CSV after line {near} ({error}); check for a quote that is never closed", source=source
        ) from None
    return [c.strip() for c in header], header_line, rows, lines


def _shape(header: list[str], rows: list[list[str]], lines: np.ndarray, separator: str, source: str) -> list[str]:
    """Make every row as wide as the header, in place: pad short rows, drop empty trailing fields and
    empty unnamed trailing columns; raise InputError for rows with extra values. Returns the header."""
    while header and header[-1] == "" and all(len(r) < len(header) or not r[len(header) - 1].strip() for r in rows):
        header = header[:-1]
    width = len(header)
    too_long: list[tuple[int, int]] = []
    for position, row in enumerate(rows):
        if len(row) > width:
            if any(c.strip() for c in row[width:]):
                too_long.append((position, len(row)))
            del row[width:]
        elif len(row) < width:
            row.extend([""] * (width - len(row)))
    if too_long:
        if separator == ",":
            hint = "if numbers use decimal commas (12,5), separate the columns with ';' or quote those numbers"
        else:
            hint = f"quote the values that contain the {SEPARATOR_NAMES[separator]} or remove the extra separators"
        first, count = too_long[0]
        raise InputError(
            f"{where_rows(np.array([p for p, _ in too_long]), lines)}: more values than the header has columns "
            f"(the header has {width}, row {first + 1} has {count}); {hint}",
            source=source,
        )
    return header


def _slow_table(text: str, separator: str, header_index: int, source: str) -> tuple[list[str], int, list[np.ndarray], np.ndarray]:
    """Header, header line, columns and lines by the csv module: quoted fields, ragged rows, exact errors."""
    header, header_line, rows, line_list = _parse(text, separator, header_index, source)
    lines = np.asarray(line_list, dtype=np.int64)
    header = _shape(header, rows, lines, separator, source)
    columns = [np.array(column, dtype=object) for column in zip(*rows)] if rows else [np.array([], dtype=object) for _ in header]
    return header, header_line, columns, lines


_UNUSUAL = re.compile("[\"\x00\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def _fast_table(text: str, separator: str, header_index: int) -> tuple[list[str], int, list[np.ndarray], np.ndarray] | None:
    """As `_slow_table`, by pandas' C parser, for text without quotes or unusual whitespace (so a record
    is a line and both parsers split and strip alike); None when the csv module must decide (a row
    wider than the first, values beyond the header, anything the C parser refuses)."""
    if _UNUSUAL.search(text):
        return None
    header = [c.strip() for c in text.split("\n", header_index + 1)[header_index].split(separator)]
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=separator, header=None, skiprows=header_index + 1, dtype=str, na_filter=False,
            skipinitialspace=True, skip_blank_lines=False, quoting=csv.QUOTE_NONE, engine="c",
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    blank = [frame[j].str.strip().eq("").to_numpy() for j in frame.columns]
    keep = ~np.logical_and.reduce(blank) if blank else np.zeros(0, dtype=bool)
    while header and header[-1] == "" and (len(header) > len(blank) or not keep[~blank[len(header) - 1]].any()):
        header.pop()
    if any(keep[~column].any() for column in blank[len(header):]):
        return None
    lines = np.flatnonzero(keep).astype(np.int64) + header_index + 2
    columns = [frame[j].to_numpy(dtype=object)[keep] if j < len(blank) else np.full(len(lines), "", dtype=object) for j in range(len(header))]
    return header, header_index + 1, columns, lines


def read_table(path: Path, is_known: Callable[[str], bool] = lambda cell: False, *, fast: bool = True) -> Table:
    """The file at `path` as a Table; raises EmptyFileError for an empty file, InputError for an unreadable
    one. `fast` lets pandas' C parser read plain files (the csv module reads the rest, and gives the errors)."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot be read ({error.strerror or error})", source=source) from None
    text, encoding = decode(data, source)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise EmptyFileError(
            "the file is empty; export the log with a header line (date, campaign, segment, creative, spend, "
            "visits, conversions, revenue) and one row per day and cell",
            source=source,
        )
    separator, header_index = sniff(text, is_known)
    parsed = _fast_table(text, separator, header_index) if fast else None
    header, header_line, columns, lines = parsed or _slow_table(text, separator, header_index, source)
    return Table(tuple(header), tuple(columns), lines, header_line, separator, encoding)


def own_format_fast(path: Path) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Our own format, read by pandas' C parser with the numbers parsed as numbers (a 4 M-row log in a
    fraction of the time and memory of reading every cell as text): (raw frame, file lines), or None
    whenever anything is not plain — another header, quotes, blank lines, a number that is not one,
    any parse error — so the exact reader decides and words the errors."""
    from budgetopt.data.schema import (
        ID_COLUMNS,
        NUMBER_COLUMNS,
        OPTIONAL_COLUMNS,
        REQUIRED_COLUMNS,
    )

    try:  # bytes, not text: a decoded copy (and StringIO's 4 bytes a character) cost 1.3 GB on a 265 MB log
        data = path.read_bytes()
        header = [cell.strip() for cell in data.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r").split(",")]
    except (OSError, UnicodeDecodeError):
        return None
    known = {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *ID_COLUMNS}
    if not set(REQUIRED_COLUMNS) <= set(header) or not set(header) <= known or len(set(header)) < len(header) or b'"' in data:
        return None
    numbers = [c for c in header if c in NUMBER_COLUMNS or c == "impressions"]
    try:
        frame = pd.read_csv(
            io.BytesIO(data), dtype={c: "float64" if c in numbers else str for c in header}, na_filter=False, skipinitialspace=True,
            skip_blank_lines=False, engine="c", encoding="utf-8-sig", encoding_errors="strict",
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    rows = data.count(b"\n") - (1 if data.endswith(b"\n") else 0)  # lines after the header
    del data
    if list(frame.columns) != header or len(frame) != rows or len(frame) == 0:
        return None
    if not np.isfinite(frame[numbers].to_numpy()).all():
        return None
    # ISO dates and names on every row: anything else (day/month dates, a "Total" row) is the exact reader's
    if not frame["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
        return None
    if any((frame[name].str.strip() == "").any() for name in ("campaign", "segment", "creative")):
        return None
    frame.columns = header
    return frame, np.arange(len(frame), dtype=np.int64) + 2
