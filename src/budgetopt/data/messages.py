"""Phrases shared by every input error about a table: which rows (and file lines), which columns are missing.

Kept apart from the readers so the text reader, the header mapping and `validate_log` name rows the same way.
"""

from __future__ import annotations

import numpy as np

MAX_ROWS_SHOWN = 5


def missing_columns(missing: list[str]) -> str:
    """"missing column 'a'" or "missing columns 'a', 'b'": the start of a missing-columns error."""
    return f"missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(c) for c in missing)}"


def where_rows(positions: np.ndarray, lines: np.ndarray | None) -> str:
    """'row 3 (line 4)' / 'rows 3, 8 (lines 4, 9) and 12 more' for 0-based positions; `lines` maps
    positions to file lines (CSV), None for formats without lines (Parquet)."""
    head = positions[:MAX_ROWS_SHOWN]
    plural = "s" if len(positions) > 1 else ""
    text = f"row{plural} {', '.join(str(int(p) + 1) for p in head)}"
    if lines is not None:
        text += f" (line{plural} {', '.join(str(int(lines[p])) for p in head)})"
    if len(positions) > MAX_ROWS_SHOWN:
        text += f" and {len(positions) - MAX_ROWS_SHOWN} more"
    return text


def quoted_list(names: list[str] | tuple[str, ...], limit: int = 30) -> str:
    """'a', 'b', 'c' (and 4 more): headers as the user wrote them, for messages."""
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" (and {len(names) - limit} more)" if len(names) > limit else "")
