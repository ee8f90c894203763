"""The ledger's tables, as a list of migrations.

`MIGRATIONS[i]` takes a ledger from schema version i to i + 1; the `schema_version` table holds
the version a ledger is at, and opening a ledger applies the missing migrations in one
transaction. Never edit a migration that has shipped: append a new one.

Dates are ISO text (yyyy-mm-dd), so text order is date order; names are stored as given
(they are only ever bound as parameters). Every table is STRICT, so a wrong type is an error
instead of a silent conversion.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

#: written into the SQLite header (PRAGMA application_id) so a ledger is told apart from any other database
APPLICATION_ID = 0x6264676F  # "bdgo"


def _v1_initial(con: sqlite3.Connection) -> None:
    """Observations, ingests and other events, plans with their cells, segments and decisions, re-enables."""
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    # one statement at a time: executescript would COMMIT the transaction the migration runs in
    statements = [
        "CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT",
        # the journal: every ingest, plan and enable, in the order they happened (id)
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('ingest', 'plan', 'enable')),
            at TEXT NOT NULL,
            source TEXT,
            detail TEXT
        ) STRICT""",
        # one row per (date, cell): what the ad platform reported; event_id = the ingest that last wrote it
        """CREATE TABLE observations (
            date TEXT NOT NULL, campaign TEXT NOT NULL, segment TEXT NOT NULL, creative TEXT NOT NULL,
            spend REAL NOT NULL, visits REAL NOT NULL, conversions REAL NOT NULL, revenue REAL NOT NULL,
            impressions REAL, status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
            event_id INTEGER NOT NULL REFERENCES events(id),
            PRIMARY KEY (date, campaign, segment, creative)
        ) STRICT, WITHOUT ROWID""",
        # the values a corrected row replaced: nothing ingested is ever lost
        """CREATE TABLE replaced_observations (
            date TEXT NOT NULL, campaign TEXT NOT NULL, segment TEXT NOT NULL, creative TEXT NOT NULL,
            spend REAL NOT NULL, visits REAL NOT NULL, conversions REAL NOT NULL, revenue REAL NOT NULL,
            impressions REAL, status TEXT NOT NULL,
            event_id INTEGER NOT NULL REFERENCES events(id),
            replaced_by INTEGER NOT NULL REFERENCES events(id)
        ) STRICT""",
        "CREATE INDEX replaced_observations_by ON replaced_observations (replaced_by)",
        """CREATE TRIGGER observations_keep_replaced AFTER UPDATE ON observations BEGIN
            INSERT INTO replaced_observations VALUES (
                OLD.date, OLD.campaign, OLD.segment, OLD.creative, OLD.spend, OLD.visits, OLD.conversions,
                OLD.revenue, OLD.impressions, OLD.status, OLD.event_id, NEW.event_id);
        END""",
        """CREATE TABLE plans (
            date TEXT PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES events(id),
            currency TEXT NOT NULL,
            margin_rate REAL NOT NULL,
            total_spend REAL NOT NULL,
            expected_margin REAL NOT NULL,
            margin_p05 REAL NOT NULL,
            margin_p95 REAL NOT NULL,
            seed INTEGER,
            policy TEXT NOT NULL,
            summary TEXT NOT NULL
        ) STRICT""",
        # the segment budgets a plan set (`after`): the next plan's max_daily_change is measured from them
        """CREATE TABLE plan_segments (
            date TEXT NOT NULL REFERENCES plans(date) ON DELETE CASCADE,
            campaign TEXT NOT NULL, segment TEXT NOT NULL,
            before REAL NOT NULL, after REAL NOT NULL, limited_by TEXT NOT NULL,
            PRIMARY KEY (date, campaign, segment)
        ) STRICT, WITHOUT ROWID""",
        """CREATE TABLE plan_cells (
            date TEXT NOT NULL REFERENCES plans(date) ON DELETE CASCADE,
            campaign TEXT NOT NULL, segment TEXT NOT NULL, creative TEXT NOT NULL,
            status TEXT NOT NULL, spend REAL NOT NULL, share REAL NOT NULL, segment_spend REAL NOT NULL,
            previous_spend REAL NOT NULL, change REAL NOT NULL, expected_visits REAL, expected_conversions REAL,
            expected_margin REAL, margin_p05 REAL, margin_p95 REAL, p_best REAL, reason TEXT NOT NULL,
            PRIMARY KEY (date, campaign, segment, creative)
        ) STRICT, WITHOUT ROWID""",
        """CREATE TABLE decisions (
            date TEXT NOT NULL REFERENCES plans(date) ON DELETE CASCADE,
            campaign TEXT NOT NULL, segment TEXT NOT NULL, creative TEXT NOT NULL,
            visits REAL, conversions REAL, cvr_mean REAL, cvr_p05 REAL, cvr_p95 REAL,
            metric_mean REAL, metric_p05 REAL, metric_p95 REAL, p_best REAL, expected_loss REAL,
            verdict TEXT NOT NULL, reason TEXT NOT NULL,
            PRIMARY KEY (date, campaign, segment, creative)
        ) STRICT, WITHOUT ROWID""",
        # `budgetopt enable`: lifts the engine's earlier `disable` for plans made after this event
        """CREATE TABLE enables (
            event_id INTEGER NOT NULL REFERENCES events(id),
            campaign TEXT NOT NULL, segment TEXT NOT NULL, creative TEXT NOT NULL,
            PRIMARY KEY (event_id, campaign, segment, creative)
        ) STRICT""",
        "CREATE INDEX enables_cell ON enables (campaign, segment, creative)",
        "INSERT INTO schema_version (version) VALUES (0)",
    ]
    for statement in statements:
        con.execute(statement)


