"""Approval with memory: what each stored plan changes in the account, which changes a person approved,
and overrides a person pinned (a segment's budget, a creative kept on) that every next plan respects as
constraints until lifted, each with who and when. Also what the account runs today by the ledger."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

import pandas as pd

from budgetopt.allocate import Pins
from budgetopt.changes import CHANGE_COLUMNS
from budgetopt.errors import InputError
from budgetopt.ledger.plans import Cell, _latest_plan, planned_cells
from budgetopt.ledger.store import Ledger, translating

#: the columns of the changes' history: planned, approved and delivered side by side
CHANGE_HISTORY_COLUMNS = ["date", "campaign", "segment", "creative", "field", "before", "planned", "approved", "delivered", "guardrail"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@translating
def disabled_in_latest_plan(ledger: Ledger, before: str) -> set[Cell]:
    """Cells the latest plan dated before `before` disabled: the account has them paused today."""
    latest = _latest_plan(ledger, before)
    if latest is None:
        return set()
    rows = ledger.connection.execute("SELECT campaign, segment, creative FROM plan_cells WHERE date = ? AND status = 'disabled'", (latest[0],))
    return {(c, s, k) for c, s, k in rows}


@translating
def store_changes(ledger: Ledger, day: str, table: pd.DataFrame, override_ids: list[int]) -> None:
    """Store a plan's changes (CHANGE_COLUMNS and `applies`) and the overrides it was made under."""
    rows = [
        (day, *(str(v) for v in r[:-1]), int(r[-1])) for r in table[[*CHANGE_COLUMNS, "applies"]].itertuples(index=False, name=None)
    ]
    con = ledger.connection
    con.executemany(f"INSERT INTO plan_changes (date, {', '.join(CHANGE_COLUMNS)}, applies) VALUES ({', '.join('?' * 12)})", rows)
    con.executemany("INSERT INTO plan_overrides (date, override_id) VALUES (?, ?)", [(day, i) for i in override_ids])


@translating
def approve(ledger: Ledger, names: list[str], by: str, day: str | None = None) -> tuple[str, list[str], list[str]]:
    """Record `by`'s approval of the named changes of the plan for `day` (default: the latest plan), all of
    them when `names` is empty; "campaign/segment" names a budget, "campaign/segment/creative" a status.
    Returns (the plan's date, what was approved now, what was approved already). All or nothing."""
    with ledger.transaction():
        con = ledger.connection
        latest = _latest_plan(ledger, None) if day is None else (day, 0)
        if latest is None or not con.execute("SELECT 1 FROM plans WHERE date = ?", (latest[0],)).fetchone():
            where = f"no plan for {day}" if day else "no plan yet"
            raise InputError(f"the ledger has {where}; make one with budgetopt plan --ledger", source=str(ledger.path))
        day = latest[0]
        rows = con.execute(
            "SELECT campaign, segment, creative, field FROM plan_changes WHERE date = ? AND applies = 1 ORDER BY field, campaign, segment, creative",
            (day,),
        ).fetchall()
        label = {r: "/".join(p for p in r[:3] if p) for r in rows}
        chosen = list(rows)
        if names:
            by_name = {}
            for r, name in label.items():
                by_name.setdefault(name, []).append(r)
            unknown = [n for n in names if n not in by_name]
            if unknown:
                close = difflib.get_close_matches(unknown[0], list(by_name), n=3)
                hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "see the plan's changes.csv (CAMPAIGN/SEGMENT or CAMPAIGN/SEGMENT/CREATIVE)"
                raise InputError(f"the plan for {day} has no change {unknown[0]!r} to approve; {hint}", source=str(ledger.path))
            chosen = [r for n in dict.fromkeys(names) for r in by_name[n]]
        done = {tuple(r) for r in con.execute("SELECT campaign, segment, creative, field FROM approvals WHERE date = ?", (day,))}
        new = [r for r in chosen if tuple(r) not in done]
        at = _now()
        con.executemany("INSERT INTO approvals VALUES (?, ?, ?, ?, ?, ?, ?)", [(day, *r, by, at) for r in new])
    return day, [label[r] for r in new], [label[r] for r in chosen if tuple(r) in done]


def _segment(ledger: Ledger, name: str) -> tuple[str, str]:
    """A planned segment from its "campaign/segment" name (names may contain '/')."""
    rows = ledger.connection.execute(
        "SELECT DISTINCT campaign, segment FROM plan_segments WHERE campaign || '/' || segment = ?", (name,)
    ).fetchall()
    if len(rows) == 1:
        return tuple(rows[0])
    if rows:
        raise InputError(f"{name!r} matches {len(rows)} segments; rename one in your ad platform", source=str(ledger.path))
    known = [f"{c}/{s}" for c, s in ledger.connection.execute("SELECT DISTINCT campaign, segment FROM plan_segments")]
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "give it as CAMPAIGN/SEGMENT as in the plan"
    raise InputError(f"no planned segment {name!r}; {hint}", source=str(ledger.path))


