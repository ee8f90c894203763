"""The bulk files, read back as the platforms' importers read them, hold exactly the plan's changes;
names from the ad platform are neutralised so a spreadsheet never runs them."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from budgetopt import api
from budgetopt.changes import GOOGLE_COLUMNS, META_COLUMNS

FIXTURES = Path(__file__).parents[1] / "data" / "fixtures"
EXPORTS = [
    ("meta_en.csv", None, "EUR"), ("meta_de.csv", None, "EUR"), ("meta_es.csv", None, "EUR"), ("meta_fr_semicolon_bom.csv", None, "EUR"),
    ("meta_pt.csv", None, "BRL"), ("google_ads_utf16.tsv", None, "EUR"), ("kaggle_style.csv", "kaggle_columns.toml", "EUR"),
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_of(cell: str) -> str:
    """A cell as written by a person: the apostrophe that neutralises a formula start taken off."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def meta_read_back(path: Path) -> dict[tuple, object]:
    """What Meta would apply: (campaign, ad set) → budget or 'PAUSED'/'ACTIVE+budget'; (campaign, ad set, ad) → status."""
    header, rows = read_rows(path)
    assert header == META_COLUMNS
    found = {}
    for row in rows:
        key = (text_of(row["Campaign Name"]), text_of(row["Ad Set Name"]))
        if row["Ad Name"] or row["Ad ID"]:
            found[(*key, text_of(row["Ad Name"]), row["Ad ID"])] = row["Ad Status"]
        else:
            assert key not in found, f"two rows for ad set {key}"
            found[key] = float(row["Ad Set Daily Budget"]) if row["Ad Set Daily Budget"] else row["Ad Set Run Status"]
    return found


def google_read_back(path: Path) -> dict[tuple, object]:
    """What Google Ads Editor would apply: campaign → budget or status; (campaign, ad group) → status; ads → status."""
    header, rows = read_rows(path)
    assert header == GOOGLE_COLUMNS
    found = {}
    for row in rows:
        campaign = text_of(row["Campaign"])
        if row["Ad name"] or row["Ad ID"]:
            found[(campaign, text_of(row["Ad group"]), text_of(row["Ad name"]), row["Ad ID"])] = row["Status"]
        elif row["Ad group"]:
            found[(campaign, text_of(row["Ad group"]))] = row["Ad group status"]
        else:
            found[(campaign,)] = float(row["Budget"]) if row["Budget"] else row["Campaign status"]
    return found


def expected_meta(changes: api.Changes) -> dict[tuple, object]:
    out = {}
    for r in changes.to_apply.itertuples(index=False):
        if r.field == "budget":
            out[(r.campaign, r.segment)] = float(r.after) if r.after > 0 else "PAUSED"
        else:
            out[(r.campaign, r.segment, r.creative, r.creative_id)] = r.after.upper()
    return out


def expected_google(changes: api.Changes) -> dict[tuple, object]:
    out = {}
    segments = pd.DataFrame(changes_segments(changes))
    for campaign, group in segments.groupby("campaign", sort=False):
        before, after = round(group["before"].sum(), 2), round(group["after"].sum(), 2)
        if abs(after - before) >= 0.005:
            out[(campaign,)] = after if after > 0 else "Paused"
    for r in changes.to_apply.itertuples(index=False):
        if r.field == "budget" and (r.before > 0) != (r.after > 0):
            out[(r.campaign, r.segment)] = "Enabled" if r.after > 0 else "Paused"
        elif r.field == "status":
            out[(r.campaign, r.segment, r.creative, r.creative_id)] = "Enabled" if r.after == "active" else "Paused"
    return out


def changes_segments(changes: api.Changes) -> list[dict]:
    return changes.segments.to_dict("records")


def write_and_check(result, policy, changes, folder: Path) -> None:
    api.write_plan_outputs(result, policy, changes_dir=folder, changes=changes)
    assert meta_read_back(folder / "meta-bulk.csv") == expected_meta(changes)
    assert google_read_back(folder / "google-ads-editor.csv") == expected_google(changes)
    back = pd.read_csv(folder / "changes.csv", dtype=str, keep_default_na=False)
    assert len(back) == len(changes.table)


