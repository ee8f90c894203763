"""A proposed split of tomorrow's budget (the input of `budgetopt whatif`), read and checked.

SPLIT.csv, one row per segment or per creative:
- per segment: columns `campaign, segment, spend` — the segment's budget for tomorrow; its creatives
  share it as the plan's decision engine says (the plan's `share` column: disabled and paused
  creatives get nothing);
- per creative: columns `campaign, segment, creative, spend` — each cell's own spend (a creative the
  plan keeps off may be given spend: it is a what-if).
Other columns are ignored, so an edited `plan.csv` is a valid per-creative split. Segments and cells
the file does not name spend 0. Each row must name a segment (or cell) of the log, once, with a
finite spend ≥ 0 and at most 1e12 (MAX_AMOUNT); every violation is reported with the file, row, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt.data.load import (
    missing_columns,
    name_column,
    number_column,
    read_csv_text,
    where_rows,
)
from budgetopt.data.schema import MAX_AMOUNT, CellStatus
from budgetopt.errors import InputError

SEGMENT_COLUMNS = ("campaign", "segment", "spend")
CELL_COLUMNS = ("campaign", "segment", "creative", "spend")


@dataclass(frozen=True)
class Split:
    """A proposed split, resolved onto the plan's cells."""

    spend: np.ndarray  # (cells,) currency per day, in the order of the plan's rows
    per: str  # "segment" or "creative": how the file gave it
    source: str
    unlisted: tuple[str, ...]  # 'campaign/segment' of segments with an active creative the file does not name


def read_split_file(path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The raw split (every cell as text) and each row's file line (header = line 1); blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "file not found"
        raise InputError(f"{what}; give the path of a split CSV (campaign, segment[, creative], spend)", source=str(path))
    try:
        raw = read_csv_text(path)
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty; give a header campaign, segment[, creative], spend and one row per segment or creative", source=str(path)) from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot be read as CSV ({first_line})", source=str(path)) from None
    lines = raw.index.to_numpy()
    return raw.reset_index(drop=True), lines


def resolve_split(raw: pd.DataFrame, plan: pd.DataFrame, *, source: str = "split", lines: np.ndarray | None = None) -> Split:
    """Check a raw split against the plan's cells and spread it over them.

    raw: the file's rows as text (or any DataFrame with the columns); plan: `PlanResult.plan`.
    Raises InputError listing every problem with its rows and column.
    """
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    per = "creative" if "creative" in raw.columns else "segment"
    needed = CELL_COLUMNS if per == "creative" else SEGMENT_COLUMNS
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(
            f"{missing_columns(missing)}; a split needs "
            f"{', '.join(SEGMENT_COLUMNS)} (one row per segment) or {', '.join(CELL_COLUMNS)} (one row per creative)",
            source=source,
        )
    if raw.empty:
        raise InputError("the split has no rows; give one row per segment (or creative) with its spend", source=source)
    key_columns = list(needed[:-1])
    problems: list[str] = []
    names = {}
    for column in key_columns:
        names[column] = name_column(raw, column, lines, problems).to_numpy()
    spend = number_column(raw, "spend", lines, problems, hint="; spend is currency per day").to_numpy()
    problems += spend_problems(spend, lines)
    if problems:
        raise InputError(problems, source=source)

    keys = list(zip(*(names[c] for c in key_columns)))
    problems += duplicate_problems(keys, per, lines)
    cells = list(zip(plan["campaign"], plan["segment"], plan["creative"]))
    campaigns = set(plan["campaign"])
    segments = set(zip(plan["campaign"], plan["segment"]))
    known = set(cells) if per == "creative" else segments
    for i, key in enumerate(keys):
        if key in known:
            continue
        where = where_rows(np.array([i]), lines)
        if key[0] not in campaigns:
            problems.append(f"{where}, column 'campaign': no campaign {key[0]!r} in the log; check the name against the log")
        elif key[:2] not in segments:
            problems.append(f"{where}, column 'segment': no segment {key[1]!r} in campaign {key[0]!r} in the log; check the name")
        else:
            problems.append(f"{where}, column 'creative': no creative {key[2]!r} in {key[0]}/{key[1]} in the log; check the name")
    if problems:
        raise InputError(problems, source=source)

    share = plan["share"].to_numpy(float)
    segment_of_cell = list(zip(plan["campaign"], plan["segment"]))
    out = np.zeros(len(plan))
    if per == "creative":
        index = {cell: i for i, cell in enumerate(cells)}
        for key, amount in zip(keys, spend):
            out[index[key]] = amount
        named = {key[:2] for key in keys}
    else:
        budget = dict(zip(keys, spend))
        shared: dict[tuple[str, str], float] = {}  # each segment's total share: 0 when no creative is active
        for key, part in zip(segment_of_cell, share):
            shared[key] = shared.get(key, 0.0) + part
        for i, key in enumerate(keys):
            if spend[i] > 0 and shared.get(key, 0.0) <= 0:
                problems.append(
                    f"{where_rows(np.array([i]), lines)}, column 'spend': segment {key[0]}/{key[1]} has no active creative tomorrow "
                    "(each is disabled by the decision engine or paused), so no creative would get its spend; give it 0, "
                    "or give the spend per creative"
                )
        if problems:
            raise InputError(problems, source=source)
        out = share * np.array([budget.get(key, 0.0) for key in segment_of_cell])
        named = set(keys)
    active = plan["status"].to_numpy() == CellStatus.ACTIVE
    live = dict.fromkeys(key for key, on in zip(segment_of_cell, active) if on)
    unlisted = tuple(f"{c}/{s}" for c, s in live if (c, s) not in named)
    return Split(out, per, source, unlisted)


def spend_problems(spend: np.ndarray, lines: np.ndarray | None) -> list[str]:
    """Spend below 0 or above MAX_AMOUNT (1e12), with its rows."""
    problems = []
    negative = np.flatnonzero(spend < 0)
    if len(negative):
        problems.append(f"{where_rows(negative, lines)}, column 'spend': negative ({spend[negative[0]]:g}); spend is currency per day, ≥ 0")
    huge = np.flatnonzero(spend > MAX_AMOUNT)
    if len(huge):
        problems.append(
            f"{where_rows(huge, lines)}, column 'spend': {spend[huge[0]]:g} is beyond any real budget (at most 1e12 currency per day)"
        )
    return problems


def duplicate_problems(keys: list[tuple[str, ...]], per: str, lines: np.ndarray | None) -> list[str]:
    frame = pd.DataFrame(keys)
    repeated = np.flatnonzero(frame.duplicated(keep=False).to_numpy())
    if not len(repeated):
        return []
    first = "/".join(keys[repeated[0]])
    return [f"{where_rows(repeated, lines)}: the same {per} appears more than once (first: {first}); give each {per} once"]