def _v2_approvals(con: sqlite3.Connection) -> None:
    """What each plan changes in the account, which of those changes a person approved (who, when), and the
    overrides people pinned (a segment's budget, a creative kept on) until they lift them."""
    statements = [
        # the changes a stored plan makes (budgetopt.changes), as the changes list shows them
        """CREATE TABLE plan_changes (
            date TEXT NOT NULL REFERENCES plans(date) ON DELETE CASCADE,
            level TEXT NOT NULL, campaign TEXT NOT NULL, segment TEXT NOT NULL, creative TEXT NOT NULL,
            field TEXT NOT NULL CHECK (field IN ('budget', 'status')), before TEXT NOT NULL, after TEXT NOT NULL,
            change TEXT NOT NULL, reason TEXT NOT NULL, guardrail TEXT NOT NULL, applies INTEGER NOT NULL,
            PRIMARY KEY (date, campaign, segment, creative, field)
        ) STRICT, WITHOUT ROWID""",
        """CREATE TABLE approvals (
            date TEXT NOT NULL, campaign TEXT NOT NULL, segment TEXT NOT NULL, creative TEXT NOT NULL, field TEXT NOT NULL,
            by TEXT NOT NULL, at TEXT NOT NULL,
            PRIMARY KEY (date, campaign, segment, creative, field),
            FOREIGN KEY (date, campaign, segment, creative, field) REFERENCES plan_changes ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID""",
        # creative = '' for a segment's budget; lifted_* stay NULL while the override holds
        """CREATE TABLE overrides (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            campaign TEXT NOT NULL, segment TEXT NOT NULL, creative TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('budget', 'keep')), budget REAL CHECK (budget IS NULL OR budget >= 0),
            by TEXT NOT NULL, at TEXT NOT NULL, lifted_by TEXT, lifted_at TEXT
        ) STRICT""",
        "CREATE INDEX overrides_held ON overrides (campaign, segment, creative) WHERE lifted_at IS NULL",
        # the overrides each plan was made under
        """CREATE TABLE plan_overrides (
            date TEXT NOT NULL REFERENCES plans(date) ON DELETE CASCADE,
            override_id INTEGER NOT NULL REFERENCES overrides(id),
            PRIMARY KEY (date, override_id)
        ) STRICT, WITHOUT ROWID""",
    ]
    for statement in statements:
        con.execute(statement)


#: MIGRATIONS[i] takes a ledger from version i to i + 1, inside the caller's transaction
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_initial, _v2_approvals]


def schema_version() -> int:
    """The version a ledger reaches after every migration this budgetopt knows."""
    return len(MIGRATIONS)
