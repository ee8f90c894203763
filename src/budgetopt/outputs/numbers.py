"""Numbers as files show them: money to the cent, other floats at full precision without an exponent,
JSON without float noise or NaN, and CSV text cells a spreadsheet never runs as a formula (OWASP)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def protect_text(text: str) -> str:
    """Text that cannot start like a formula, nor end a CSV row early (a bare CR becomes a quoted LF)."""
    text = "'" + text if text.startswith(FORMULA_STARTS) else text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def round_money(x: float) -> float:
    """`x` to the cent, half to even, on its 15-significant-digit decimal form so float noise cannot
    tip a tie (2.675 -> 2.68, 0.125 -> 0.12, 443.62499999999994 -> 443.62); -0.0 becomes 0.0."""
    x = float(x)
    if not math.isfinite(x) or abs(x) >= 1e15:  # no cents left to round at that size
        return x
    return float(Decimal(f"{x:.15g}").quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)) + 0.0


def plain_number(x: float, digits: int = 10) -> str:
    """A float with up to `digits` significant digits and never an exponent: 1848300.0 -> '1848300',
    1e-12 -> '0.000000000001'; below 1e-15 (float noise in anything budgetopt writes) '0'; NaN ''."""
    x = float(x)
    if not math.isfinite(x):
        return "" if math.isnan(x) else "inf" if x > 0 else "-inf"
    return "0" if abs(x) < 1e-15 else format(Decimal(f"{x:.{digits}g}"), "f")


def csv_text(frame: pd.DataFrame, *, money: Iterable[str] = (), counts: Iterable[str] = ()) -> str:
    """A spreadsheet-safe CSV: `money` columns to the cent with two decimals, `counts` as whole numbers (half
    to even), other floats by `plain_number`, integers as integers, missing cells empty, text and headers by
    `protect_text`. Names in `money` or `counts` the frame lacks are ignored: one tuple serves several tables."""
    money, counts, types = set(money), set(counts), pd.api.types
    table = frame.copy()
    table.columns = [protect_text(str(name)) for name in frame.columns]
    for i, name in enumerate(frame.columns):
        kind = frame.dtypes.iloc[i]
        if types.is_bool_dtype(kind) or types.is_datetime64_any_dtype(kind):
            continue
        if not types.is_numeric_dtype(kind):  # text, or mixed: numbers plain, text protected
            fmt = lambda x: plain_number(x) if isinstance(x, float | np.floating) else (
                str(x) if isinstance(x, int | np.integer | np.bool_) else protect_text(str(x)))
        elif name in money:
            fmt = lambda x: f"{round_money(x):.2f}"
        elif name in counts:
            fmt = lambda x: str(round(float(x)))
        elif types.is_float_dtype(kind):
            fmt = plain_number
        else:
            continue
        table.isetitem(i, frame.iloc[:, i].astype(object).map(lambda x, f=fmt: "" if pd.isna(x) is True else f(x)))
    return table.to_csv(index=False, lineterminator="\n")


def clean_floats(obj: Any, digits: int = 12) -> Any:
    """A JSON-ready copy: floats to `digits` significant digits (443.62499999999994 -> 443.625; 12 keep every
    cent below 10 billion, so parts still add up), NaN and inf -> None, numpy -> Python, tuples -> lists."""
    if isinstance(obj, float | np.floating):
        return float(f"{float(obj):.{digits}g}") + 0.0 if math.isfinite(obj) else None
    if isinstance(obj, np.generic):  # numpy ints and bools
        return obj.item()
    if isinstance(obj, Mapping):
        return {key: clean_floats(value, digits) for key, value in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [clean_floats(value, digits) for value in obj]
    return obj


def json_text(data: Any) -> str:
    """`data` as indented UTF-8 JSON after `clean_floats` (so never the invalid NaN), ending in a newline."""
    return json.dumps(clean_floats(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
