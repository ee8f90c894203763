"""Writing outputs safely: atomically (a crash never leaves half a file) and spreadsheet-safe.

Campaign, segment and creative names come from ad platforms and are untrusted: a text cell
that starts like a formula (=, +, -, @, tab, carriage return) is prefixed with an apostrophe
so a spreadsheet shows it as text instead of running it (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _default_permissions() -> int:
    """What open() would give a new file: 0o666 less the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_PERMISSIONS = _default_permissions()


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start like a formula; numbers are left as numbers."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            text = safe[column].astype(str)
            risky = text.str.startswith(FORMULA_STARTS)
            safe[column] = text.where(~risky, "'" + text)
    return safe


def write_atomic(path: str | Path, content: str) -> None:
    """Write text to `path` via a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _PERMISSIONS)  # mkstemp makes files private; outputs are meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(path: str | Path, frame: pd.DataFrame) -> None:
    """A spreadsheet-safe CSV, written atomically."""
    write_atomic(path, spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n", float_format="%.6g"))


def write_json(path: str | Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