def test_the_demos_bulk_files_hold_exactly_its_changes(tmp_path):
    policy = api.load_policy(api.demo_path("demo_policy.toml"))
    log = api.load_log(api.demo_path("demo_log.csv"))
    result = api.make_plan(log, policy)
    changes = api.make_changes(result, policy, log=log)
    write_and_check(result, policy, changes, tmp_path)
    meta = meta_read_back(tmp_path / "meta-bulk.csv")
    assert meta[("brand-search", "exact-brand")] == 538.82 and meta[("prospecting-social", "women-25-34", "static-c", "")] == "PAUSED"
    google = google_read_back(tmp_path / "google-ads-editor.csv")
    assert google[("brand-search",)] == pytest.approx(443.62 + 538.82)  # Google holds the budget on the campaign


@pytest.mark.parametrize("name, columns, currency", EXPORTS)
def test_each_exports_bulk_files_hold_exactly_its_changes_with_its_ids(name, columns, currency, tmp_path):
    policy = api.as_policy({"budget": {"daily_total": 3000.0, "currency": currency}, "estimate": {"value_per_conversion": 50.0}})
    loaded = api.read_performance_log(FIXTURES / name, policy, columns=FIXTURES / columns if columns else None)
    result = api.make_plan(loaded, policy)
    # the ledger's last plan had the first creative disabled: it is resumed, by its id when the export had one
    first = tuple(result.plan[["campaign", "segment", "creative"]].iloc[0])
    changes = api.make_changes(result, policy, log=loaded, disabled_before={first})
    assert (changes.table["field"] == "budget").any() and (changes.table["change"] == "resume").sum() == 1
    write_and_check(result, policy, changes, tmp_path)
    ids = loaded.log.get("segment_id")
    if ids is not None and ids.notna().all():
        _, rows = read_rows(tmp_path / "meta-bulk.csv")
        assert all(row["Ad Set ID"] for row in rows)  # Meta edits the ad sets the export named


HOSTILE = ['=HYPERLINK("http://evil.example","click")', "<script>alert(1)</script>", 'say "hi", \'there\'', "line one\nline two", "+1 offer", "@sum"]


def test_hostile_names_are_neutralised_in_every_file(tmp_path):
    rows = []
    for day in pd.date_range("2026-03-01", periods=6):
        for i, name in enumerate(HOSTILE):
            campaign, segment = (name, HOSTILE[(i + 1) % len(HOSTILE)])
            for creative, rate in ((HOSTILE[(i + 2) % len(HOSTILE)], 0.06), ("plain", 0.002)):
                rows.append({"date": day, "campaign": campaign, "segment": segment, "creative": creative, "spend": 100.0,
                             "visits": 500.0, "conversions": round(500 * rate), "revenue": 60.0 * round(500 * rate),
                             "status": "paused" if i == 0 and day == pd.Timestamp("2026-03-06") else "active"})
    log = pd.DataFrame(rows)
    policy = api.as_policy({"budget": {"daily_total": 1500.0}})
    result = api.make_plan(log, policy)
    changes = api.make_changes(result, policy, log=log)
    assert (changes.table["change"] == "pause").any()
    write_and_check(result, policy, changes, tmp_path)
    # the first segment has every creative paused by the user: its ad set is paused (Meta takes no zero budget)
    assert meta_read_back(tmp_path / "meta-bulk.csv")[(HOSTILE[0], HOSTILE[1])] == "PAUSED"
    for name in ("changes.csv", "meta-bulk.csv", "google-ads-editor.csv"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        _, cells = read_rows(tmp_path / name)
        values = [v for row in cells for v in row.values()]
        assert not any(v.startswith(FORMULA_STARTS) for v in values), name
        assert "'=HYPERLINK(" in text and "<script>alert(1)</script>" in text  # kept as text, no formula
        assert "\r" not in text


def test_the_plan_report_lists_the_changes_with_names_escaped(tmp_path):
    rows = []
    for day in pd.date_range("2026-03-01", periods=6):
        for creative, rate in (("<script>alert(1)</script>", 0.06), ("plain", 0.002)):
            rows.append({"date": day, "campaign": "c", "segment": "s", "creative": creative, "spend": 100.0, "visits": 500.0,
                         "conversions": round(500 * rate), "revenue": 60.0 * round(500 * rate), "status": "active"})
    log = pd.DataFrame(rows)
    policy = api.as_policy({"budget": {"daily_total": 300.0}})
    result = api.make_plan(log, policy)
    changes = api.make_changes(result, policy, log=log)
    api.write_plan_outputs(result, policy, changes_dir=tmp_path / "changes", changes=changes, report=tmp_path / "report")
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "<h2>Changes to apply</h2>" in page and "to apply against the account as it runs today" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
