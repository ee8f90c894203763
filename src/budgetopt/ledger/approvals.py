"""What the account runs today, by the ledger: the creatives the latest plan disabled (paused in the
account until resumed), whatever `enable` recorded since (the account still has them paused)."""

from __future__ import annotations

from budgetopt.ledger.plans import Cell, _latest_plan
from budgetopt.ledger.store import Ledger, translating


@translating
def disabled_in_latest_plan(ledger: Ledger, before: str) -> set[Cell]:
    """Cells the latest plan dated before `before` disabled: the account has them paused today."""
    latest = _latest_plan(ledger, before)
    if latest is None:
        return set()
    rows = ledger.connection.execute("SELECT campaign, segment, creative FROM plan_cells WHERE date = ? AND status = 'disabled'", (latest[0],))
    return {(c, s, k) for c, s, k in rows}
