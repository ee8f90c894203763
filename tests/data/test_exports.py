"""Ad-platform exports and other people's CSVs load as they are, and the reader says how it read them."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetopt.data import load_log
from budgetopt.data.columns import Constant, load_column_map
from budgetopt.data.read import LoadedLog, read_log
from budgetopt.errors import InputError
from tests.data.binary_fixtures import contents

FIXTURES = Path(__file__).parent / "fixtures"
IDS = ["campaign_id", "segment_id", "creative_id"]
OURS = ["date", "campaign", "segment", "creative", "spend", "visits", "conversions", "revenue", "impressions", "status"]

BASE = """\
date,campaign,segment,creative,spend,impressions,visits,conversions,revenue
2024-05-01,search,brand,ad-a,100.5,1000,200,10,500.0
2024-05-02,search,brand,ad-a,90,1100,210,12,600
"""


def write(tmp_path, text, name="log.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def error_of(path, **kwargs):
    with pytest.raises(InputError) as caught:
        read_log(path, **kwargs)
    return str(caught.value)


def test_binary_fixtures_are_what_the_generator_writes():
    for name, data in contents().items():
        assert (FIXTURES / name).read_bytes() == data, name


# --- Meta Ads Manager -------------------------------------------------------------------------


def test_meta_english_export_reads_and_says_how():
    loaded = read_log(FIXTURES / "meta_en.csv")
    assert isinstance(loaded, LoadedLog)
    assert (loaded.layout, loaded.currency, loaded.skipped_rows, loaded.has_revenue) == ("meta", "EUR", 1, True)
    assert "read 'Amount spent (EUR)' as spend, currency EUR" in loaded.notes
    assert "read 'Link clicks' as visits" in loaded.notes
    assert "read 'Purchases' as conversions" in loaded.notes
    assert "ignored 'Results' (conversions read from 'Purchases')" in loaded.notes
    assert any(note.startswith("skipped 1 summary row with no names (lines 2)") for note in loaded.notes)
    log = loaded.log
    assert list(log.columns) == [*OURS, *IDS]
    assert log["spend"].sum() == pytest.approx(152.3)
    assert log["creative_id"].tolist() == ["23851234567890789", "23851234567890790"] * 2
    assert all(isinstance(value, str) for value in log["campaign_id"])


@pytest.mark.parametrize(
    "name, currency, campaign, spend, notes",
    [
        ("meta_fr_semicolon_bom.csv", "EUR", "Soldes d’été", 36.25, ["read 'Montant dépensé (EUR)' as spend, currency EUR", "read numbers with a decimal comma"]),
        ("meta_es.csv", "EUR", "Rebajas de primavera", 59.75, ["read 'Clics en el enlace' as visits"]),
        ("meta_de.csv", "EUR", "Frühling", 3314.66, ["read 'Käufe' as conversions", "read dates in 'Tag' as %d.%m.%Y"]),
        ("meta_pt.csv", "BRL", "Liquidação", 161.3, ["read 'Valor usado (BRL)' as spend, currency BRL", "read dates in 'Dia' as %d/%m/%Y"]),
    ],
)
def test_localised_meta_exports_read(name, currency, campaign, spend, notes):
    loaded = read_log(FIXTURES / name)
    assert (loaded.layout, loaded.currency) == ("meta", currency)
    assert loaded.log["campaign"].iloc[0] == campaign
    assert loaded.log["spend"].sum() == pytest.approx(spend)
    assert set(notes) <= set(loaded.notes), loaded.notes


def test_meta_german_thousands_are_read():
    log = read_log(FIXTURES / "meta_de.csv").log
    assert log["impressions"].tolist() == [120000.0, 98500.0, 110250.0]
    assert log["revenue"].tolist() == [4567.8, 3010.0, 4100.5]


def test_meta_headers_match_without_case_accents_or_curly_apostrophes(tmp_path):
    text = (FIXTURES / "meta_fr_semicolon_bom.csv").read_text(encoding="utf-8-sig")
    header, rest = text.split("\n", 1)
    plain = header.replace("’", "'").replace("é", "e").upper()
    assert read_log(write(tmp_path, plain + "\n" + rest)).log.equals(read_log(FIXTURES / "meta_fr_semicolon_bom.csv").log)


def test_meta_row_covering_several_days_is_refused(tmp_path):
    text = (FIXTURES / "meta_es.csv").read_text(encoding="utf-8").replace("2024-05-02,2024-05-02", "2024-05-02,2024-05-08")
    message = error_of(write(tmp_path, text))
    assert "row 3 (line 4): a row covers 2024-05-02 to 2024-05-08" in message
    assert "one row per day" in message and "By time > Day" in message


def test_meta_summary_row_that_is_not_the_total_is_an_empty_name(tmp_path):
    text = (FIXTURES / "meta_en.csv").read_text(encoding="utf-8").replace("2024-05-02,,,,,,,,152.30,", "2024-05-01,,,,,,,,99.00,")
    assert "row 1 (line 2), column 'campaign': empty name" in error_of(write(tmp_path, text))


# --- Google Ads -------------------------------------------------------------------------------


def test_google_ads_report_reads_as_google_writes_it():
    loaded = read_log(FIXTURES / "google_ads_utf16.tsv")
    assert (loaded.layout, loaded.currency, loaded.skipped_rows) == ("google-ads", "EUR", 2)
    assert "read as UTF-16, tab-separated, header on line 3" in loaded.notes
    assert "skipped 2 total rows (lines 8, 9)" in loaded.notes
    assert "read '--' as 0 in 1 cell" in loaded.notes
    log = loaded.log
    assert log["spend"].tolist() == [1234.56, 310.0, 1198.4, 298.1]
    assert log["impressions"].iloc[0] == 12345.0
    assert log["revenue"].tolist() == [2100.5, 0.0, 1950.0, 95.0]
    assert log["creative"].iloc[0] == log["creative_id"].iloc[0] == "678901234567"
    assert list(log.columns) == [*OURS, *IDS]


def test_google_ads_report_with_two_currencies_is_refused(tmp_path):
    text = (FIXTURES / "google_ads_utf16.tsv").read_bytes().decode("utf-16")
    text = text.replace("EUR\t298.10", "USD\t298.10")
    assert "row 4 (line 7), column 'Currency code': the log mixes currencies EUR and USD" in error_of(write(tmp_path, text, "g.tsv", "utf-16"))


def test_google_ad_text_is_the_creative_when_present(tmp_path):
    text = "Day\tCampaign\tAd group\tAd\tAd ID\tCost\tClicks\tConversions\tConv. value\n2024-05-01\tC\tG\tBuy now\t42\t1.5\t3\t1\t9\n"
    log = read_log(write(tmp_path, text, "g.tsv")).log
    assert (log["creative"].iloc[0], log["creative_id"].iloc[0]) == ("Buy now", "42")


# --- any CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transform, encoding",
    [
        (lambda t: t.replace(",", "\t"), "utf-8"),
        (lambda t: t.replace(",", ";").replace(".", ","), "utf-8"),
        (lambda t: "\ufeff" + t.replace(",", ";").replace(".", ","), "utf-8"),
        (lambda t: t.replace(",", "\t"), "utf-16"),
        (lambda t: t.replace("100.5", '"1,000.5"').replace(",600\n", ',"1,600"\n'), "utf-8"),
        (lambda t: t.replace(",", ";").replace("100.5", "1.000,5").replace("500.0", "500").replace(";600\n", ";1.600\n"), "utf-8"),
        (lambda t: t.replace(",", "\t").replace("100.5", "1,000.50"), "utf-8"),
        (lambda t: t.replace("2024-05-01", "01/05/2024").replace("2024-05-02", "13/05/2024"), "utf-8"),
        (lambda t: t.replace("2024-05-01", "05/01/2024").replace("2024-05-02", "05/13/2024"), "utf-8"),
        (lambda t: t.replace("2024-05-01", "2024-05-01 00:00:00"), "utf-8"),
        (lambda t: t.replace("2024-05-01", '"May 1, 2024"').replace("2024-05-02", '"Wed, May 15, 2024"'), "utf-8"),
    ],
    ids=[
        "tab", "semicolon decimal comma", "BOM", "UTF-16 no BOM", "quoted thousands", "dot thousands",
        "tab thousands", "dd/mm/yyyy", "mm/dd/yyyy", "midnight time", "month names",
    ],
)
def test_any_csv_reads(tmp_path, transform, encoding):
    text = transform(BASE)
    data = text.encode("utf-16-le") if encoding == "utf-16" else text.encode(encoding)
    path = tmp_path / "log.csv"
    path.write_bytes(data)
    log = read_log(path).log
    assert len(log) == 2 and log["visits"].tolist() == [200.0, 210.0]
    assert log["spend"].iloc[0] in (100.5, 1000.5)
    assert log["date"].iloc[0] == pd.Timestamp("2024-05-01")


def test_latin1_letters_load():
    log = read_log(FIXTURES / "our_format_cp1252.csv")
    assert log.log["campaign"].tolist() == ["été", "été"]
    assert log.notes == ("read as CP1252",)


def test_ambiguous_day_month_asks_for_iso_dates(tmp_path):
    text = BASE.replace("2024-05-01", "01/05/2024").replace("2024-05-02", "02/05/2024")
    message = error_of(write(tmp_path, text))
    assert "column 'date': no date in the file tells whether '01/05/2024' (row 1 (line 2)) is day/month or month/day" in message
    assert "export ISO dates yyyy-mm-dd" in message and 'date_format = "%d/%m/%Y"' in message


def test_date_format_in_the_column_map_settles_it(tmp_path):
    text = BASE.replace("2024-05-01", "01/05/2024").replace("2024-05-02", "02/05/2024")
    log = read_log(write(tmp_path, text), columns={"date_format": "%m/%d/%Y"}).log
    assert log["date"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-05")]


def test_a_date_format_that_matches_no_date_is_said_unused(tmp_path):
    loaded = read_log(write(tmp_path, BASE), columns={"date_format": "%d-%m-%Y"})
    assert loaded.log["date"].iloc[0] == pd.Timestamp("2024-05-01")
    assert loaded.notes == ("dates in 'date' are yyyy-mm-dd: [columns] date_format '%d-%m-%Y' matches none of them and is unused",)


def test_mixed_decimal_marks_are_refused(tmp_path):
    text = BASE.replace(",", ";").replace("500.0", "500,0")
    assert "with a decimal point but" in error_of(write(tmp_path, text))


def test_our_format_has_no_notes_and_the_budgetopt_layout(tmp_path):
    loaded = read_log(write(tmp_path, BASE))
    assert (loaded.notes, loaded.layout, loaded.currency, loaded.skipped_rows) == ((), "budgetopt", None, 0)


def test_total_rows_are_skipped_and_counted(tmp_path):
    loaded = read_log(write(tmp_path, BASE + "Total,,,,190.5,2100,410,22,1100\n"))
    assert (len(loaded.log), loaded.skipped_rows) == (2, 1)
    assert "skipped 1 total row (lines 4)" in loaded.notes


# --- ids and revenue --------------------------------------------------------------------------


def test_ids_are_kept_as_exact_text(tmp_path):
    text = BASE.replace("revenue\n", "revenue,creative_id\n").replace("500.0\n", "500.0,238420000000000012345\n").replace(",600\n", ",600,007\n")
    log = read_log(write(tmp_path, text)).log
    assert list(log.columns) == [*OURS[:-2], "impressions", "status", "creative_id"]
    assert log["creative_id"].tolist() == ["238420000000000012345", "007"]


def test_ids_rounded_by_a_spreadsheet_are_refused(tmp_path):
    text = BASE.replace("revenue\n", "revenue,creative_id\n").replace("500.0\n", "500.0,2.38E+16\n").replace(",600\n", ",600,1\n")
    assert "row 1 (line 2), column 'creative_id': '2.38E+16' is an id rounded by a spreadsheet" in error_of(write(tmp_path, text))


def test_missing_revenue_suggests_value_per_conversion(tmp_path):
    path = write(tmp_path, BASE.replace(",revenue", "").replace(",500.0", "").replace(",600", ""))
    assert "[estimate] value_per_conversion" in error_of(path)
    loaded = read_log(path, allow_missing_revenue=True)
    assert loaded.has_revenue is False and loaded.log["revenue"].tolist() == [0.0, 0.0]
    assert any("value_per_conversion" in note for note in loaded.notes)


# --- column maps ------------------------------------------------------------------------------


def test_kaggle_file_without_a_map_says_what_to_write():
    message = error_of(FIXTURES / "kaggle_style.csv")
    assert "missing columns 'date', 'campaign', 'segment', 'creative', 'spend', 'conversions', 'revenue'" in message
    assert "found 'ad_id', 'xyz_campaign_id'" in message
    assert "(already read 'Clicks' as visits, 'Impressions' as impressions)" in message
    assert 'spend = "Spent", conversions = "Total_Conversion"' in message
    assert 'creative = "ad_id"' in message
    assert "write them in a [columns] table of a file passed with --columns" in message
    assert 'date = { value = "yyyy-mm-dd" }' in message


def test_kaggle_file_loads_with_its_map():
    loaded = read_log(FIXTURES / "kaggle_style.csv", columns=FIXTURES / "kaggle_columns.toml", allow_missing_revenue=True)
    assert (loaded.layout, loaded.has_revenue, len(loaded.log)) == ("mapped", False, 5)
    assert set(loaded.log["segment"]) == {"30-34 / M / 15", "30-34 / M / 16", "30-34 / F / 20", "30-34 / M / 10"}
    assert set(loaded.log["date"]) == {pd.Timestamp("2017-08-30")}
    assert "read 'age' + 'gender' + 'interest' as segment (joined with ' / ')" in loaded.notes
    same = load_log(FIXTURES / "kaggle_style.csv", columns=load_column_map(FIXTURES / "kaggle_columns.toml") | {"revenue": {"value": 0}})
    pd.testing.assert_frame_equal(same, loaded.log)


def test_column_map_file_is_checked(tmp_path):
    assert load_column_map(FIXTURES / "kaggle_columns.toml")["date"] == Constant("2017-08-30")
    bad = tmp_path / "map.toml"
    bad.write_text('[columns]\nspnd = "Spent"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"\[columns\] spnd: unknown log column \(did you mean 'spend'\?\)"):
        load_column_map(bad)
    bad.write_text('[columns]\nspend = ["a", "b"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"only campaign, segment, creative can join"):
        load_column_map(bad)
    bad.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not valid TOML"):
        load_column_map(bad)


def test_mapped_header_missing_from_the_file_lists_the_headers():
    message = error_of(FIXTURES / "kaggle_style.csv", columns={"spend": "Spend EUR"})
    assert "the column map's spend = 'Spend EUR' is not a header of this file" in message
    assert "its headers are 'ad_id', 'xyz_campaign_id', 'fb_campaign_id'" in message


# --- nothing but InputError -------------------------------------------------------------------

CELLS = st.sampled_from(["date", "campaign", "segment", "creative", "spend", "visits", "conversions", "revenue",
                         "Day", "Cost", "Total", "2024-05-01", "01/02/2024", "1,5", "1.234,5", "--", "", '"', "x", "-3", "7"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(CELLS, max_size=10), max_size=6).flatmap(
        lambda rows: st.sampled_from([",", ";", "\t"]).map(lambda sep: "\n".join(sep.join(r) for r in rows).encode())
    ),
))
def test_any_bytes_load_or_raise_input_error(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        loaded = read_log(path, sum_duplicates=True)
    except InputError as error:
        assert str(error).startswith(str(path))
    else:
        assert not loaded.log.empty
        assert np.isfinite(loaded.log["spend"].to_numpy()).all()


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_export_is_mapped_and_keeps_integer_ids(tmp_path):
    frame = pd.DataFrame({
        "Day": ["2024-05-01", "2024-05-02"], "Campaign": ["c", "c"], "Ad group": ["g", "g"], "Ad ID": [23842000000000001, 23842000000000002],
        "Cost": [1.5, 2.0], "Clicks": [3, 4], "Conversions": [1, 0], "Conv. value": [9.0, 0.0],
    })
    path = tmp_path / "report.parquet"
    frame.to_parquet(path)
    loaded = read_log(path)
    assert (loaded.layout, len(loaded.log)) == ("google-ads", 2)
    assert loaded.log["creative_id"].tolist() == ["23842000000000001", "23842000000000002"]
    assert loaded.log["spend"].tolist() == [1.5, 2.0]


def test_parquet_with_a_column_map(tmp_path):
    frame = pd.DataFrame({"when": ["2024-05-01"], "c": ["x"], "s": ["y"], "a": ["z"], "Spent": [1.0], "Clicks": [2], "conv": [1], "rev": [3.0]})
    path = tmp_path / "log.parquet"
    frame.to_parquet(path)
    columns = {"date": "when", "campaign": "c", "segment": "s", "creative": "a", "spend": "Spent", "conversions": "conv", "revenue": "rev"}
    loaded = read_log(path, columns=columns)
    assert loaded.layout == "mapped"
    assert loaded.log[["spend", "visits", "conversions", "revenue"]].iloc[0].tolist() == [1.0, 2.0, 1.0, 3.0]


def test_total_row_of_a_file_without_dates_is_skipped(tmp_path):
    path = tmp_path / "kaggle.csv"
    path.write_text((FIXTURES / "kaggle_style.csv").read_text(encoding="utf-8") + "Total,,,,,,9999,234,379.7,46,20\n", encoding="utf-8")
    loaded = read_log(path, columns=FIXTURES / "kaggle_columns.toml", allow_missing_revenue=True)
    assert (len(loaded.log), loaded.skipped_rows) == (5, 1)


def test_reporting_ends_is_checked_only_against_reporting_starts(tmp_path):
    text = (FIXTURES / "meta_es.csv").read_text(encoding="utf-8").replace("Inicio del informe,", "Día,").replace("2024-05-02,2024-05-02", "2024-05-02,2024-05-31")
    loaded = read_log(write(tmp_path, text))
    assert len(loaded.log) == 3 and not any("Fin del informe" in note for note in loaded.notes)
