"""The plan's changes as the files ad platforms import in one upload.

- `meta-bulk.csv`, for Meta Ads Manager's import (Import ads in bulk): one row per ad set whose budget
  changes ("Ad Set Daily Budget"; an ad set whose budget goes to 0 is paused instead, "Ad Set Run
  Status" = PAUSED, since Meta takes no zero budget) and per ad whose status changes ("Ad Status" =
  ACTIVE or PAUSED). "Campaign ID", "Ad Set ID" and "Ad ID" are filled when the export had them
  (Meta then edits those objects); the names are always given.
- `google-ads-editor.csv`, for Google Ads Editor (Account > Import > From file): Google holds the daily
  budget on the campaign, so one row per campaign whose total changes ("Budget" = the sum of its ad
  groups' budgets; a campaign whose total goes to 0 is paused, "Campaign status" = Paused), one per ad
  group switched off or on ("Ad group status"), one per ad whose status changes ("Status" = Enabled or
  Paused). A blank cell means "leave as it is", as Google Ads Editor reads it.

Amounts are in the account's currency, with the decimals the platform takes (none for whole-unit
currencies such as JPY). Every cell goes through the CSV writer's formula neutralisation.
"""

from __future__ import annotations

import pandas as pd

from budgetopt.changes.diff import PAUSED, Changes, currency_unit

META_COLUMNS = [
    "Campaign ID", "Campaign Name", "Ad Set ID", "Ad Set Name", "Ad Set Run Status", "Ad Set Daily Budget", "Ad ID", "Ad Name", "Ad Status",
]
GOOGLE_COLUMNS = [
    "Campaign ID", "Campaign", "Campaign status", "Budget", "Ad group ID", "Ad group", "Ad group status", "Ad ID", "Ad name", "Status",
]
META_STATUS = {"active": "ACTIVE", "paused": "PAUSED"}
GOOGLE_STATUS = {"active": "Enabled", "paused": "Paused"}


def amount_text(value: float, currency: str) -> str:
    """An amount as the platforms' importers take it: '443.62', or '443' in a whole-unit currency."""
    return f"{value:.0f}" if currency_unit(currency) >= 1 else f"{value:.2f}"


def _frame(rows: list[dict[str, str]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=object).fillna("")


def meta_bulk(changes: Changes) -> pd.DataFrame:
    """meta-bulk.csv's table (META_COLUMNS, all text): the changes no guardrail stopped."""
    rows = []
    for r in changes.to_apply.itertuples(index=False):
        row = {"Campaign ID": r.campaign_id, "Campaign Name": r.campaign, "Ad Set ID": r.segment_id, "Ad Set Name": r.segment}
        if r.field == "budget":
            if r.after > 0:
                row["Ad Set Daily Budget"] = amount_text(r.after, changes.currency)
                if r.before == 0:
                    row["Ad Set Run Status"] = META_STATUS["active"]
            else:
                row["Ad Set Run Status"] = META_STATUS[PAUSED]
        else:
            row |= {"Ad ID": r.creative_id, "Ad Name": r.creative, "Ad Status": META_STATUS[r.after]}
        rows.append(row)
    return _frame(rows, META_COLUMNS)


def google_ads_editor(changes: Changes) -> pd.DataFrame:
    """google-ads-editor.csv's table (GOOGLE_COLUMNS, all text): campaign budgets that change, ad groups
    switched off or on, ads paused or resumed."""
    rows = []
    campaigns = changes.campaign_budgets
    for c in campaigns[campaigns["moved"]].itertuples(index=False):
        row = {"Campaign ID": c.campaign_id, "Campaign": c.campaign}
        if c.after > 0:
            row["Budget"] = amount_text(c.after, changes.currency)
            if c.before == 0:
                row["Campaign status"] = GOOGLE_STATUS["active"]
        else:
            row["Campaign status"] = GOOGLE_STATUS[PAUSED]
        rows.append(row)
    for r in changes.to_apply.itertuples(index=False):
        row = {"Campaign ID": r.campaign_id, "Campaign": r.campaign, "Ad group ID": r.segment_id, "Ad group": r.segment}
        if r.field == "budget":
            if (r.before > 0) == (r.after > 0):
                continue  # the campaign's budget carries it
            row["Ad group status"] = GOOGLE_STATUS["active" if r.after > 0 else PAUSED]
        else:
            row |= {"Ad ID": r.creative_id, "Ad name": r.creative, "Status": GOOGLE_STATUS[r.after]}
        rows.append(row)
    return _frame(rows, GOOGLE_COLUMNS)
