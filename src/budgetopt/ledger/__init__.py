"""The ledger: an SQLite file that remembers observations, plans, decisions and re-enables across days.

    with open_ledger("budgetopt.db", create=True) as ledger:
        counts = ingest(ledger, load_log("yesterday.csv"), source="yesterday.csv")   # one transaction
        history = read_observations(ledger, before="2026-11-26")                     # reads
        store_plan(ledger, result, policy)                                           # stores a plan made elsewhere

It stores and reads, and never plans: `budgetopt.api.plan_with_ledger` reads the history, plans, and
stores the plan in one transaction.

Every change is one transaction (all or nothing, also under SIGKILL); writers take turns (WAL mode,
a busy timeout); the schema is versioned (`schema_version` table) and migrated on open.
"""

from budgetopt.ledger.approvals import (
    CHANGE_HISTORY_COLUMNS,
    approve,
    change_history,
    disabled_in_latest_plan,
    held_overrides,
    set_override,
    store_changes,
)
from budgetopt.ledger.history import HISTORY_COLUMNS, history
from budgetopt.ledger.observations import (
    IngestCounts,
    ingest,
    last_date,
    read_observations,
)
from budgetopt.ledger.plans import (
    EnableResult,
    disabled_cells,
    enable,
    fresh_since,
    has_plan,
    planned_cells,
    previous_budgets,
    store_plan,
)
from budgetopt.ledger.schema import MIGRATIONS, schema_version
from budgetopt.ledger.store import DEFAULT_WAIT, Ledger, LedgerBusyError, open_ledger

__all__ = [
    "CHANGE_HISTORY_COLUMNS", "approve", "change_history", "held_overrides", "set_override", "store_changes",
    "DEFAULT_WAIT", "HISTORY_COLUMNS", "MIGRATIONS", "EnableResult", "IngestCounts", "Ledger", "LedgerBusyError",
    "disabled_cells", "disabled_in_latest_plan", "fresh_since", "enable", "has_plan", "history", "ingest", "last_date", "open_ledger",
    "planned_cells", "previous_budgets", "read_observations", "schema_version", "store_plan",
]