@translating
def set_override(ledger: Ledger, target: str, by: str, *, budget: float | None = None, lift: bool = False) -> str:
    """Pin a segment's budget ("campaign/segment", `budget`) or keep a creative on ("campaign/segment/creative",
    no budget) for every next plan, replacing an override already held on it; or `lift` it. Returns what was done."""
    with ledger.transaction():
        con = ledger.connection
        if _latest_plan(ledger, None) is None:
            raise InputError("the ledger has no plan yet; make one with budgetopt plan --ledger", source=str(ledger.path))
        at = _now()
        if lift:
            held = con.execute(
                "SELECT id FROM overrides WHERE lifted_at IS NULL AND ((creative = '' AND campaign || '/' || segment = ?) "
                "OR campaign || '/' || segment || '/' || creative = ?)", (target, target),
            ).fetchall()
            if not held:
                raise InputError(f"no override is held on {target!r}; budgetopt history --ledger lists them", source=str(ledger.path))
            con.executemany("UPDATE overrides SET lifted_by = ?, lifted_at = ? WHERE id = ?", [(by, at, i) for (i,) in held])
            return f"lifted the override on {target}: the engine sets it again from the next plan"
        is_segment = budget is not None
        key = (*_segment(ledger, target), "") if is_segment else planned_cells(ledger, [target])[0]
        held = con.execute("SELECT id FROM overrides WHERE campaign = ? AND segment = ? AND creative = ? AND lifted_at IS NULL", key).fetchall()
        con.executemany("UPDATE overrides SET lifted_by = ?, lifted_at = ? WHERE id = ?", [(by, at, i) for (i,) in held])
        con.execute(
            "INSERT INTO overrides (campaign, segment, creative, kind, budget, by, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*key, "budget" if is_segment else "keep", budget, by, at),
        )
    what = f"budget {budget:,.2f}" if is_segment else "kept on"
    return f"override on {target}: {what} in every next plan, until budgetopt override {target} --lift"


@translating
def held_overrides(ledger: Ledger) -> tuple[Pins, list[int]]:
    """The overrides held now, as the plan's pins (labelled with who and when), and their ids."""
    budgets, keep, ids = {}, {}, []
    rows = ledger.connection.execute("SELECT id, campaign, segment, creative, kind, budget, by, at FROM overrides WHERE lifted_at IS NULL")
    for i, campaign, segment, creative, kind, budget, by, at in rows:
        ids.append(int(i))
        who = f"override by {by} on {at[:10]}"
        if kind == "budget":
            budgets[(campaign, segment)] = (float(budget), f"{who}: budget {budget:,.2f}")
        else:
            keep[(campaign, segment, creative)] = f"{who}: keep"
    return Pins(budgets, keep), ids


_CHANGE_HISTORY = """
SELECT c.date, c.campaign, c.segment, c.creative, c.field, c.before, c.after, a.by, a.at, c.guardrail,
    EXISTS (SELECT 1 FROM observations AS d WHERE d.date = c.date),
    (SELECT sum(o.spend) FROM observations AS o WHERE o.date = c.date AND o.campaign = c.campaign AND o.segment = c.segment
        AND (c.creative = '' OR o.creative = c.creative))
FROM plan_changes AS c LEFT JOIN approvals AS a USING (date, campaign, segment, creative, field)
ORDER BY c.date, c.field, c.campaign, c.segment, c.creative
"""


@translating
def change_history(ledger: Ledger) -> tuple[pd.DataFrame, list[str]]:
    """Every stored change: planned, approved (by whom, when) and delivered (the day's spend of the segment,
    or whether the creative ran) side by side; and the overrides held now, in words."""
    rows = []
    for day, c, s, k, field, before, after, by, at, guard, logged, spend in ledger.connection.execute(_CHANGE_HISTORY):
        if not logged:
            delivered = "no data yet"
        elif field == "budget":
            delivered = f"spent {spend or 0.0:,.2f}"
        else:
            delivered = "ran" if (spend or 0.0) > 0 else "off"
        rows.append((day, c, s, k, field, before, after, f"{by} {at[:16].replace('T', ' ')}" if by else "", delivered, guard))
    held = [
        f"{'/'.join(p for p in (c, s, k) if p)}: {'budget ' + format(b, ',.2f') if kind == 'budget' else 'kept on'} (by {by} on {at[:10]})"
        for c, s, k, kind, b, by, at in ledger.connection.execute(
            "SELECT campaign, segment, creative, kind, budget, by, at FROM overrides WHERE lifted_at IS NULL ORDER BY id"
        )
    ]
    return pd.DataFrame.from_records(rows, columns=CHANGE_HISTORY_COLUMNS), held
