"""Plans against what happened: each stored plan's spend and expected margin beside the day's observations.

Actual margin = revenue × margin_rate − spend, with the margin_rate of the policy the plan was made
under. The plan's 90 % interval is a statement about the planned spend, so `outcome` compares the
actual margin with it (within, below, above) only when the plan was followed: every cell's actual
spend within `SPEND_TOLERANCE` of its planned spend. Otherwise it says "off plan" (and in how many
cells, for the account). A cell without a row on a day the ledger has other rows for spent nothing;
a day without any row is "no data yet". For the whole account the actual figures add up every cell
observed that day (a creative launched after the plan counts, and counts as off plan).
"""

from __future__ import annotations

import pandas as pd

from budgetopt.data.schema import CellStatus
from budgetopt.ledger.plans import planned_cells
from budgetopt.ledger.store import Ledger, translating

#: a cell followed its plan when |actual − planned spend| ≤ 10 % of planned (or 1 currency unit for tiny
#: budgets): ad platforms pace a daily budget loosely, and a day's spend commonly lands within ±10 % of it
SPEND_TOLERANCE = 0.10
SPEND_TOLERANCE_MIN = 1.0
#: an actual margin within half a cent of the interval is within it (amounts are stored to the cent)
HALF_CENT = 0.005

#: history.csv's amounts of money, written to the cent
HISTORY_MONEY = ("planned_spend", "actual_spend", "expected_margin", "margin_p05", "margin_p95", "actual_margin")
HISTORY_COLUMNS = [
    "date", "status", "planned_spend", "actual_spend", "expected_margin", "margin_p05", "margin_p95", "actual_margin",
    "outcome", "currency",
]

_ACCOUNT = """
SELECT p.date, p.currency, p.margin_rate, p.total_spend, p.expected_margin, p.margin_p05, p.margin_p95,
    (SELECT count(*) FROM observations AS o WHERE o.date = p.date),
    (SELECT sum(o.spend) FROM observations AS o WHERE o.date = p.date),
    (SELECT sum(o.revenue) FROM observations AS o WHERE o.date = p.date)
FROM plans AS p ORDER BY p.date
"""
_OFF_PLAN = """
SELECT c.date, count(*) FROM plan_cells AS c
LEFT JOIN observations AS o ON o.date = c.date AND o.campaign = c.campaign AND o.segment = c.segment AND o.creative = c.creative
WHERE abs(coalesce(o.spend, 0) - c.spend) > max(:tolerance * c.spend, :minimum)
GROUP BY c.date
UNION ALL
SELECT o.date, count(*) FROM observations AS o JOIN plans AS p ON p.date = o.date
WHERE o.spend > :minimum AND NOT EXISTS (
    SELECT 1 FROM plan_cells AS c
    WHERE c.date = o.date AND c.campaign = o.campaign AND c.segment = o.segment AND c.creative = o.creative)
GROUP BY o.date
"""
_CELL = """
SELECT p.date, p.currency, p.margin_rate, c.spend, c.expected_margin, c.margin_p05, c.margin_p95, c.status,
    EXISTS (SELECT 1 FROM observations AS any_row WHERE any_row.date = p.date), o.spend, o.revenue
FROM plans AS p
JOIN plan_cells AS c ON c.date = p.date AND c.campaign = ? AND c.segment = ? AND c.creative = ?
LEFT JOIN observations AS o ON o.date = p.date AND o.campaign = c.campaign AND o.segment = c.segment AND o.creative = c.creative
ORDER BY p.date
"""


def _outcome(actual: float | None, low: float, high: float, off_plan: int, account: bool) -> str:
    if actual is None:
        return "no data yet"
    if off_plan:
        return f"off plan ({off_plan} cell{'s' if off_plan > 1 else ''})" if account else "off plan"
    if actual < low - HALF_CENT:
        return "below"
    if actual > high + HALF_CENT:
        return "above"
    return "within"


@translating
def history(ledger: Ledger, cell: str | None = None) -> pd.DataFrame:
    """One row per stored plan (columns HISTORY_COLUMNS), for the whole account or one "campaign/segment/creative".

    `status` is the cell's planned status, or for the account how many cells were disabled or paused;
    `outcome` is "within", "below" or "above" the plan's 90 % interval, "off plan" or "no data yet"
    (see the module doc). Actual figures are NaN for days the ledger has no observations of.
    """
    con = ledger.connection
    rows = []
    if cell is None:
        counts: dict[str, list[str]] = {}
        for day, status, n in con.execute("SELECT date, status, count(*) FROM plan_cells GROUP BY date, status ORDER BY date, status"):
            if status != CellStatus.ACTIVE:
                counts.setdefault(day, []).append(f"{n} {status}")  # e.g. "1 disabled, 1 paused"
        off_plan: dict[str, int] = {}
        for day, n in con.execute(_OFF_PLAN, {"tolerance": SPEND_TOLERANCE, "minimum": SPEND_TOLERANCE_MIN}):
            off_plan[day] = off_plan.get(day, 0) + n
        for day, currency, rate, planned, expected, low, high, observed, spend, revenue in con.execute(_ACCOUNT):
            actual = revenue * rate - spend if observed else None
            outcome = _outcome(actual, low, high, off_plan.get(day, 0), account=True)
            rows.append((day, ", ".join(counts.get(day, ["all active"])), planned, spend, expected, low, high, actual, outcome, currency))
    else:
        (key,) = planned_cells(ledger, [cell])
        for day, currency, rate, planned, expected, low, high, status, logged, spend, revenue in con.execute(_CELL, key):
            if logged:  # no row for the cell on a logged day: it did not run
                spend, revenue = spend or 0.0, revenue or 0.0
            actual = revenue * rate - spend if logged else None
            off = logged and abs(spend - planned) > max(SPEND_TOLERANCE * planned, SPEND_TOLERANCE_MIN)
            rows.append((day, status, planned, spend, expected, low, high, actual, _outcome(actual, low, high, int(off), account=False), currency))
    frame = pd.DataFrame.from_records(rows, columns=HISTORY_COLUMNS)
    for column in ("planned_spend", "actual_spend", "expected_margin", "margin_p05", "margin_p95", "actual_margin"):
        frame[column] = frame[column].astype("float64")
    return frame
