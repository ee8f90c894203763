"""What a plan changes in the ad account, as a readable list (`changes.csv`) and as the bulk files
Meta Ads Manager and Google Ads Editor import."""

from budgetopt.changes.bulk import (
    GOOGLE_COLUMNS,
    META_COLUMNS,
    google_ads_editor,
    meta_bulk,
)
from budgetopt.changes.diff import (
    CHANGE_COLUMNS,
    Changes,
    cell_ids,
    currency_unit,
    plan_changes,
)

__all__ = [
    "CHANGE_COLUMNS", "GOOGLE_COLUMNS", "META_COLUMNS", "Changes", "cell_ids", "currency_unit", "google_ads_editor", "meta_bulk",
    "plan_changes",
]
